//! IAM's policy simulator: `SimulateCustomPolicy` (policies given as strings) and
//! `SimulatePrincipalPolicy` (the policies of a user, group or role, plus any given as strings).
//! Every (action, resource) pair is decided by `tessera_policy::evaluate`, the same engine that
//! authorizes live requests, so the simulator cannot disagree with enforcement.
//!
//! Results follow AWS's current model: one `EvaluationResult` per action whose decision is the
//! most restrictive across the resources, with one `ResourceSpecificResult` per resource.
//!
//! This module must never write the store, and never evaluate a policy itself.

use std::collections::HashSet;

use tessera_core::{AccountId, Arn};
use tessera_policy::{
    evaluate, Context, Decision, Policy, PolicySet, PolicyType, PrincipalInfo, PrincipalKind,
    Request, Verdict,
};
use tessera_protocol::XmlWriter;

use crate::entity::Kind;
use crate::lookups::{entity_policies, IdentityPolicies};
use crate::validate::{check_document, ContextEntry, Input};
use crate::{db, xml, Ctx, Iam, IamError, Output};

/// `SourcePolicyType` of policies given as strings (what AWS reports for them).
const INPUT_POLICY: &str = "IAM Policy";
/// `EvalDecisionDetails` keys, one per kind of policy in the simulation.
const IDENTITY_DETAIL: &str = "IAM Policy";
const BOUNDARY_DETAIL: &str = "Permissions Boundary Policy";
const RESOURCE_DETAIL: &str = "Resource Policy";

/// A line and column in a policy document, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    line: u32,
    column: u32,
}

/// One compiled policy of the simulation and how results name it.
struct Source {
    /// `SourcePolicyId`: `PolicyInputList.1`, an inline policy's name, a managed policy's ARN.
    id: String,
    /// `SourcePolicyType`: `IAM Policy`, `user`, `group`, `role`, `user-managed`, `resource`.
    kind: &'static str,
    policy: Policy,
    /// Where each statement starts and ends, in document order.
    spans: Vec<(Position, Position)>,
}

impl Source {
    fn new(id: String, kind: &'static str, policy: Policy) -> Source {
        let spans = statement_spans(policy.text());
        Source {
            id,
            kind,
            policy,
            spans,
        }
    }
}

/// Everything a simulation evaluates, resolved and compiled.
struct Simulation {
    identity: Vec<Source>,
    boundary: Option<Source>,
    resource_policy: Option<Source>,
    resource_owner: Option<String>,
    caller: PrincipalInfo,
    context: Context,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// Which source (by [`Simulation::source`] index) and statement matched.
type Matched = (usize, usize);

/// The decision for one (action, resource) pair.
struct ResourceResult {
    resource: String,
    verdict: Verdict,
    matched: Vec<Matched>,
    details: Vec<(&'static str, Verdict)>,
    allowed_by_boundary: Option<bool>,
}

/// One `EvaluationResult`: an action over every resource.
struct ActionResult {
    action: String,
    resource_name: String,
    verdict: Verdict,
    matched: Vec<Matched>,
    details: Vec<(&'static str, Verdict)>,
    allowed_by_boundary: Option<bool>,
    per_resource: Vec<ResourceResult>,
}

impl Iam {
    pub(crate) async fn simulate_custom_policy(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let mut identity = Vec::new();
        let documents = required_documents(i, "PolicyInputList")?;
        for (n, doc) in documents.iter().enumerate() {
            let id = format!("PolicyInputList.{}", n + 1);
            identity.push(Source::new(id, INPUT_POLICY, parse_identity(doc)?));
        }
        let resource_policy = resource_policy(i)?;
        let caller = match i.opt("CallerArn") {
            Some(arn) => caller_from_arn(arn, None)?,
            None if resource_policy.is_some() => {
                return Err(IamError::InvalidInput(
                    "CallerArn must be specified when ResourcePolicy is specified.".to_owned(),
                ))
            }
            // Without a caller the policies are simulated for an IAM user named by the request's
            // own ARN: identity policies then apply as they would to any user.
            None => principal(PrincipalKind::User, ctx.caller.arn(), &ctx.account),
        };
        let sim = Simulation {
            identity,
            boundary: boundary_input(i)?,
            resource_policy,
            resource_owner: resource_owner(i)?,
            context: context(&i.context_entries()?, &[]),
            caller,
            actions: action_names(i)?,
            resources: resource_arns(i)?,
        };
        render(&sim, i)
    }

