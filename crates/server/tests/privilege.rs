//! Privilege properties of temporary credentials, checked on the real request path.
//!
//! Every request is SigV4-signed by AWS's own signer and goes through `dispatch::handle`
//! (classify, authenticate, authorize, the service) on an embedded store in a temporary
//! directory, exactly as a request read from a socket would.
//!
//! - [`sessions_never_exceed_their_parents`]: random identity policies (and sometimes a
//!   permissions boundary) for an IAM user, random permission and trust policies (and sometimes a
//!   boundary) for two roles, and a random sequence of GetSessionToken, GetFederationToken and
//!   AssumeRole calls (role chaining included: any credential obtained so far may make the next
//!   call), each with or without a random inline session policy. Every STS call, and a fixed set
//!   of probe requests with every credential obtained, must be answered as a reference model
//!   computed here says: the parent's policies intersected with its boundary and the session
//!   policy, an explicit deny anywhere wins, and AWS's fixed limits on temporary credentials
//!   apply. The model is deliberately independent of `tessera-policy` (its own wildcard
//!   matcher), so a bug shared by the engine and the test cannot hide. A server allow the model
//!   denies is a privilege escalation; a server deny the model allows is reported too. Some
//!   scenarios then rewrite a parent's policy, and every live session must follow at once.
//! - [`expired_credentials_are_rejected`]: credentials of every kind, issued with the shortest
//!   duration the server is configured to accept, are refused with `ExpiredToken` once their
//!   `Expiration` has passed, and none is issued for longer than requested.
//!
//! The tests never assert on timing; the expiry test sleeps once until past the latest expiry.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::BodyExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tessera_server::app::{App, StartOptions};
use tessera_server::dispatch::handle;
use tessera_server::incoming::Incoming;

const ACCOUNT: &str = "123456789012";
const ROOT_KEY: &str = "AKIAROOTROOTROOT1234";
const ROOT_SECRET: &str = "rootsecretrootsecretrootsecretrootsecre";
const HOST: &str = "127.0.0.1:4566";
/// Property cases per run (`PROPTEST_CASES` overrides it, e.g. 5000 for a long run): each starts
/// a fresh server and makes a few dozen requests.
const CASES: u32 = 128;

/// Access key id, secret and (for temporary credentials) session token.
#[derive(Clone)]
struct Keys {
    id: String,
    secret: String,
    token: Option<String>,
}

impl Keys {
    fn root() -> Keys {
        Keys {
            id: ROOT_KEY.into(),
            secret: ROOT_SECRET.into(),
            token: None,
        }
    }
}

/// One answer: HTTP status and body text.
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    /// The text of the first `<tag>` element.
    fn field(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find('<')? + start;
        Some(self.body[start..end].to_owned())
    }

    fn code(&self) -> String {
        self.field("Code").unwrap_or_default()
    }

    /// The temporary credentials in an STS answer.
    fn credentials(&self) -> Result<Keys, String> {
        let get = |tag| {
            self.field(tag)
                .ok_or_else(|| format!("no {tag} in {}", self.body))
        };
        Ok(Keys {
            id: get("AccessKeyId")?,
            secret: get("SecretAccessKey")?,
            token: Some(get("SessionToken")?),
        })
    }
}

