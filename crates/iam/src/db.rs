//! Typed access to the store inside one transaction: JSON (de)serialisation of records, existence
//! checks and paged scans with AWS-style opaque markers.
//!
//! It owns the marker format (base64 of the last returned key, which must lie under the listed
//! prefix); it must never know what the records mean.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_store::{Namespace, Tx};

use crate::IamError;

pub fn get<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    ns: Namespace,
    key: &str,
) -> Result<Option<T>, IamError> {
    match tx.get(ns, key)? {
        Some(bytes) => decode(ns, key, &bytes).map(Some),
        None => Ok(None),
    }
}

pub fn put<T: Serialize>(
    tx: &mut dyn Tx,
    ns: Namespace,
    key: &str,
    value: &T,
) -> Result<(), IamError> {
    let bytes = serde_json::to_vec(value).map_err(IamError::corrupt)?;
    tx.put(ns, key, &bytes)?;
    Ok(())
}

pub fn delete(tx: &mut dyn Tx, ns: Namespace, key: &str) -> Result<bool, IamError> {
    Ok(tx.delete(ns, key)?)
}

/// Whether any key starts with `prefix`.
pub fn any(tx: &mut dyn Tx, ns: Namespace, prefix: &str) -> Result<bool, IamError> {
    Ok(!tx.scan(ns, prefix, None, 1)?.is_empty())
}

/// Every row under `prefix`, in key order.
pub fn scan_all<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    ns: Namespace,
    prefix: &str,
) -> Result<Vec<(String, T)>, IamError> {
    const BATCH: usize = 500;
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let rows = tx.scan(ns, prefix, after.as_deref(), BATCH)?;
        let done = rows.len() < BATCH;
        after = rows.last().map(|(k, _)| k.clone());
        for (k, v) in rows {
            let value = decode(ns, &k, &v)?;
            out.push((k, value));
        }
        if done {
            return Ok(out);
        }
    }
}

/// Keys under `prefix`, in order.
pub fn keys(tx: &mut dyn Tx, ns: Namespace, prefix: &str) -> Result<Vec<String>, IamError> {
    Ok(scan_all::<serde_json::Value>(tx, ns, prefix)?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// One page of a listing. `marker` is set exactly when more matching items follow.
#[derive(Debug)]
pub struct Page<U> {
    pub items: Vec<U>,
    pub marker: Option<String>,
}

/// Pages through `prefix`, keeping the rows for which `f` returns `Some`, at most `max` of them.
/// The marker of a truncated page is the opaque form of the last returned key, so the next page
/// starts right after it even if rows were added or removed meanwhile.
pub fn page<T, U>(
    tx: &mut dyn Tx,
    ns: Namespace,
    prefix: &str,
    marker: Option<&str>,
    max: usize,
    mut f: impl FnMut(&mut dyn Tx, &str, T) -> Result<Option<U>, IamError>,
) -> Result<Page<U>, IamError>
where
    T: DeserializeOwned,
{
    let mut after = match marker {
        Some(m) => Some(decode_marker(m, prefix)?),
        None => None,
    };
    let batch = (max + 1).clamp(16, 1001);
    let mut items = Vec::new();
    let mut last_key: Option<String> = None;
    loop {
        let rows = tx.scan(ns, prefix, after.as_deref(), batch)?;
        let done = rows.len() < batch;
        after = rows.last().map(|(k, _)| k.clone());
        for (k, v) in rows {
            let value: T = decode(ns, &k, &v)?;
            if let Some(u) = f(tx, &k, value)? {
                if items.len() == max {
                    // One more match exists: the page is truncated after the last kept key.
                    let marker = last_key.as_deref().map(encode_marker);
                    return Ok(Page { items, marker });
                }
                items.push(u);
                last_key = Some(k);
            }
        }
        if done {
            return Ok(Page {
                items,
                marker: None,
            });
        }
    }
}

/// Pages through a list built in memory (where items come from several places or are few, such
/// as tags). The marker encodes the offset of the next item.
pub fn page_vec<U>(items: Vec<U>, marker: Option<&str>, max: usize) -> Result<Page<U>, IamError> {
    let start = match marker {
        Some(m) => decode_marker(m, "#")?[1..]
            .parse::<usize>()
            .map_err(|_| IamError::InvalidInput("Invalid Marker.".to_owned()))?,
        None => 0,
    };
    let total = items.len();
    let items: Vec<U> = items.into_iter().skip(start).take(max).collect();
    let end = start + items.len();
    let marker = (end < total).then(|| encode_marker(&format!("#{end}")));
    Ok(Page { items, marker })
}

pub fn encode_marker(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// The key a marker stands for; it must lie under `prefix`, so a marker from another listing or
/// account cannot be used to read outside this one.
pub fn decode_marker(marker: &str, prefix: &str) -> Result<String, IamError> {
    URL_SAFE_NO_PAD
        .decode(marker.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|k| k.starts_with(prefix))
        .ok_or_else(|| IamError::InvalidInput("Invalid Marker.".to_owned()))
}

fn decode<T: DeserializeOwned>(ns: Namespace, key: &str, bytes: &[u8]) -> Result<T, IamError> {
    serde_json::from_slice(bytes).map_err(|e| IamError::corrupt(format!("{ns} {key}: {e}")))
}