    pub(crate) async fn simulate_principal_policy(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let source_arn = i.arn("PolicySourceArn")?;
        let (kind, name) = entity_arn(&source_arn)?;
        let not_found = || IamError::NoSuchEntity(format!("Entity {source_arn} does not exist."));
        let Ok(account) = AccountId::parse(&arn_account(&source_arn)) else {
            return Err(not_found());
        };
        if account != ctx.account {
            return Err(not_found());
        }
        let found = self
            .read(move |tx| match entity_policies(tx, kind, &account, &name) {
                Ok(found) => Ok(Some(found)),
                Err(IamError::NoSuchEntity(_)) => Ok(None),
                Err(e) => Err(e),
            })
            .await?;
        let Some((entity_id, entity_arn, policies)) = found else {
            return Err(not_found());
        };
        if entity_arn != source_arn {
            // Same name under another path: AWS names entities by their full ARN.
            return Err(not_found());
        }

        let mut identity = stored_identity(&policies)?;
        for (n, doc) in i.documents("PolicyInputList")?.iter().enumerate() {
            let id = format!("PolicyInputList.{}", n + 1);
            identity.push(Source::new(id, INPUT_POLICY, parse_identity(doc)?));
        }
        let boundary = match boundary_input(i)? {
            Some(given) => Some(given),
            None => match &policies.boundary {
                Some(b) => Some(Source::new(
                    b.source.clone(),
                    managed_type(&b.source),
                    parse_stored(&b.document)?,
                )),
                None => None,
            },
        };
        let caller = match i.opt("CallerArn") {
            Some(arn) => caller_from_arn(arn, None)?,
            None => caller_from_arn(&entity_arn, Some(&entity_id))?,
        };
        let tags: Vec<(String, String)> = policies
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        let sim = Simulation {
            identity,
            boundary,
            resource_policy: resource_policy(i)?,
            resource_owner: resource_owner(i)?,
            context: context(&i.context_entries()?, &tags),
            caller,
            actions: action_names(i)?,
            resources: resource_arns(i)?,
        };
        render(&sim, i)
    }
}

impl Simulation {
    /// Identity policies, then the boundary, then the resource policy: the index space of
    /// [`Matched`].
    fn source(&self, index: usize) -> Option<&Source> {
        let n = self.identity.len();
        match index.checked_sub(n) {
            None => self.identity.get(index),
            Some(0) => self.boundary.as_ref(),
            Some(1) => self.resource_policy.as_ref(),
            Some(_) => None,
        }
    }

    fn own_account(&self) -> Option<&str> {
        Some(self.caller.account.as_str())
    }

    fn decide(&self, set: &PolicySet<'_>, action: &str, resource: &str) -> Verdict {
        let req = Request {
            principal: &self.caller,
            action,
            resource,
            context: &self.context,
        };
        evaluate(&req, set).verdict
    }

    fn run(&self, action: &str, resource: &str) -> ResourceResult {
        let identity: Vec<&Policy> = self.identity.iter().map(|s| &s.policy).collect();
        let boundary = self.boundary.as_ref().map(|s| &s.policy);
        let resource_policy = self.resource_policy.as_ref().map(|s| &s.policy);
        let set = PolicySet {
            identity: identity.clone(),
            boundary,
            session: None,
            resource: resource_policy,
            resource_account: self.resource_owner.as_deref(),
        };
        let req = Request {
            principal: &self.caller,
            action,
            resource,
            context: &self.context,
        };
        let decision = evaluate(&req, &set);
        let matched = self.matched(&decision).into_iter().collect();

        // Each kind of policy on its own, inside the caller's account, for EvalDecisionDetails.
        let mut details = vec![(
            IDENTITY_DETAIL,
            self.decide(
                &PolicySet {
                    identity,
                    resource_account: self.own_account(),
                    ..PolicySet::default()
                },
                action,
                resource,
            ),
        )];
        let allowed_by_boundary = boundary.map(|b| {
            let v = self.decide(
                &PolicySet {
                    identity: vec![b],
                    resource_account: self.own_account(),
                    ..PolicySet::default()
                },
                action,
                resource,
            );
            details.push((BOUNDARY_DETAIL, v));
            v == Verdict::Allow
        });
        if let Some(r) = resource_policy {
            let v = self.decide(
                &PolicySet {
                    resource: Some(r),
                    resource_account: self.own_account(),
                    ..PolicySet::default()
                },
                action,
                resource,
            );
            details.push((RESOURCE_DETAIL, v));
        }
        ResourceResult {
            resource: resource.to_owned(),
            verdict: decision.verdict,
            matched,
            details,
            allowed_by_boundary,
        }
    }