/// Form-encoding as the AWS SDKs do it: everything but unreserved characters escaped.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A server on a fresh embedded store, and the runtime that drives it.
struct Server {
    rt: tokio::runtime::Runtime,
    app: App,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(min_duration: u64) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let app = rt
            .block_on(App::start(StartOptions {
                account_id: Some(ACCOUNT.into()),
                root_access_key_id: Some(ROOT_KEY.into()),
                root_secret_access_key: Some(ROOT_SECRET.into()),
                sts_min_duration_seconds: min_duration,
                ..StartOptions::new(dir.path())
            }))
            .expect("app start");
        Server { rt, app, _dir: dir }
    }

    /// `POST /` with the form `params` (Action first), signed for `service` with `keys`.
    fn call(&self, service: &str, params: &[(&str, &str)], keys: &Keys) -> Reply {
        let body = params
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, FORM)))
            .collect::<Vec<_>>()
            .join("&");
        let req = signed(service, body, keys);
        self.rt.block_on(async {
            let resp = handle(&self.app, req).await;
            let status = resp.status().as_u16();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Reply {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
    }

    /// A call by root that must succeed (test set-up).
    fn setup(&self, service: &str, params: &[(&str, &str)]) -> Result<Reply, String> {
        let reply = self.call(service, params, &Keys::root());
        if reply.status == 200 {
            Ok(reply)
        } else {
            Err(format!(
                "set-up call {params:?} failed: {} {}",
                reply.status, reply.body
            ))
        }
    }
}

fn signed(service: &str, body: String, keys: &Keys) -> Incoming {
    let identity: Identity = aws_credential_types::Credentials::new(
        keys.id.clone(),
        keys.secret.clone(),
        keys.token.clone(),
        None,
        "privilege-test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), HOST.into()),
        (
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        ),
        ("content-length".into(), body.len().to_string()),
    ];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{HOST}/"),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable request");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    Incoming {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers,
        body: Bytes::from(body),
        remote: SocketAddr::from(([127, 0, 0, 1], 40_000)),
    }
}

// ---- The policy universe and the reference model ----

/// Actions the generated policies name: exact, service wildcards, and unrelated ones.
const ACTIONS: &[&str] = &[
    "iam:GetUser",
    "iam:Get*",
    "iam:*",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "sqs:Get*",
    "sqs:*",
    "s3:GetObject",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "sts:*",
    "*",
];

