//! The decoded form of an authorization message, in AWS's shape: whether the request was allowed,
//! whether an explicit deny decided, the matching statement, and the request context (principal,
//! action, resource, condition keys) the decision used.

use serde_json::{json, Value};
use tessera_policy::{Context, Request};

/// Condition keys copied into the message; the rest of the context is derivable from these.
const KEYS: [&str; 8] = [
    "aws:CurrentTime",
    "aws:SourceIp",
    "aws:SecureTransport",
    "aws:RequestedRegion",
    "aws:MultiFactorAuthPresent",
    "aws:TokenIssueTime",
    "aws:SourceIdentity",
    "aws:TagKeys",
];

pub fn describe(
    request: &Request<'_>,
    explicit_deny: bool,
    statement: Option<&str>,
    ctx: &Context,
) -> String {
    let conditions: Vec<Value> = KEYS
        .iter()
        .filter_map(|k| {
            ctx.get(k).map(|values| {
                json!({
                    "key": k,
                    "values": {"items": values.iter().map(|v| json!({"value": v})).collect::<Vec<_>>()},
                })
            })
        })
        .collect();
    let matched: Vec<Value> = statement
        .map(|s| {
            vec![json!({"statementId": s, "effect": if explicit_deny { "DENY" } else { "ALLOW" }})]
        })
        .unwrap_or_default();
    json!({
        "allowed": false,
        "explicitDeny": explicit_deny,
        "matchedStatements": {"items": matched},
        "failures": {"items": []},
        "context": {
            "principal": {
                "id": request.principal.userid,
                "arn": request.principal.arn,
            },
            "action": request.action,
            "resource": request.resource,
            "conditions": {"items": conditions},
        },
    })
    .to_string()
}