    /// The statement the engine reports as deciding, located in the simulation's sources.
    fn matched(&self, d: &Decision<'_>) -> Option<Matched> {
        let s = d.statement?;
        let base = match d.policy_type {
            PolicyType::Identity => s.policy_index,
            PolicyType::PermissionsBoundary => self.identity.len(),
            PolicyType::Resource => self.identity.len() + 1,
            PolicyType::Session | PolicyType::AccountRoot => return None,
        };
        Some((base, s.statement_index))
    }

    fn simulate_action(&self, action: &str) -> ActionResult {
        let per_resource: Vec<ResourceResult> =
            self.resources.iter().map(|r| self.run(action, r)).collect();
        let verdict = per_resource
            .iter()
            .map(|r| r.verdict)
            .max_by_key(|v| strictness(*v))
            .unwrap_or(Verdict::ImplicitDeny);
        let mut matched: Vec<Matched> = Vec::new();
        for r in per_resource.iter().filter(|r| r.verdict == verdict) {
            for m in &r.matched {
                if !matched.contains(m) {
                    matched.push(*m);
                }
            }
        }
        let mut details: Vec<(&'static str, Verdict)> = Vec::new();
        for (kind, v) in per_resource.iter().flat_map(|r| r.details.iter()) {
            match details.iter_mut().find(|(k, _)| k == kind) {
                Some((_, have)) if strictness(*v) > strictness(*have) => *have = *v,
                Some(_) => {}
                None => details.push((kind, *v)),
            }
        }
        let allowed_by_boundary = per_resource
            .iter()
            .filter_map(|r| r.allowed_by_boundary)
            .reduce(|a, b| a && b);
        let resource_name = match self.resources.as_slice() {
            [one] => one.clone(),
            _ => "*".to_owned(),
        };
        ActionResult {
            action: action.to_owned(),
            resource_name,
            verdict,
            matched,
            details,
            allowed_by_boundary,
            per_resource,
        }
    }

    /// Condition keys the simulated policies use that the context does not supply, excluding
    /// those the engine derives from the caller itself.
    fn missing_context_values(&self) -> Vec<String> {
        let derived = derived_keys(&self.caller);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let sources = self
            .identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.resource_policy);
        for s in sources {
            for key in condition_keys(s.policy.text()) {
                let lower = key.to_ascii_lowercase();
                if self.context.get(&lower).is_none()
                    && !derived.contains(&lower.as_str())
                    && seen.insert(lower)
                {
                    out.push(key);
                }
            }
        }
        out
    }
}

/// `explicitDeny` over `implicitDeny` over `allowed`.
fn strictness(v: Verdict) -> u8 {
    match v {
        Verdict::Allow => 0,
        Verdict::ImplicitDeny => 1,
        Verdict::ExplicitDeny => 2,
    }
}

fn decision_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allowed",
        Verdict::ExplicitDeny => "explicitDeny",
        Verdict::ImplicitDeny => "implicitDeny",
    }
}

/// Keys `tessera_policy` fills in from the principal, so a simulation never misses them.
fn derived_keys(p: &PrincipalInfo) -> Vec<&'static str> {
    let mut keys = vec!["aws:principalarn", "aws:principaltype"];
    if !p.account.is_empty() {
        keys.push("aws:principalaccount");
    }
    if !p.userid.is_empty() {
        keys.push("aws:userid");
    }
    if p.username.is_some() {
        keys.push("aws:username");
    }
    keys
}

/// The condition keys of a policy text: statement by statement, each statement's sorted by
/// operator and key. The text was already accepted by the policy engine, so anything unexpected
/// here is simply skipped.
fn condition_keys(text: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        let Some(serde_json::Value::Object(ops)) = st.get("Condition") else {
            continue;
        };
        for block in ops.values() {
            if let serde_json::Value::Object(keys) = block {
                out.extend(keys.keys().cloned());
            }
        }
    }
    out
}