/// Resources the generated policies name, with `*` and `?` wildcards.
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:iam::123456789012:user/*",
    "arn:aws:iam::123456789012:user/b?b",
    "arn:aws:sqs:us-east-1:123456789012:alpha",
    "arn:aws:sqs:*:123456789012:*",
    "arn:aws:sqs:us-east-1:123456789012:b*",
    "arn:aws:iam::123456789012:role/role0",
    "arn:aws:iam::123456789012:role/*",
    "arn:aws:sts::123456789012:federated-user/*",
    "arn:aws:sts::123456789012:federated-user/fed0",
];

const ROLES: [&str; 2] = ["role0", "role1"];
const FEDERATED_NAMES: [&str; 2] = ["fed0", "fed1"];

#[derive(Clone, Debug)]
struct Statement {
    allow: bool,
    actions: Vec<&'static str>,
    resources: Vec<&'static str>,
}

/// One policy document.
#[derive(Clone, Debug)]
struct Doc(Vec<Statement>);

impl Doc {
    fn json(&self) -> String {
        let statements: Vec<serde_json::Value> = self
            .0
            .iter()
            .map(|s| {
                serde_json::json!({
                    "Effect": if s.allow { "Allow" } else { "Deny" },
                    "Action": s.actions,
                    "Resource": s.resources,
                })
            })
            .collect();
        serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }
}

/// AWS's wildcard match: `*` any run of characters, `?` exactly one.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// What a set of documents says about one request, on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Deny,
    Allow,
    Silent,
}

fn verdict(docs: &[&Doc], action: &str, resource: &str) -> Verdict {
    let action = action.to_ascii_lowercase();
    let mut allowed = false;
    for st in docs.iter().flat_map(|d| &d.0) {
        let matches = st
            .actions
            .iter()
            .any(|a| glob(a.to_ascii_lowercase().as_bytes(), action.as_bytes()))
            && st
                .resources
                .iter()
                .any(|r| glob(r.as_bytes(), resource.as_bytes()));
        if matches && !st.allow {
            return Verdict::Deny;
        }
        allowed |= matches;
    }
    if allowed {
        Verdict::Allow
    } else {
        Verdict::Silent
    }
}

/// What kind of credential, which decides AWS's fixed limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    LongTerm,
    SessionToken,
    Federated,
    AssumedRole,
}

/// A credential and what the model says it may do.
struct Credential {
    keys: Keys,
    kind: Kind,
    /// The identity whose policies bound it: the user, or a role.
    parent: Parent,
    /// Session policies; `None` means the session is not narrowed. A federated session without a
    /// policy has an empty list, which allows nothing.
    session: Option<Vec<Doc>>,
    /// How it was obtained, for failure messages.
    origin: String,
}

#[derive(Debug, Clone, Copy)]
enum Parent {
    User,
    Role(usize),
}

/// The scenario: who holds which policies, and the STS calls to make.
#[derive(Clone, Debug)]
struct Scenario {
    user_policies: Vec<Doc>,
    /// The user's permissions boundary (a managed policy), if any.
    user_boundary: Option<Doc>,
    roles: Vec<RoleSpec>,
    steps: Vec<(Index, Op)>,
    /// After the STS calls, a new text for the user's first policy or a role's permission policy:
    /// the live sessions must follow it at once (revocation is by the parent's policies).
    revision: Option<(Parent, Doc)>,
}

#[derive(Clone, Debug)]
struct RoleSpec {
    permissions: Doc,
    /// The role's permissions boundary (a managed policy), if any.
    boundary: Option<Doc>,
    /// The action the trust policy allows to the account (`None`: no allow statement).
    trust_allows: Option<&'static str>,
    /// The trust policy also denies the account `sts:AssumeRole`.
    trust_denies: bool,
}

impl RoleSpec {
    fn trust_json(&self) -> String {
        let root = serde_json::json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")});
        let mut statements = Vec::new();
        if let Some(action) = self.trust_allows {
            statements.push(serde_json::json!({
                "Effect": "Allow", "Principal": root, "Action": action
            }));
        }
        if self.trust_denies || statements.is_empty() {
            statements.push(serde_json::json!({
                "Effect": "Deny", "Principal": root, "Action": "sts:AssumeRole"
            }));
        }
        serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    fn trusts(&self) -> bool {
        self.trust_allows.is_some() && !self.trust_denies
    }
}

/// One STS call, made with one of the credentials obtained so far.
#[derive(Clone, Debug)]
enum Op {
    GetSessionToken,
    GetFederationToken {
        name: &'static str,
        policy: Option<Doc>,
    },
    AssumeRole {
        role: usize,
        policy: Option<Doc>,
    },
}

struct Model<'a> {
    scenario: &'a Scenario,
}

impl Model<'_> {
    /// Whether `cred` may perform `action` on `resource`, as AWS documents it.
    fn allows(&self, cred: &Credential, action: &str, resource: &str) -> bool {
        let service = action.split(':').next().unwrap_or("");
        let fixed_limit = match cred.kind {
            Kind::SessionToken => {
                service == "iam" || (service == "sts" && action != "sts:AssumeRole")
            }
            Kind::Federated => service == "iam" || service == "sts",
            Kind::LongTerm | Kind::AssumedRole => false,
        };
        if fixed_limit {
            return false;
        }
        let (parent, boundary): (Vec<&Doc>, _) = match cred.parent {
            Parent::User => (
                self.scenario.user_policies.iter().collect(),
                self.scenario.user_boundary.as_ref(),
            ),
            Parent::Role(i) => {
                let role = &self.scenario.roles[i];
                (vec![&role.permissions], role.boundary.as_ref())
            }
        };
        let own = verdict(&parent, action, resource);
        // A boundary only limits: it must allow too, and its denies count.
        let bounded = boundary.is_none_or(|b| verdict(&[b], action, resource) == Verdict::Allow);
        let session = cred
            .session
            .as_ref()
            .map(|docs| verdict(&docs.iter().collect::<Vec<_>>(), action, resource));
        own == Verdict::Allow
            && bounded
            && match session {
                None => true,
                Some(v) => v == Verdict::Allow,
            }
    }
}

// ---- Generators ----

fn statement() -> impl Strategy<Value = Statement> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(select(ACTIONS), 1..=3),
        // `*` weighed up, so that statements match the probes often enough.
        prop::collection::vec(prop_oneof![1 => Just("*"), 3 => select(RESOURCES)], 1..=3),
    )
        .prop_map(|(allow, actions, resources)| Statement {
            allow,
            actions,
            resources,
        })
}

fn doc() -> impl Strategy<Value = Doc> {
    prop::collection::vec(statement(), 1..=3).prop_map(Doc)
}

/// A document that usually also holds `grant` (allowing `action` on every resource), so that STS
/// calls succeed often enough for their sessions to be probed; its random statements may still
/// deny it.
fn doc_with_grant(action: &'static str) -> impl Strategy<Value = Doc> {
    (doc(), prop::bool::weighted(0.7)).prop_map(move |(mut doc, grant)| {
        if grant {
            doc.0.push(Statement {
                allow: true,
                actions: vec![action],
                resources: vec!["*"],
            });
        }
        doc
    })
}

fn role() -> impl Strategy<Value = RoleSpec> {
    (
        doc_with_grant("sts:AssumeRole"),
        prop::option::weighted(0.25, doc_with_grant("sts:AssumeRole")),
        prop::option::weighted(0.85, select(&["sts:AssumeRole", "sts:*"][..])),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(permissions, boundary, trust_allows, trust_denies)| RoleSpec {
                permissions,
                boundary,
                trust_allows,
                trust_denies,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::GetSessionToken),
        2 => (select(&FEDERATED_NAMES[..]), prop::option::of(doc()))
            .prop_map(|(name, policy)| Op::GetFederationToken { name, policy }),
        4 => (0..ROLES.len(), prop::option::of(doc()))
            .prop_map(|(role, policy)| Op::AssumeRole { role, policy }),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (prop::collection::vec(doc(), 0..=1), doc_with_grant("sts:*")).prop_map(
            |(mut docs, granting)| {
                docs.push(granting);
                docs
            },
        ),
        prop::option::weighted(0.25, doc_with_grant("sts:*")),
        prop::collection::vec(role(), ROLES.len()),
        prop::collection::vec((any::<Index>(), op()), 1..=4),
        prop::option::weighted(
            0.3,
            (
                prop_oneof![Just(Parent::User), (0..ROLES.len()).prop_map(Parent::Role)],
                doc(),
            ),
        ),
    )
        .prop_map(
            |(user_policies, user_boundary, roles, steps, revision)| Scenario {
                user_policies,
                user_boundary,
                roles,
                steps,
                revision,
            },
        )
}

// ---- The property ----

/// A request whose answer shows whether the caller holds one right: it has no side effects and
/// succeeds whenever it is allowed (the user and queues it names exist).
struct Probe {
    service: &'static str,
    params: &'static [(&'static str, &'static str)],
    action: &'static str,
    resource: &'static str,
}

const PROBES: &[Probe] = &[
    Probe {
        service: "iam",
        params: &[
            ("Action", "GetUser"),
            ("Version", "2010-05-08"),
            ("UserName", "alice"),
        ],
        action: "iam:GetUser",
        resource: "arn:aws:iam::123456789012:user/alice",
    },
    Probe {
        service: "iam",
        params: &[
            ("Action", "GetUser"),
            ("Version", "2010-05-08"),
            ("UserName", "bob"),
        ],
        action: "iam:GetUser",
        resource: "arn:aws:iam::123456789012:user/bob",
    },
    Probe {
        service: "sqs",
        params: &[
            ("Action", "GetQueueUrl"),
            ("Version", "2012-11-05"),
            ("QueueName", "alpha"),
        ],
        action: "sqs:GetQueueUrl",
        resource: "arn:aws:sqs:us-east-1:123456789012:alpha",
    },
    Probe {
        service: "sqs",
        params: &[
            ("Action", "GetQueueUrl"),
            ("Version", "2012-11-05"),
            ("QueueName", "beta"),
        ],
        action: "sqs:GetQueueUrl",
        resource: "arn:aws:sqs:us-east-1:123456789012:beta",
    },
    Probe {
        service: "sqs",
        params: &[
            ("Action", "GetQueueAttributes"),
            ("Version", "2012-11-05"),
            ("QueueUrl", "http://127.0.0.1:4566/123456789012/beta"),
            ("AttributeName.1", "All"),
        ],
        action: "sqs:GetQueueAttributes",
        resource: "arn:aws:sqs:us-east-1:123456789012:beta",
    },
];

/// The server's answer to a request the model decided: allowed means 200, denied means 403
/// `AccessDenied`; anything else is a failure of its own.
fn observed(reply: &Reply, what: &dyn fmt::Display) -> Result<bool, String> {
    match (reply.status, reply.code().as_str()) {
        (200, _) => Ok(true),
        (403, "AccessDenied") => Ok(false),
        _ => Err(format!(
            "{what}: unexpected answer {} {}",
            reply.status, reply.body
        )),
    }
}

fn compare(server: bool, model: bool, what: &dyn fmt::Display) -> Result<(), String> {
    match (server, model) {
        (true, false) => Err(format!(
            "PRIVILEGE ESCALATION: {what} was allowed, but the parent's and session policies do not allow it"
        )),
        (false, true) => Err(format!(
            "{what} was denied, but the parent's and session policies allow it"
        )),
        _ => Ok(()),
    }
}

/// Creates the scenario's identities, makes its STS calls and checks every answer.
fn run_scenario(s: &Scenario, seen: &mut Coverage) -> Result<(), String> {
    let server = Server::start(900);
    let iam = |params: &[(&str, &str)]| {
        let mut all = params.to_vec();
        all.push(("Version", "2010-05-08"));
        server.setup("iam", &all)
    };
    for name in ["alice", "bob", "parent"] {
        iam(&[("Action", "CreateUser"), ("UserName", name)])?;
    }
    for queue in ["alpha", "beta"] {
        server.setup(
            "sqs",
            &[
                ("Action", "CreateQueue"),
                ("Version", "2012-11-05"),
                ("QueueName", queue),
            ],
        )?;
    }
    for (i, doc) in s.user_policies.iter().enumerate() {
        let name = format!("p{i}");
        iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "parent"),
            ("PolicyName", &name),
            ("PolicyDocument", &doc.json()),
        ])?;
    }
    // Boundaries are managed policies: created, then set by ARN.
    let boundary = |doc: &Doc, name: &str| -> Result<String, String> {
        iam(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", name),
            ("PolicyDocument", &doc.json()),
        ])?
        .field("Arn")
        .ok_or_else(|| "CreatePolicy answered without an Arn".to_owned())
    };
    if let Some(doc) = &s.user_boundary {
        let arn = boundary(doc, "user-boundary")?;
        iam(&[
            ("Action", "PutUserPermissionsBoundary"),
            ("UserName", "parent"),
            ("PermissionsBoundary", &arn),
        ])?;
    }
    for (spec, name) in s.roles.iter().zip(ROLES) {
        iam(&[
            ("Action", "CreateRole"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", &spec.trust_json()),
        ])?;
        if let Some(doc) = &spec.boundary {
            let arn = boundary(doc, &format!("{name}-boundary"))?;
            iam(&[
                ("Action", "PutRolePermissionsBoundary"),
                ("RoleName", name),
                ("PermissionsBoundary", &arn),
            ])?;
        }
        iam(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", name),
            ("PolicyName", "permissions"),
            ("PolicyDocument", &spec.permissions.json()),
        ])?;
    }
    let key = iam(&[("Action", "CreateAccessKey"), ("UserName", "parent")])?;
    let user_keys = Keys {
        id: key.field("AccessKeyId").ok_or("no AccessKeyId")?,
        secret: key.field("SecretAccessKey").ok_or("no SecretAccessKey")?,
        token: None,
    };

    let model = Model { scenario: s };
    let mut creds = vec![Credential {
        keys: user_keys,
        kind: Kind::LongTerm,
        parent: Parent::User,
        session: None,
        origin: "the user's access key".into(),
    }];
    for (index, op) in &s.steps {
        let from = &creds[index.index(creds.len())];
        let (action, resource, mut params, derived) = match op {
            Op::GetSessionToken => (
                "sts:GetSessionToken",
                "*".to_owned(),
                vec![("Action", "GetSessionToken".to_owned())],
                (Kind::SessionToken, Parent::User, None),
            ),
            Op::GetFederationToken { name, policy } => {
                let mut params = vec![
                    ("Action", "GetFederationToken".to_owned()),
                    ("Name", (*name).to_owned()),
                ];
                if let Some(p) = policy {
                    params.push(("Policy", p.json()));
                }
                (
                    "sts:GetFederationToken",
                    format!("arn:aws:sts::{ACCOUNT}:federated-user/{name}"),
                    params,
                    (
                        Kind::Federated,
                        Parent::User,
                        Some(policy.iter().cloned().collect()),
                    ),
                )
            }
            Op::AssumeRole { role, policy } => {
                let arn = format!("arn:aws:iam::{ACCOUNT}:role/{}", ROLES[*role]);
                let mut params = vec![
                    ("Action", "AssumeRole".to_owned()),
                    ("RoleArn", arn.clone()),
                    ("RoleSessionName", format!("s{}", creds.len())),
                ];
                if let Some(p) = policy {
                    params.push(("Policy", p.json()));
                }
                (
                    "sts:AssumeRole",
                    arn,
                    params,
                    (
                        Kind::AssumedRole,
                        Parent::Role(*role),
                        policy.clone().map(|p| vec![p]),
                    ),
                )
            }
        };
        params.push(("Version", "2011-06-15".to_owned()));
        let expected = match op {
            // Authentication operations need no permission, but only long-term keys make them.
            Op::GetSessionToken => from.kind == Kind::LongTerm,
            Op::GetFederationToken { .. } => {
                from.kind == Kind::LongTerm && model.allows(from, action, &resource)
            }
            Op::AssumeRole { role, .. } => {
                s.roles[*role].trusts() && model.allows(from, action, &resource)
            }
        };
        let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = server.call("sts", &borrowed, &from.keys);
        let what = format!("{action} on {resource} with {}", from.origin);
        let allowed = observed(&reply, &what)?;
        compare(allowed, expected, &what)?;
        seen.sts_calls[usize::from(allowed)] += 1;
        if allowed {
            let (kind, parent, session) = derived;
            let origin = format!(
                "the credentials of {action} on {resource} (step {})",
                creds.len()
            );
            creds.push(Credential {
                keys: reply.credentials()?,
                kind,
                parent,
                session,
                origin,
            });
        }
    }

    probe_all(&server, &model, &creds, seen)?;

    if let Some((parent, doc)) = &s.revision {
        let mut revised = s.clone();
        let (action, name_param, name, policy) = match parent {
            Parent::User => {
                revised.user_policies[0] = doc.clone();
                ("PutUserPolicy", "UserName", "parent", "p0")
            }
            Parent::Role(i) => {
                revised.roles[*i].permissions = doc.clone();
                ("PutRolePolicy", "RoleName", ROLES[*i], "permissions")
            }
        };
        iam(&[
            ("Action", action),
            (name_param, name),
            ("PolicyName", policy),
            ("PolicyDocument", &doc.json()),
        ])?;
        let model = Model { scenario: &revised };
        probe_all(&server, &model, &creds, seen)
            .map_err(|e| format!("after the parent's policy changed: {e}"))?;
    }
    Ok(())
}

/// Every probe with every credential, each answer compared with the model's.
fn probe_all(
    server: &Server,
    model: &Model<'_>,
    creds: &[Credential],
    seen: &mut Coverage,
) -> Result<(), String> {
    for cred in creds {
        for probe in PROBES {
            let reply = server.call(probe.service, probe.params, &cred.keys);
            let what = format!(
                "{} on {} with {}",
                probe.action, probe.resource, cred.origin
            );
            let allowed = observed(&reply, &what)?;
            compare(
                allowed,
                model.allows(cred, probe.action, probe.resource),
                &what,
            )?;
            if cred.kind != Kind::LongTerm {
                seen.session_probes[usize::from(allowed)] += 1;
            }
        }
    }
    Ok(())
}

#[test]
fn sessions_never_exceed_their_parents() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let mut runner = TestRunner::new(Config {
        cases,
        // Regressions are turned into table cases by hand; nothing is written into the tree.
        failure_persistence: None,
        ..Config::default()
    });
    let seen = std::cell::RefCell::new(Coverage::default());
    let result = runner.run(&scenario(), |s| {
        run_scenario(&s, &mut seen.borrow_mut()).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // A generator that never obtains a credential, or whose sessions are always refused or always
    // allowed, would pass without testing anything.
    let seen = seen.into_inner();
    eprintln!("{seen:?}");
    assert!(
        seen.sts_calls.iter().all(|n| *n > 0) && seen.session_probes.iter().all(|n| *n > 0),
        "the scenarios did not exercise both outcomes: {seen:?}"
    );
}

/// How many answers of each kind the run checked: `[denied, allowed]`.
#[derive(Debug, Default)]
struct Coverage {
    sts_calls: [u32; 2],
    session_probes: [u32; 2],
}

/// The model's own building blocks, checked on cases whose answers AWS documents.
#[test]
fn the_reference_model_matches_aws_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        ("*", "anything", true),
        ("arn:aws:iam::1:user/*", "arn:aws:iam::1:user/alice", true),
        ("arn:aws:iam::1:user/b?b", "arn:aws:iam::1:user/bob", true),
        ("arn:aws:iam::1:user/b?b", "arn:aws:iam::1:user/bb", false),
        ("arn:aws:sqs:*:1:*", "arn:aws:sqs:us-east-1:1:alpha", true),
        (
            "arn:aws:sqs:us-east-1:1:b*",
            "arn:aws:sqs:us-east-1:1:alpha",
            false,
        ),
        ("sqs:get*", "sqs:getqueueurl", true),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(
            glob(pattern.as_bytes(), text.as_bytes()),
            *expected,
            "{pattern} ~ {text}"
        );
    }
    let allow = Doc(vec![Statement {
        allow: true,
        actions: vec!["sqs:*"],
        resources: vec!["*"],
    }]);
    let deny = Doc(vec![Statement {
        allow: false,
        actions: vec!["sqs:GetQueueUrl"],
        resources: vec!["arn:aws:sqs:us-east-1:123456789012:alpha"],
    }]);
    let alpha = "arn:aws:sqs:us-east-1:123456789012:alpha";
    assert_eq!(verdict(&[&allow], "sqs:GetQueueUrl", alpha), Verdict::Allow);
    assert_eq!(
        verdict(&[&allow, &deny], "sqs:GetQueueUrl", alpha),
        Verdict::Deny
    );
    assert_eq!(verdict(&[&allow], "iam:GetUser", alpha), Verdict::Silent);
}

// ---- Expiry ----

/// The shortest session the expiry test's server accepts.
const SHORT: u64 = 1;
/// The session that makes the chained AssumeRole lasts this long.
const CHAIN_PARENT: u64 = 5;

/// Seconds since the epoch of an STS `Expiration` (`2026-11-23T19:04:28Z`).
fn expiration(reply: &Reply) -> Result<i64, String> {
    let text = reply.field("Expiration").ok_or("no Expiration")?;
    time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("Expiration {text}: {e}"))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn expired_credentials_are_rejected() {
    let server = Server::start(SHORT);
    let all =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let setup = [
        vec![("Action", "CreateUser"), ("UserName", "parent")],
        vec![
            ("Action", "PutUserPolicy"),
            ("UserName", "parent"),
            ("PolicyName", "all"),
            ("PolicyDocument", all),
        ],
        vec![
            ("Action", "CreateRole"),
            ("RoleName", "role0"),
            ("AssumeRolePolicyDocument", &trust),
        ],
        vec![
            ("Action", "PutRolePolicy"),
            ("RoleName", "role0"),
            ("PolicyName", "all"),
            ("PolicyDocument", all),
        ],
    ];
    for mut params in setup {
        params.push(("Version", "2010-05-08"));
        server.setup("iam", &params).expect("set-up");
    }
    let key = server
        .setup(
            "iam",
            &[
                ("Action", "CreateAccessKey"),
                ("Version", "2010-05-08"),
                ("UserName", "parent"),
            ],
        )
        .expect("access key");
    let user = Keys {
        id: key.field("AccessKeyId").expect("AccessKeyId"),
        secret: key.field("SecretAccessKey").expect("SecretAccessKey"),
        token: None,
    };
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/role0");
    // Issues credentials lasting `seconds`, checking that they are not issued for longer.
    let sts = |params: &[(&str, &str)], keys: &Keys, seconds: u64| {
        let seconds_text = seconds.to_string();
        let mut all = params.to_vec();
        all.push(("Version", "2011-06-15"));
        all.push(("DurationSeconds", &seconds_text));
        let issued_at = now();
        let reply = server.call("sts", &all, keys);
        if reply.status != 200 {
            return Err(reply);
        }
        let expires = expiration(&reply).expect("expiration");
        assert!(
            expires >= issued_at && expires <= now() + seconds as i64,
            "{params:?} was issued until {expires}, asked for {seconds} s at {issued_at}"
        );
        Ok((reply.credentials().expect("credentials"), expires))
    };
    let must = |what: &str, r: Result<(Keys, i64), Reply>| match r {
        Ok(issued) => issued,
        Err(reply) => panic!("{what}: {} {}", reply.status, reply.body),
    };
    let role = |name| {
        [
            ("Action", "AssumeRole"),
            ("RoleArn", role_arn.as_str()),
            ("RoleSessionName", name),
        ]
    };
    let mut issued = vec![
        (
            "GetSessionToken",
            must(
                "GetSessionToken",
                sts(&[("Action", "GetSessionToken")], &user, SHORT),
            ),
        ),
        (
            "GetFederationToken",
            must(
                "GetFederationToken",
                sts(
                    &[
                        ("Action", "GetFederationToken"),
                        ("Name", "fed"),
                        ("Policy", all),
                    ],
                    &user,
                    SHORT,
                ),
            ),
        ),
        (
            "AssumeRole",
            must("AssumeRole", sts(&role("first"), &user, SHORT)),
        ),
    ];
    // Role chaining from a role session that lasts a little longer, so that it is still valid
    // when it makes the call (on a machine so slow that it is not, the call must say so).
    let parent = must("AssumeRole", sts(&role("parent"), &user, CHAIN_PARENT));
    match sts(&role("chained"), &parent.0, SHORT) {
        Ok(chained) => issued.push(("chained AssumeRole", chained)),
        Err(reply) => assert_eq!(reply.code(), "ExpiredToken", "{}", reply.body),
    }
    issued.push(("AssumeRole (the chain's parent)", parent));

    let latest = issued.iter().map(|(_, (_, e))| *e).max().unwrap_or(0);
    // The server compares whole seconds (`now >= expires_at`): one second past the latest
    // expiry every credential is stale.
    let wait = (latest + 1 - now()).max(0) as u64;
    std::thread::sleep(Duration::from_secs(wait) + Duration::from_millis(200));

    let requests: [(&str, &[(&str, &str)]); 3] = [
        (
            "sts",
            &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
        ),
        (
            "sqs",
            &[("Action", "ListQueues"), ("Version", "2012-11-05")],
        ),
        (
            "iam",
            &[
                ("Action", "GetUser"),
                ("Version", "2010-05-08"),
                ("UserName", "parent"),
            ],
        ),
    ];
    for (what, (keys, expires)) in &issued {
        assert!(now() > *expires, "{what}: the clock went backwards");
        for (service, params) in requests {
            let reply = server.call(service, params, keys);
            assert_eq!(
                (reply.status, reply.code().as_str()),
                (400, "ExpiredToken"),
                "{what} credentials used for {service} {params:?} after expiry: {}",
                reply.body
            );
        }
    }
}
