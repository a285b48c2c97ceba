//! Which service and protocol a request speaks, decided before authentication.
//!
//! One port serves everything, so the request itself must say where it goes. In order of
//! precedence: tessera's own paths; `X-Amz-Target` (awsJson1_0); the SigV4 credential scope's
//! service (unless the Query protocol's `Version` names another of our Query services: the request
//! then goes there, and authentication refuses a scope for the wrong service as AWS does); for
//! Query requests without a scope (SigV2, unsigned) the `Version` parameter, then the action's
//! name, then the host name; everything else is S3 REST.

use crate::incoming::Incoming;
use tessera_protocol::QueryParams;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Iam,
    Sts,
    Sqs,
    S3,
}

impl Service {
    /// The SigV4 signing name and IAM action prefix.
    pub fn name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Sqs => "sqs",
            Service::S3 => "s3",
        }
    }

    /// The XML namespace of the service's Query-protocol responses and errors.
    pub fn xmlns(self) -> &'static str {
        match self {
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            Service::Sqs => "http://queue.amazonaws.com/doc/2012-11-05/",
            Service::S3 => "http://s3.amazonaws.com/doc/2006-03-01/",
        }
    }

    fn from_scope(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            "sqs" => Some(Service::Sqs),
            "s3" => Some(Service::S3),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    Metrics,
    /// awsQuery: form or query-string parameters in, XML out.
    Query(Service),
    /// awsJson1_0 with `X-Amz-Target: <prefix>.<Operation>`.
    Json(Service),
    /// A SigV4 scope naming a service tessera does not serve.
    UnknownService,
    S3,
}

pub fn classify(req: &Incoming, params: &QueryParams) -> Route {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET" | "HEAD", "/_tessera/health") => return Route::Health,
        ("GET", "/_tessera/metrics") => return Route::Metrics,
        _ => {}
    }
    if let Some(target) = req.header("x-amz-target") {
        return if target.starts_with("AmazonSQS.") {
            Route::Json(Service::Sqs)
        } else {
            Route::UnknownService
        };
    }
    match scope_of(req, params).map(|scope| scope.split('/').collect::<Vec<_>>()) {
        // KEY/DATE/REGION/SERVICE/aws4_request
        Some(parts) if parts.len() == 5 => {
            return match Service::from_scope(parts[3]) {
                Some(Service::S3) => Route::S3,
                Some(service) => Route::Query(version_service(params).unwrap_or(service)),
                None => Route::UnknownService,
            };
        }
        // A malformed scope: route it as a Query request so authentication reports the
        // malformed signature (IncompleteSignature) in that protocol.
        Some(_) => {
            let action = params.action().unwrap_or("");
            return Route::Query(unscoped_query_service(req, params, action));
        }
        None => {}
    }
    if let Some(action) = params.action() {
        return Route::Query(unscoped_query_service(req, params, action));
    }
    Route::S3
}

/// Whether a request whose head alone has been read is S3 REST, so that its body must stream to
/// the S3 service instead of being read whole. Form posts are never S3 here: their body may hold
/// the Query protocol's `Action`.
pub fn streams_to_s3(head: &Incoming) -> bool {
    !head.has_form_body() && route_of_head(head) == Route::S3
}

/// The route of a request judged by its head alone, for answering it without reading its body (a
/// connection shed under overload, a body or query string that could not be read). Without a
/// scope, S3 is only the fallback: an unscoped form post carries its `Action` in the body, and a
/// query string the Query decoder refuses (too many parameters, invalid UTF-8) may still name an
/// `Action`; both are the Query protocol's, so that the error comes in the envelope the client
/// parses.
pub fn route_of_head(head: &Incoming) -> Route {
    let parsed = QueryParams::parse(head.query.as_bytes());
    let empty = QueryParams::default();
    let params = parsed.as_ref().unwrap_or(&empty);
    let route = classify(head, params);
    let query_like = head.has_form_body() || (parsed.is_err() && names_action(&head.query));
    if route == Route::S3 && query_like && scope_of(head, params).is_none() {
        Route::Query(unscoped_query_service(head, params, ""))
    } else {
        route
    }
}

/// Whether a raw query string has an `Action` parameter (S3 has none).
fn names_action(query: &str) -> bool {
    query
        .split('&')
        .any(|pair| pair.split('=').next() == Some("Action"))
}

fn scope_of<'a>(req: &'a Incoming, params: &'a QueryParams) -> Option<&'a str> {
    if let Some(auth) = req.header("authorization") {
        if let Some(rest) = auth.trim_start().strip_prefix("AWS4-HMAC-SHA256") {
            let start = rest.find("Credential=")? + "Credential=".len();
            let cred = &rest[start..];
            let end = cred.find([',', ' ']).unwrap_or(cred.len());
            return Some(&cred[..end]);
        }
    }
    params.get("X-Amz-Credential")
}