/// Where each top-level statement of a JSON policy starts (`{`) and ends (just after `}`).
/// Positions count characters from 1; a `Statement` object counts as one statement.
fn statement_spans(text: &str) -> Vec<(Position, Position)> {
    let mut spans = Vec::new();
    let (mut line, mut column) = (1u32, 0u32);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let (mut current, mut key) = (String::new(), String::new());
    let mut in_statement = false;
    let mut open: Option<(Position, usize)> = None;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                if depth == 1 {
                    key = std::mem::take(&mut current);
                }
            } else if depth == 1 {
                current.push(c);
            }
            continue;
        }
        let here = Position { line, column };
        match c {
            '"' => {
                in_string = true;
                current.clear();
            }
            ':' if depth == 1 => in_statement = key == "Statement",
            ',' if depth == 1 => in_statement = false,
            '{' | '[' => {
                depth += 1;
                if c == '{' && in_statement && open.is_none() && (depth == 2 || depth == 3) {
                    open = Some((here, depth));
                }
            }
            '}' | ']' => {
                if let Some((start, _)) = open.filter(|(_, d)| c == '}' && *d == depth) {
                    let end = Position {
                        line,
                        column: column + 1,
                    };
                    spans.push((start, end));
                    open = None;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    spans
}

/// The request context: `ContextEntries` as given, plus `aws:PrincipalTag/…` from the simulated
/// entity's tags unless an entry already sets that key.
fn context(entries: &[ContextEntry], tags: &[(String, String)]) -> Context {
    let mut ctx = Context::new();
    for e in entries {
        ctx.set(&e.key, e.values.iter().cloned());
    }
    for (k, v) in tags {
        let key = format!("aws:PrincipalTag/{k}");
        if ctx.get(&key).is_none() {
            ctx.insert(&key, v.clone());
        }
    }
    ctx
}

fn parse_identity(doc: &str) -> Result<Policy, IamError> {
    tessera_policy::parse(doc)
        .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_owned()))
}

/// Stored documents were accepted when written; failing now means the record is damaged.
fn parse_stored(doc: &str) -> Result<Policy, IamError> {
    tessera_policy::parse(doc).map_err(|e| IamError::corrupt(format!("stored policy: {e}")))
}

/// `aws-managed` for AWS's own policies, `user-managed` for the account's.
fn managed_type(arn: &str) -> &'static str {
    if arn_account(arn) == "aws" {
        "aws-managed"
    } else {
        "user-managed"
    }
}

fn stored_identity(p: &IdentityPolicies) -> Result<Vec<Source>, IamError> {
    let mut out = Vec::new();
    for inline in &p.inline {
        let holder = match entity_arn(&inline.source) {
            Ok((Kind::User, _)) => "user",
            Ok((Kind::Group, _)) => "group",
            Ok((Kind::Role, _)) => "role",
            Err(_) => "none",
        };
        out.push(Source::new(
            inline.name.clone(),
            holder,
            parse_stored(&inline.document)?,
        ));
    }
    for managed in &p.managed {
        out.push(Source::new(
            managed.source.clone(),
            managed_type(&managed.source),
            parse_stored(&managed.document)?,
        ));
    }
    Ok(out)
}

fn required_documents(i: &Input<'_>, key: &str) -> Result<Vec<String>, IamError> {
    let docs = i.documents(key)?;
    if docs.is_empty() {
        return Err(IamError::validation(
            None,
            "policyInputList",
            "Member must not be null",
        ));
    }
    Ok(docs)
}

/// `PermissionsBoundaryPolicyInputList`: AWS takes at most one boundary.
fn boundary_input(i: &Input<'_>) -> Result<Option<Source>, IamError> {
    let docs = i.documents("PermissionsBoundaryPolicyInputList")?;
    if docs.len() > 1 {
        return Err(IamError::InvalidInput(
            "Only one permissions boundary policy may be specified.".to_owned(),
        ));
    }
    docs.first()
        .map(|doc| {
            let policy = parse_identity(doc)?;
            Ok(Source::new(
                "PermissionsBoundaryPolicyInputList.1".to_owned(),
                INPUT_POLICY,
                policy,
            ))
        })
        .transpose()
}

fn resource_policy(i: &Input<'_>) -> Result<Option<Source>, IamError> {
    let Some(doc) = i.opt("ResourcePolicy") else {
        return Ok(None);
    };
    check_document(doc, "ResourcePolicy")?;
    let policy = tessera_policy::parse_resource_policy(doc)
        .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_owned()))?;
    Ok(Some(Source::new(
        "ResourcePolicy".to_owned(),
        "resource",
        policy,
    )))
}

