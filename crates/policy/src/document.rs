//! The typed, compiled policy: the grammar of a document and its lowering for evaluation.
//!
//! Owns: the element names AWS accepts, which elements each kind of policy requires or forbids,
//! and keeping the original text. Must never evaluate anything (see [`crate::evaluate`]).

use std::collections::HashSet;

use crate::action::ActionPattern;
use crate::arn_match::ArnPattern;
use crate::condition::ConditionBlock;
use crate::error::PolicyError;
use crate::index::ServiceIndex;
use crate::json::{self, Json};
use crate::principal::{string_list, PrincipalSet};
use crate::validate::{check_resource, check_sid, check_trust_action, Version, DUPLICATE_SID};

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// Which rules a document was parsed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role (or a boundary, or a session policy): no `Principal`.
    Identity,
    /// Attached to a resource (queue, bucket): `Principal` required.
    Resource,
    /// A role's trust policy: `Principal` required, `Resource` prohibited, STS actions only.
    Trust,
}

/// An element and its `Not…` twin.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Polarity<T> {
    Is(T),
    Not(T),
}

/// One statement, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    pub(crate) principal: Option<Polarity<PrincipalSet>>,
    pub(crate) action: Polarity<Vec<ActionPattern>>,
    /// `None` only in trust policies, which apply to the role itself.
    pub(crate) resource: Option<Polarity<Vec<ArnPattern>>>,
    pub(crate) condition: ConditionBlock,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }
}

/// A parsed, validated and compiled policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    text: String,
    kind: PolicyKind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
    index: ServiceIndex,
}

/// Parses an identity-based policy (user, group, role, boundary, session policy).
pub fn parse(doc: &str) -> Result<Policy, PolicyError> {
    Policy::parse(doc, PolicyKind::Identity)
}

/// Parses a resource-based policy (SQS queue policy, S3 bucket policy).
pub fn parse_resource_policy(doc: &str) -> Result<Policy, PolicyError> {
    Policy::parse(doc, PolicyKind::Resource)
}

/// Parses a role trust policy (`AssumeRolePolicyDocument`).
pub fn parse_trust_policy(doc: &str) -> Result<Policy, PolicyError> {
    Policy::parse(doc, PolicyKind::Trust)
}

impl Policy {
    pub fn parse(doc: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let Json::Object(members) = json::parse(doc)? else {
            return Err(PolicyError::syntax());
        };
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for (name, value) in &members {
            match (name.as_str(), value) {
                ("Version", Json::String(v)) => version = Some(v.as_str()),
                ("Id", Json::String(v)) => id = Some(v.clone()),
                ("Statement", v) => statement = Some(v),
                _ => return Err(PolicyError::syntax()),
            }
        }
        let version = Version::parse(version)?;
        let raw_statements = match statement {
            Some(Json::Array(items)) if !items.is_empty() => items.iter().collect(),
            Some(object @ Json::Object(_)) => vec![object],
            _ => return Err(PolicyError::syntax()),
        };
        let mut sids = HashSet::new();
        let mut statements = Vec::with_capacity(raw_statements.len());
        for raw in raw_statements {
            let st = parse_statement(raw, kind, version)?;
            if let Some(sid) = &st.sid {
                if !sid.is_empty() && !sids.insert(sid.clone()) {
                    return Err(PolicyError::fixed(DUPLICATE_SID));
                }
            }
            statements.push(st);
        }
        let index = ServiceIndex::build(statements.iter().map(|s| &s.action));
        Ok(Policy {
            text: doc.to_owned(),
            kind,
            version,
            id,
            statements,
            index,
        })
    }

    /// The document exactly as given (IAM returns it URL-encoded, unchanged).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The statements that may match an action of `service` (lower-cased), with their numbers,
    /// in order.
    pub(crate) fn candidates<'p>(
        &'p self,
        service: &str,
    ) -> impl Iterator<Item = (usize, &'p Statement)> {
        self.index
            .candidates(service)
            .iter()
            .filter_map(|&i| self.statements.get(i).map(|s| (i, s)))
    }

    /// Every principal named in `Principal`/`NotPrincipal`, as `(type, value)` with account ids
    /// spelled as root ARNs: for callers that check existence or refuse session principals.
    pub fn principals(&self) -> Vec<(&'static str, String)> {
        self.statements
            .iter()
            .filter_map(|s| s.principal.as_ref())
            .flat_map(|p| match p {
                Polarity::Is(set) | Polarity::Not(set) => set.named(),
            })
            .collect()
    }
}