/// The Query service whose API version the request names.
fn version_service(params: &QueryParams) -> Option<Service> {
    match params.get("Version") {
        Some("2010-05-08") => Some(Service::Iam),
        Some("2011-06-15") => Some(Service::Sts),
        Some("2012-11-05") => Some(Service::Sqs),
        _ => None,
    }
}

fn unscoped_query_service(req: &Incoming, params: &QueryParams, action: &str) -> Service {
    if let Some(service) = version_service(params) {
        return service;
    }
    if tessera_sts::Action::is_sts_action(action) {
        return Service::Sts;
    }
    let host = req.header("host").unwrap_or("");
    if host.starts_with("sqs.") || host.starts_with("queue.") {
        Service::Sqs
    } else if host.starts_with("sts.") {
        Service::Sts
    } else {
        Service::Iam
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str, query: &str, headers: &[(&str, &str)]) -> Incoming {
        Incoming {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: bytes::Bytes::new(),
            remote: "127.0.0.1:1".parse().unwrap(),
        }
    }

    fn route(r: &Incoming) -> Route {
        classify(r, &QueryParams::parse(r.query.as_bytes()).unwrap())
    }

    #[test]
    fn routes_by_precedence() {
        let v4 = "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00";
        let cases = [
            (req("GET", "/_tessera/health", "", &[]), Route::Health),
            (req("POST", "/", "", &[("x-amz-target", "AmazonSQS.SendMessage")]), Route::Json(Service::Sqs)),
            (req("POST", "/", "", &[("authorization", v4)]), Route::Query(Service::Sts)),
            (req("GET", "/", "Action=ListUsers&Version=2010-05-08", &[]), Route::Query(Service::Iam)),
            (req("GET", "/", "Action=GetSessionToken", &[]), Route::Query(Service::Sts)),
            (req("GET", "/", "Action=CreateQueue", &[("host", "sqs.us-east-2.amazonaws.com")]), Route::Query(Service::Sqs)),
            (req("GET", "/", "X-Amz-Credential=AK%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&Action=GetCallerIdentity", &[]), Route::Query(Service::Sts)),
            (req("GET", "/", "X-Amz-Credential=AK/20240101/us-east-1/ec2/aws4_request", &[]), Route::UnknownService),
            (req("POST", "/", "", &[("authorization", "AWS4-HMAC-SHA256 Credential=AKIA, SignedHeaders=host, Signature=00")]), Route::Query(Service::Iam)),
            (req("GET", "/bucket/key", "", &[]), Route::S3),
            // Signed for IAM but naming STS's API version: STS's, so that authentication can
            // refuse the scope.
            (req("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", &[("authorization", &v4.replace("/sts/", "/iam/"))]), Route::Query(Service::Sts)),
        ];
        for (r, expected) in cases {
            assert_eq!(route(&r), expected, "{r:?}");
        }
    }

    #[test]
    fn routes_by_head_alone() {
        let form = ("content-type", "application/x-www-form-urlencoded");
        let v4 = "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00";
        let many = "a=1&".repeat(tessera_protocol::query::MAX_PARAMS + 1);
        let cases = [
            (req("POST", "/", "", &[form]), Route::Query(Service::Iam)),
            (
                req("POST", "/", "", &[form, ("host", "sts.example.com")]),
                Route::Query(Service::Sts),
            ),
            (
                req("POST", "/", "", &[form, ("authorization", v4)]),
                Route::Query(Service::Sqs),
            ),
            (
                req("POST", "/", "", &[("x-amz-target", "AmazonSQS.ListQueues")]),
                Route::Json(Service::Sqs),
            ),
            (req("PUT", "/bucket/key", "", &[]), Route::S3),
            (req("GET", "/", &many, &[]), Route::S3),
            // A query string the Query decoder refuses, naming an Action or scoped to STS.
            (
                req("GET", "/", &format!("Action=ListUsers&{many}"), &[]),
                Route::Query(Service::Iam),
            ),
            (
                req(
                    "GET",
                    "/",
                    "Action=GetCallerIdentity&X=%FF",
                    &[("authorization", &v4.replace("/sqs/", "/sts/"))],
                ),
                Route::Query(Service::Sts),
            ),
            (
                req(
                    "GET",
                    "/bucket",
                    "prefix=%FF",
                    &[("authorization", &v4.replace("/sqs/", "/s3/"))],
                ),
                Route::S3,
            ),
        ];
        for (r, expected) in cases {
            assert_eq!(route_of_head(&r), expected, "{r:?}");
        }
    }
}