/// `ResourceOwner`: an account id or an account's ARN (`arn:aws:iam::123456789012:root`).
fn resource_owner(i: &Input<'_>) -> Result<Option<String>, IamError> {
    let Some(v) = i.opt("ResourceOwner") else {
        return Ok(None);
    };
    let candidate = if v.starts_with("arn:") {
        arn_account(v)
    } else {
        v.to_owned()
    };
    AccountId::parse(&candidate)
        .map(|_| Some(candidate))
        .map_err(|_| IamError::InvalidInput(format!("Invalid ResourceOwner: {v}")))
}

fn action_names(i: &Input<'_>) -> Result<Vec<String>, IamError> {
    let names = i.members("ActionNames");
    if names.is_empty() {
        return Err(IamError::validation(
            None,
            "actionNames",
            "Member must not be null",
        ));
    }
    names
        .into_iter()
        .map(|a| {
            let n = a.chars().count();
            if !(3..=128).contains(&n) {
                return Err(IamError::validation(
                    Some(a),
                    "actionNames.member",
                    "Member must have length between 3 and 128",
                ));
            }
            if !a.contains(':') || a.contains('*') || a.contains('?') {
                return Err(IamError::InvalidInput(format!("Invalid action name: {a}")));
            }
            Ok(a.to_owned())
        })
        .collect()
}

/// `ResourceArns`, `*` when absent; each must be `*` or an ARN.
fn resource_arns(i: &Input<'_>) -> Result<Vec<String>, IamError> {
    let arns = i.members("ResourceArns");
    if arns.is_empty() {
        return Ok(vec!["*".to_owned()]);
    }
    arns.into_iter()
        .map(|r| {
            if r == "*" || Arn::parse(r).is_ok() {
                Ok(r.to_owned())
            } else {
                Err(IamError::InvalidInput(format!("Invalid ARN: {r}")))
            }
        })
        .collect()
}

fn arn_account(arn: &str) -> String {
    Arn::parse(arn).map(|a| a.account).unwrap_or_default()
}

/// A user, group or role ARN: its kind and name (the last path segment).
fn entity_arn(arn: &str) -> Result<(Kind, String), IamError> {
    let invalid = || IamError::InvalidInput(format!("Invalid ARN: {arn}"));
    let parsed = Arn::parse(arn).map_err(|_| invalid())?;
    if parsed.service != "iam" || !parsed.region.is_empty() {
        return Err(invalid());
    }
    let (kind, rest) = parsed.resource.split_once('/').ok_or_else(invalid)?;
    let kind = match kind {
        "user" => Kind::User,
        "group" => Kind::Group,
        "role" => Kind::Role,
        _ => return Err(invalid()),
    };
    let name = rest.rsplit('/').next().unwrap_or_default();
    if !crate::validate::is_name(name) {
        return Err(invalid());
    }
    Ok((kind, name.to_owned()))
}

fn principal(kind: PrincipalKind, arn: String, account: &AccountId) -> PrincipalInfo {
    PrincipalInfo {
        kind,
        arn,
        account: account.as_str().to_owned(),
        userid: String::new(),
        username: None,
        parent_arn: None,
        provider: None,
    }
}

/// The simulated caller. Users are IAM users; groups are simulated like a user named by the
/// group's ARN (AWS accepts a group as caller); roles are simulated as a session of the role
/// whose own ARN is the role's, so resource policies naming the role match it exactly while its
/// boundary still applies as to any role session.
fn caller_from_arn(arn: &str, unique_id: Option<&str>) -> Result<PrincipalInfo, IamError> {
    let (kind, name) = entity_arn(arn)?;
    let account = AccountId::parse(&arn_account(arn))
        .map_err(|_| IamError::InvalidInput(format!("Invalid ARN: {arn}")))?;
    let mut p = match kind {
        Kind::User | Kind::Group => principal(PrincipalKind::User, arn.to_owned(), &account),
        Kind::Role => {
            let mut p = principal(PrincipalKind::AssumedRole, arn.to_owned(), &account);
            p.parent_arn = Some(arn.to_owned());
            p
        }
    };
    if kind == Kind::User {
        p.username = Some(name);
    }
    if let Some(id) = unique_id {
        p.userid = id.to_owned();
    }
    Ok(p)
}

