//! Bucket CORS: Put/Get/DeleteBucketCors, the `CORSConfiguration` document ([`parse_cors`],
//! pure), and the two decisions the server asks for: a preflight `OPTIONS` answer and the
//! `Access-Control-*` headers of an actual response. It must never decide authorization: CORS only
//! tells browsers what they may read.

use crate::body::{read_small, RequestBody};
use crate::buckets::update_bucket;
use crate::request::S3Request;
use crate::response::{doc, S3Response};
use crate::{xml_in, Inner, S3Error};
use serde::{Deserialize, Serialize};

const MAX_RULES: usize = 100;
const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// One `CORSRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<u32>,
}

/// Parses and checks a `CORSConfiguration` document.
pub fn parse_cors(doc: &[u8]) -> Result<Vec<CorsRule>, S3Error> {
    let root = xml_in::parse(doc).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "CORSConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    let texts = |el: &xml_in::Element, name: &str| -> Vec<String> {
        el.all(name).map(|c| c.text.trim().to_owned()).collect()
    };
    let mut rules = Vec::new();
    for r in root.all("CORSRule") {
        let rule = CorsRule {
            id: r.child_text("ID").map(str::to_owned),
            allowed_origins: texts(r, "AllowedOrigin"),
            allowed_methods: texts(r, "AllowedMethod"),
            allowed_headers: texts(r, "AllowedHeader"),
            expose_headers: texts(r, "ExposeHeader"),
            max_age_seconds: match r.child_text("MaxAgeSeconds") {
                Some(v) => Some(v.trim().parse().map_err(|_| S3Error::malformed_xml())?),
                None => None,
            },
        };
        if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
            return Err(S3Error::malformed_xml());
        }
        if let Some(m) = rule
            .allowed_methods
            .iter()
            .find(|m| !METHODS.contains(&m.as_str()))
        {
            return Err(S3Error::invalid_request(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
        for o in &rule.allowed_origins {
            if o.matches('*').count() > 1 {
                return Err(S3Error::invalid_request(format!(
                    "AllowedOrigin \"{o}\" can not have more than one wildcard."
                )));
            }
        }
        rules.push(rule);
    }
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(S3Error::malformed_xml());
    }
    Ok(rules)
}

/// `pattern` with at most one `*` matching any run of characters; case-insensitive when `fold`.
fn wildcard(pattern: &str, value: &str, fold: bool) -> bool {
    let (p, v) = if fold {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), value.to_owned())
    };
    match p.split_once('*') {
        None => p == v,
        Some((head, tail)) => {
            v.len() >= head.len() + tail.len() && v.starts_with(head) && v.ends_with(tail)
        }
    }
}

/// The first rule allowing `origin`, `method` and every one of `headers`.
fn find_rule<'a>(
    rules: &'a [CorsRule],
    origin: &str,
    method: &str,
    headers: &[String],
) -> Option<&'a CorsRule> {
    rules.iter().find(|r| {
        r.allowed_origins.iter().any(|o| wildcard(o, origin, false))
            && r.allowed_methods.iter().any(|m| m == method)
            && headers
                .iter()
                .all(|h| r.allowed_headers.iter().any(|a| wildcard(a, h, true)))
    })
}

fn rule_headers(rule: &CorsRule, origin: &str) -> Vec<(String, String)> {
    let any = rule.allowed_origins.iter().any(|o| o == "*");
    let mut out = vec![(
        "Access-Control-Allow-Origin".to_owned(),
        if any {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
    )];
    out.push((
        "Access-Control-Allow-Methods".to_owned(),
        rule.allowed_methods.join(", "),
    ));
    if !any {
        out.push((
            "Access-Control-Allow-Credentials".to_owned(),
            "true".to_owned(),
        ));
    }
    if !rule.expose_headers.is_empty() {
        out.push((
            "Access-Control-Expose-Headers".to_owned(),
            rule.expose_headers.join(", "),
        ));
    }
    if let Some(age) = rule.max_age_seconds {
        out.push(("Access-Control-Max-Age".to_owned(), age.to_string()));
    }
    out.push((
        "Vary".to_owned(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".to_owned(),
    ));
    out
}

async fn rules_of(s: &Inner, bucket: &str) -> Result<Option<Vec<CorsRule>>, S3Error> {
    Ok(crate::buckets::read_bucket(s, bucket).await?.cors.clone())
}

pub(crate) async fn preflight(
    s: &Inner,
    bucket: &str,
    origin: &str,
    method: &str,
    request_headers: &[String],
) -> Result<S3Response, S3Error> {
    let forbidden = |m: &str| S3Error::api("AccessForbidden", 403, m);
    let rules = rules_of(s, bucket)
        .await?
        .ok_or_else(|| forbidden("CORSResponse: CORS is not enabled for this bucket."))?;
    let rule = find_rule(&rules, origin, method, request_headers).ok_or_else(|| {
        forbidden("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
    })?;
    let mut resp = S3Response::empty(200);
    resp.headers = rule_headers(rule, origin);
    if !request_headers.is_empty() {
        resp.headers.push((
            "Access-Control-Allow-Headers".to_owned(),
            request_headers.join(", "),
        ));
    }
    Ok(resp)
}

pub(crate) async fn response_headers(
    s: &Inner,
    bucket: &str,
    origin: &str,
    method: &str,
) -> Result<Vec<(String, String)>, S3Error> {
    let rules = match rules_of(s, bucket).await {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(Vec::new()),
        Err(S3Error::Api { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(find_rule(&rules, origin, method, &[])
        .map(|r| rule_headers(r, origin))
        .unwrap_or_default())
}

pub(crate) async fn put(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let rules = parse_cors(&read_small(req, body, xml_in::MAX_DOC).await?)?;
    update_bucket(s, req.bucket_name()?, move |b| b.cors = Some(rules)).await?;
    Ok(S3Response::empty(200))
}

pub(crate) async fn get(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let rules = rules_of(s, req.bucket_name()?).await?.ok_or_else(|| {
        S3Error::api(
            "NoSuchCORSConfiguration",
            404,
            "The CORS configuration does not exist",
        )
    })?;
    let mut w = doc("CORSConfiguration");
    for r in &rules {
        w.open("CORSRule");
        w.leaf_opt("ID", r.id.as_deref());
        for (tag, list) in [
            ("AllowedHeader", &r.allowed_headers),
            ("AllowedMethod", &r.allowed_methods),
            ("AllowedOrigin", &r.allowed_origins),
            ("ExposeHeader", &r.expose_headers),
        ] {
            for v in list {
                w.leaf(tag, v);
            }
        }
        if let Some(age) = r.max_age_seconds {
            w.leaf("MaxAgeSeconds", &age.to_string());
        }
        w.close("CORSRule");
    }
    w.close("CORSConfiguration");
    Ok(S3Response::xml(w))
}

pub(crate) async fn delete(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    update_bucket(s, req.bucket_name()?, |b| b.cors = None).await?;
    Ok(S3Response::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_headers_match_with_one_wildcard() {
        assert!(wildcard(
            "https://*.example.com",
            "https://a.example.com",
            false
        ));
        assert!(!wildcard(
            "https://*.example.com",
            "http://a.example.com",
            false
        ));
        assert!(wildcard("*", "anything", false));
        assert!(wildcard("x-amz-*", "X-Amz-Date", true));
        assert!(!wildcard("ab*ba", "aba", false));
    }
}