const STATEMENT_FIELDS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn pick<'j>(
    fields: &'j [(String, Json)],
    yes: &str,
    no: &str,
) -> Result<Option<Polarity<&'j Json>>, PolicyError> {
    let find = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v);
    match (find(yes), find(no)) {
        (Some(_), Some(_)) => Err(PolicyError::syntax()),
        (Some(v), None) => Ok(Some(Polarity::Is(v))),
        (None, Some(v)) => Ok(Some(Polarity::Not(v))),
        (None, None) => Ok(None),
    }
}

fn parse_statement(
    raw: &Json,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, PolicyError> {
    let Json::Object(fields) = raw else {
        return Err(PolicyError::syntax());
    };
    if fields
        .iter()
        .any(|(k, _)| !STATEMENT_FIELDS.contains(&k.as_str()))
    {
        return Err(PolicyError::syntax());
    }
    let field = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v);
    let sid = match field("Sid") {
        None => None,
        Some(Json::String(s)) => {
            check_sid(s, kind != PolicyKind::Resource)?;
            Some(s.clone())
        }
        Some(_) => return Err(PolicyError::syntax()),
    };
    let effect = match field("Effect") {
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(_) => return Err(PolicyError::syntax()),
        None => return Err(PolicyError::fixed("Missing required field Effect")),
    };
    let principal = match (pick(fields, "Principal", "NotPrincipal")?, kind) {
        (Some(_), PolicyKind::Identity) => {
            return Err(PolicyError::fixed(
                "Policy document should not specify a principal.",
            ))
        }
        (None, PolicyKind::Identity) => None,
        (None, _) => return Err(PolicyError::fixed("Missing required field Principal")),
        (Some(Polarity::Is(v)), _) => Some(Polarity::Is(PrincipalSet::parse(v)?)),
        (Some(Polarity::Not(v)), _) => Some(Polarity::Not(PrincipalSet::parse(v)?)),
    };
    let action = match pick(fields, "Action", "NotAction")? {
        Some(Polarity::Is(v)) => Polarity::Is(actions(v, kind == PolicyKind::Trust)?),
        Some(Polarity::Not(v)) => Polarity::Not(actions(v, false)?),
        None => return Err(PolicyError::fixed("Policy statement must contain actions.")),
    };
    let substitute = version.substitutes();
    let resource = match (pick(fields, "Resource", "NotResource")?, kind) {
        (Some(_), PolicyKind::Trust) => {
            let name = if field("Resource").is_some() {
                "Resource"
            } else {
                "NotResource"
            };
            return Err(PolicyError::owned(format!("Has prohibited field {name}")));
        }
        (None, PolicyKind::Trust) => None,
        (None, _) => {
            return Err(PolicyError::fixed(
                "Policy statement must contain resources.",
            ))
        }
        (Some(Polarity::Is(v)), _) => Some(Polarity::Is(resources(v, substitute)?)),
        (Some(Polarity::Not(v)), _) => Some(Polarity::Not(resources(v, substitute)?)),
    };
    let condition = match field("Condition") {
        Some(c) => ConditionBlock::parse(c, substitute)?,
        None => ConditionBlock::default(),
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        condition,
    })
}

fn actions(value: &Json, trust: bool) -> Result<Vec<ActionPattern>, PolicyError> {
    let raw = string_list(value)?;
    if raw.is_empty() {
        return Err(PolicyError::fixed("Policy statement must contain actions."));
    }
    raw.into_iter()
        .map(|a| {
            let pattern = ActionPattern::parse(a)?;
            if trust {
                check_trust_action(&pattern)?;
            }
            Ok(pattern)
        })
        .collect()
}

fn resources(value: &Json, substitute: bool) -> Result<Vec<ArnPattern>, PolicyError> {
    let raw = string_list(value)?;
    if raw.is_empty() {
        return Err(PolicyError::fixed(
            "Policy statement must contain resources.",
        ));
    }
    raw.into_iter()
        .map(|r| {
            check_resource(r)?;
            Ok(ArnPattern::parse(r, substitute))
        })
        .collect()
}