fn render(sim: &Simulation, i: &Input<'_>) -> Result<Output, IamError> {
    let max = i.max_items()?;
    let marker = i.marker()?;
    let results: Vec<ActionResult> = sim.actions.iter().map(|a| sim.simulate_action(a)).collect();
    let page = db::page_vec(results, marker, max)?;
    let missing = sim.missing_context_values();
    let mut w = XmlWriter::new();
    xml::list(&mut w, "EvaluationResults", &page.items, |w, r| {
        w.leaf("EvalActionName", &r.action);
        w.leaf("EvalResourceName", &r.resource_name);
        w.leaf("EvalDecision", decision_name(r.verdict));
        statements(w, sim, &r.matched);
        xml::string_list(w, "MissingContextValues", &missing);
        boundary_detail(w, r.allowed_by_boundary);
        decision_details(w, &r.details);
        xml::list(w, "ResourceSpecificResults", &r.per_resource, |w, rr| {
            w.leaf("EvalResourceName", &rr.resource);
            w.leaf("EvalResourceDecision", decision_name(rr.verdict));
            statements(w, sim, &rr.matched);
            xml::string_list(w, "MissingContextValues", &missing);
            decision_details(w, &rr.details);
            boundary_detail(w, rr.allowed_by_boundary);
        });
    });
    xml::truncation(&mut w, page.marker.as_deref());
    Ok(Some(w.finish()))
}

fn statements(w: &mut XmlWriter, sim: &Simulation, matched: &[Matched]) {
    let found: Vec<(&Source, usize)> = matched
        .iter()
        .filter_map(|(src, st)| sim.source(*src).map(|s| (s, *st)))
        .collect();
    xml::list(w, "MatchedStatements", &found, |w, (source, st)| {
        w.leaf("SourcePolicyId", &source.id);
        w.leaf("SourcePolicyType", source.kind);
        if let Some((start, end)) = source.spans.get(*st) {
            position(w, "StartPosition", *start);
            position(w, "EndPosition", *end);
        }
    });
}

fn position(w: &mut XmlWriter, tag: &str, p: Position) {
    w.open(tag);
    w.leaf("Line", &p.line.to_string());
    w.leaf("Column", &p.column.to_string());
    w.close(tag);
}

fn boundary_detail(w: &mut XmlWriter, allowed: Option<bool>) {
    if let Some(allowed) = allowed {
        w.open("PermissionsBoundaryDecisionDetail");
        xml::bool_leaf(w, "AllowedByPermissionsBoundary", allowed);
        w.close("PermissionsBoundaryDecisionDetail");
    }
}

/// A Query-protocol map: `<entry><key>…</key><value>…</value></entry>`.
fn decision_details(w: &mut XmlWriter, details: &[(&'static str, Verdict)]) {
    w.open("EvalDecisionDetails");
    for (kind, v) in details {
        w.open("entry");
        w.leaf("key", kind);
        w.leaf("value", decision_name(*v));
        w.close("entry");
    }
    w.close("EvalDecisionDetails");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_array_and_object_statements() {
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"true\"}}},\n    {\"Sid\": \"x}\", \"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\"}\n  ]\n}";
        let spans = statement_spans(doc);
        let p = |line, column| Position { line, column };
        assert_eq!(
            spans,
            vec![(p(4, 5), p(4, 115)), (p(5, 5), p(5, 77))],
            "{doc}"
        );
        let one = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Version":"2012-10-17"}"#;
        assert_eq!(statement_spans(one), vec![(p(1, 14), p(1, 60))]);
    }

    #[test]
    fn condition_keys_by_statement_then_name() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*",
             "Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1","s3:prefix":"a"},
                          "Bool":{"aws:SecureTransport":"true"}}},
            {"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert_eq!(
            condition_keys(doc),
            ["aws:SecureTransport", "aws:RequestedRegion", "s3:prefix"]
        );
    }

    #[test]
    fn entity_arns() {
        let cases = [
            (
                "arn:aws:iam::123456789012:user/bob",
                Some((Kind::User, "bob")),
            ),
            (
                "arn:aws:iam::123456789012:role/ops/admin",
                Some((Kind::Role, "admin")),
            ),
            (
                "arn:aws:iam::123456789012:group/g",
                Some((Kind::Group, "g")),
            ),
            ("arn:aws:iam::123456789012:policy/p", None),
            ("arn:aws:s3:::bucket", None),
            ("bob", None),
        ];
        for (arn, want) in cases {
            let got = entity_arn(arn).ok();
            assert_eq!(got.as_ref().map(|(k, n)| (*k, n.as_str())), want, "{arn}");
        }
    }
}
