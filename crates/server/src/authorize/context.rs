//! The condition keys of one request, as AWS defines them for IAM and STS.
//!
//! Principal-derived keys (`aws:PrincipalArn`, `aws:userid`, `aws:username`, …) are filled in by
//! the policy engine from the principal; this module adds what only the server knows: the time,
//! the network, the session and the request's own parameters.

use super::AuthzRequest;
use crate::app::App;
use crate::classify::Service;
use tessera_policy::Context;
use tessera_protocol::timefmt::iso8601;

/// `principal_tags` are the user's or role's own tags; a session's tags replace those with the
/// same key, as AWS documents.
pub fn build(app: &App, req: &AuthzRequest<'_>, principal_tags: &[(String, String)]) -> Context {
    let now = app.clock().now_unix();
    let mut ctx = Context::new();
    let session_tags = req
        .caller
        .session
        .as_ref()
        .map(|s| s.tags.as_slice())
        .unwrap_or(&[]);
    for (k, v) in principal_tags {
        if !session_tags.iter().any(|(s, _)| s.eq_ignore_ascii_case(k)) {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
    }
    ctx.insert("aws:CurrentTime", iso8601(now));
    ctx.insert("aws:EpochTime", now.to_string());
    ctx.insert("aws:SecureTransport", "false");
    ctx.insert("aws:SourceIp", req.remote.ip().to_string());
    ctx.insert("aws:RequestedRegion", app.region());
    if let Some(session) = &req.caller.session {
        ctx.insert(
            "aws:MultiFactorAuthPresent",
            if session.mfa_authenticated {
                "true"
            } else {
                "false"
            },
        );
        if session.mfa_authenticated {
            ctx.insert(
                "aws:MultiFactorAuthAge",
                now.saturating_sub(session.issued_at).to_string(),
            );
        }
        ctx.insert("aws:TokenIssueTime", iso8601(session.issued_at));
        for (k, v) in &session.tags {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        if let Some(s) = &session.source_identity {
            ctx.insert("aws:SourceIdentity", s.clone());
        }
    }
    if req.mfa {
        // This request itself proved MFA (GetSessionToken / AssumeRole with a code).
        ctx.set("aws:MultiFactorAuthPresent", ["true"]);
        ctx.set("aws:MultiFactorAuthAge", ["0"]);
    }
    request_tags(req, &mut ctx);
    for (key, value) in req.conditions {
        ctx.insert(key, value.clone());
    }
    if req.service == Service::Sts && req.action == "AssumeRole" {
        for (param, key) in [
            ("ExternalId", "sts:ExternalId"),
            ("RoleSessionName", "sts:RoleSessionName"),
            ("SourceIdentity", "sts:SourceIdentity"),
        ] {
            if let Some(v) = req.params.get(param) {
                ctx.insert(key, v);
            }
        }
        let transitive = req.params.members("TransitiveTagKeys.member");
        if !transitive.is_empty() {
            ctx.set("sts:TransitiveTagKeys", transitive);
        }
    }
    ctx
}

/// The keys of an unsigned request: no principal, no session; the network, the time and the
/// service's own keys.
pub fn anonymous(
    app: &App,
    remote: std::net::SocketAddr,
    conditions: &[(&'static str, String)],
) -> Context {
    let now = app.clock().now_unix();
    let mut ctx = Context::new();
    ctx.insert("aws:CurrentTime", iso8601(now));
    ctx.insert("aws:EpochTime", now.to_string());
    ctx.insert("aws:SecureTransport", "false");
    ctx.insert("aws:SourceIp", remote.ip().to_string());
    ctx.insert("aws:RequestedRegion", app.region());
    for (key, value) in conditions {
        ctx.insert(key, value.clone());
    }
    ctx
}

/// `aws:RequestTag/KEY` and `aws:TagKeys` for requests that carry `Tags.member.N`.
fn request_tags(req: &AuthzRequest<'_>, ctx: &mut Context) {
    let tags = req.params.structs("Tags.member");
    if tags.is_empty() {
        if let Some(keys) = Some(req.params.members("TagKeys.member")).filter(|k| !k.is_empty()) {
            ctx.set("aws:TagKeys", keys);
        }
        return;
    }
    let mut keys = Vec::with_capacity(tags.len());
    for fields in tags {
        let key = fields.iter().find(|(f, _)| *f == "Key").map(|(_, v)| *v);
        let value = fields.iter().find(|(f, _)| *f == "Value").map(|(_, v)| *v);
        if let (Some(k), Some(v)) = (key, value) {
            ctx.insert(&format!("aws:RequestTag/{k}"), v);
            keys.push(k);
        }
    }
    ctx.set("aws:TagKeys", keys);
}
