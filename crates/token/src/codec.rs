//! The compact binary encoding of [`SessionClaims`] inside a sealed token.
//!
//! Owns the plaintext byte layout. It never encrypts, and never trusts a length or count it has
//! not checked against the bytes that remain: even though the plaintext is authenticated before
//! it is decoded, a bug or a leaked key must not turn into a panic or a huge allocation.
//!
//! Layout (the token's version byte, outside this module, names this layout):
//! ```text
//! kind u8 | flags u8 | issued_at varint | expires_at varint
//! access_key_id | secret_access_key | account_id | principal_arn | principal_id
//! parent_arn | parent_id
//! [session_policy bytes]            if FLAG_POLICY (deflated if FLAG_POLICY_DEFLATED)
//! count, policy_arns…
//! count, (key, value)…
//! count, transitive_tag_keys…
//! [source_identity]                 if FLAG_SOURCE_IDENTITY
//! ```
//! Strings and byte fields are a LEB128 length followed by the bytes; counts are LEB128. Nothing
//! may follow the last field.

use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::claims::{SessionClaims, SessionKind};
use crate::error::TokenError;

/// Largest session policy (in bytes, before compression) that a token may carry. AWS caps the
/// plaintext at 2,048 characters; the headroom keeps our own limit out of the way.
pub const MAX_SESSION_POLICY_LEN: usize = 64 * 1024;

const FLAG_MFA: u8 = 1;
const FLAG_CHAINED: u8 = 1 << 1;
const FLAG_POLICY: u8 = 1 << 2;
const FLAG_POLICY_DEFLATED: u8 = 1 << 3;
const FLAG_SOURCE_IDENTITY: u8 = 1 << 4;
const KNOWN_FLAGS: u8 =
    FLAG_MFA | FLAG_CHAINED | FLAG_POLICY | FLAG_POLICY_DEFLATED | FLAG_SOURCE_IDENTITY;

/// Reserve at most this many elements up front for a decoded list, whatever its count says.
const MAX_PREALLOCATED: usize = 16;

fn kind_to_byte(kind: SessionKind) -> u8 {
    match kind {
        SessionKind::SessionToken => 1,
        SessionKind::Federated => 2,
        SessionKind::AssumedRole => 3,
        SessionKind::WebIdentity => 4,
    }
}

fn kind_from_byte(byte: u8) -> Result<SessionKind, TokenError> {
    match byte {
        1 => Ok(SessionKind::SessionToken),
        2 => Ok(SessionKind::Federated),
        3 => Ok(SessionKind::AssumedRole),
        4 => Ok(SessionKind::WebIdentity),
        _ => Err(TokenError::Malformed),
    }
}

/// Appends the encoding of `claims` to `out`.
pub(crate) fn encode(claims: &SessionClaims, out: &mut Vec<u8>) -> Result<(), TokenError> {
    let policy = match &claims.session_policy {
        Some(text) if text.len() > MAX_SESSION_POLICY_LEN => return Err(TokenError::TooLarge),
        Some(text) => Some(match deflate(text.as_bytes()) {
            Some(packed) if packed.len() < text.len() => (packed, true),
            _ => (text.as_bytes().to_vec(), false),
        }),
        None => None,
    };

    let mut flags = 0;
    if claims.mfa_authenticated {
        flags |= FLAG_MFA;
    }
    if claims.chained {
        flags |= FLAG_CHAINED;
    }
    if let Some((_, deflated)) = &policy {
        flags |= FLAG_POLICY;
        if *deflated {
            flags |= FLAG_POLICY_DEFLATED;
        }
    }
    if claims.source_identity.is_some() {
        flags |= FLAG_SOURCE_IDENTITY;
    }

    out.push(kind_to_byte(claims.kind));
    out.push(flags);
    put_varint(out, claims.issued_at);
    put_varint(out, claims.expires_at);
    for text in [
        &claims.access_key_id,
        &claims.secret_access_key,
        &claims.account_id,
        &claims.principal_arn,
        &claims.principal_id,
        &claims.parent_arn,
        &claims.parent_id,
    ] {
        put_bytes(out, text.as_bytes());
    }
    if let Some((bytes, _)) = &policy {
        put_bytes(out, bytes);
    }
    put_len(out, claims.policy_arns.len());
    for arn in &claims.policy_arns {
        put_bytes(out, arn.as_bytes());
    }
    put_len(out, claims.tags.len());
    for (key, value) in &claims.tags {
        put_bytes(out, key.as_bytes());
        put_bytes(out, value.as_bytes());
    }
    put_len(out, claims.transitive_tag_keys.len());
    for key in &claims.transitive_tag_keys {
        put_bytes(out, key.as_bytes());
    }
    if let Some(identity) = &claims.source_identity {
        put_bytes(out, identity.as_bytes());
    }
    Ok(())
}

/// Decodes exactly one [`SessionClaims`] from `bytes`; anything left over is an error.
pub(crate) fn decode(bytes: &[u8]) -> Result<SessionClaims, TokenError> {
    let mut r = Reader { rest: bytes };
    let kind = kind_from_byte(r.byte()?)?;
    let flags = r.byte()?;
    if flags & !KNOWN_FLAGS != 0 || (flags & FLAG_POLICY_DEFLATED != 0 && flags & FLAG_POLICY == 0)
    {
        return Err(TokenError::Malformed);
    }
    let issued_at = r.varint()?;
    let expires_at = r.varint()?;
    let access_key_id = r.string()?;
    let secret_access_key = r.string()?;
    let account_id = r.string()?;
    let principal_arn = r.string()?;
    let principal_id = r.string()?;
    let parent_arn = r.string()?;
    let parent_id = r.string()?;
    let session_policy = if flags & FLAG_POLICY == 0 {
        None
    } else if flags & FLAG_POLICY_DEFLATED == 0 {
        Some(r.string()?)
    } else {
        Some(inflate(r.bytes()?)?)
    };
    let policy_arns = r.list(Reader::string)?;
    let tags = r.list(|r| Ok((r.string()?, r.string()?)))?;
    let transitive_tag_keys = r.list(Reader::string)?;
    let source_identity = if flags & FLAG_SOURCE_IDENTITY == 0 {
        None
    } else {
        Some(r.string()?)
    };
    if !r.rest.is_empty() {
        return Err(TokenError::Malformed);
    }
    Ok(SessionClaims {
        access_key_id,
        secret_access_key,
        account_id,
        kind,
        principal_arn,
        principal_id,
        parent_arn,
        parent_id,
        session_policy,
        policy_arns,
        tags,
        transitive_tag_keys,
        source_identity,
        mfa_authenticated: flags & FLAG_MFA != 0,
        issued_at,
        expires_at,
        chained: flags & FLAG_CHAINED != 0,
    })
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // usize is at most 64 bits on every target Rust supports, so this is lossless.
    put_varint(out, len as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// `None` only if the encoder reports an error, which writing into a `Vec` does not; the caller
/// then stores the policy uncompressed.
fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder =
        DeflateEncoder::new(Vec::with_capacity(bytes.len() / 2), Compression::default());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// Inflates a session policy, refusing output beyond [`MAX_SESSION_POLICY_LEN`] (so a small
/// field cannot expand into a huge allocation) and input the stream does not consume.
fn inflate(packed: &[u8]) -> Result<String, TokenError> {
    let mut decoder = DeflateDecoder::new(packed);
    let mut text = Vec::new();
    (&mut decoder)
        .take(MAX_SESSION_POLICY_LEN as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|_| TokenError::Malformed)?;
    if text.len() > MAX_SESSION_POLICY_LEN || decoder.total_in() != packed.len() as u64 {
        return Err(TokenError::Malformed);
    }
    String::from_utf8(text).map_err(|_| TokenError::Malformed)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, TokenError> {
        let (&first, rest) = self.rest.split_first().ok_or(TokenError::Malformed)?;
        self.rest = rest;
        Ok(first)
    }

    /// LEB128, at most ten bytes, minimal (no trailing zero groups), no overflow: each value has
    /// exactly one accepted encoding.
    fn varint(&mut self) -> Result<u64, TokenError> {
        let mut value = 0u64;
        for index in 0..10 {
            let byte = self.byte()?;
            let group = u64::from(byte & 0x7f);
            if index == 9 && group > 1 {
                return Err(TokenError::Malformed);
            }
            value |= group << (7 * index);
            if byte & 0x80 == 0 {
                if byte == 0 && index > 0 {
                    return Err(TokenError::Malformed);
                }
                return Ok(value);
            }
        }
        Err(TokenError::Malformed)
    }

    /// A length or count, which can never exceed the bytes left (every element takes at least
    /// one byte).
    fn len(&mut self) -> Result<usize, TokenError> {
        let len = self.varint()?;
        usize::try_from(len)
            .ok()
            .filter(|&len| len <= self.rest.len())
            .ok_or(TokenError::Malformed)
    }

    fn bytes(&mut self) -> Result<&'a [u8], TokenError> {
        let len = self.len()?;
        let (field, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(field)
    }

    fn string(&mut self) -> Result<String, TokenError> {
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| TokenError::Malformed)
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, TokenError>,
    ) -> Result<Vec<T>, TokenError> {
        let count = self.len()?;
        let mut items = Vec::with_capacity(count.min(MAX_PREALLOCATED));
        for _ in 0..count {
            items.push(item(self)?);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAQWERTYUIOPASDF23".into(),
            secret_access_key: "s3cr3t/+abc".into(),
            account_id: "123456789012".into(),
            kind: SessionKind::AssumedRole,
            principal_arn: "arn:aws:sts::123456789012:assumed-role/Deploy/ci".into(),
            principal_id: "AROAEXAMPLEEXAMPLE:ci".into(),
            parent_arn: "arn:aws:iam::123456789012:role/Deploy".into(),
            parent_id: "AROAEXAMPLEEXAMPLE".into(),
            session_policy: Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/*"}]}"#
                    .into(),
            ),
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            tags: vec![("team".into(), "infra".into())],
            transitive_tag_keys: vec!["team".into()],
            source_identity: Some("alice".into()),
            mfa_authenticated: true,
            issued_at: 1_700_000_000,
            expires_at: 1_700_003_600,
            chained: true,
        }
    }

    fn encoded(claims: &SessionClaims) -> Vec<u8> {
        let mut out = Vec::new();
        assert_eq!(encode(claims, &mut out), Ok(()));
        out
    }

    #[test]
    fn round_trips_and_deflates_a_repetitive_policy() {
        let claims = sample();
        let bytes = encoded(&claims);
        assert_ne!(
            bytes[1] & FLAG_POLICY_DEFLATED,
            0,
            "policy should be stored deflated"
        );
        assert_eq!(decode(&bytes), Ok(claims));
    }

    #[test]
    fn a_short_policy_is_stored_raw() {
        let mut claims = sample();
        claims.session_policy = Some("{}".into());
        let bytes = encoded(&claims);
        assert_eq!(bytes[1] & FLAG_POLICY_DEFLATED, 0);
        assert_eq!(decode(&bytes), Ok(claims));
    }

    #[test]
    fn varints_round_trip_at_the_edges_and_reject_other_spellings() {
        for value in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            let mut r = Reader { rest: &out };
            assert_eq!(r.varint(), Ok(value));
            assert!(r.rest.is_empty());
        }
        let rejected: [&[u8]; 5] = [
            &[0x80, 0x00],                                                 // non-minimal zero
            &[0x81, 0x00],                                                 // trailing zero group
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], // overflows u64
            &[0x80; 11],                                                   // too long
            &[0x80],                                                       // truncated
        ];
        for bytes in rejected {
            assert_eq!(
                Reader { rest: bytes }.varint(),
                Err(TokenError::Malformed),
                "{bytes:?}"
            );
        }
    }

    /// Offset of the access key id's length: after kind, flags and the two varint times.
    fn times_end(bytes: &[u8]) -> usize {
        let mut r = Reader { rest: &bytes[2..] };
        assert!(r.varint().is_ok() && r.varint().is_ok());
        bytes.len() - r.rest.len()
    }

    #[test]
    fn rejects_absurd_lengths_and_counts() {
        let valid = encoded(&sample());
        let times_end = times_end(&valid);
        let mut huge_string = valid[..times_end].to_vec();
        put_varint(&mut huge_string, u64::MAX);
        huge_string.extend_from_slice(&valid[times_end + 1..]);
        assert_eq!(decode(&huge_string), Err(TokenError::Malformed));

        let mut one_too_long = valid[..times_end].to_vec();
        put_varint(&mut one_too_long, (valid.len() - times_end) as u64);
        one_too_long.extend_from_slice(&valid[times_end + 1..]);
        assert_eq!(decode(&one_too_long), Err(TokenError::Malformed));

        // A list count far beyond the bytes left.
        let mut minimal = SessionClaims {
            session_policy: None,
            source_identity: None,
            ..sample()
        };
        minimal.policy_arns.clear();
        minimal.tags.clear();
        minimal.transitive_tag_keys.clear();
        let bytes = encoded(&minimal);
        let (head, tail) = bytes.split_at(bytes.len() - 3);
        assert_eq!(tail, [0, 0, 0]);
        let mut huge_count = head.to_vec();
        put_varint(&mut huge_count, 1 << 40);
        huge_count.extend_from_slice(&[0, 0]);
        assert_eq!(decode(&huge_count), Err(TokenError::Malformed));
    }

    #[test]
    fn rejects_bad_structure() {
        let valid = encoded(&sample());
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut trailing = valid.clone();
        trailing.push(0);
        cases.push(("trailing byte", trailing));
        let mut bad_kind = valid.clone();
        bad_kind[0] = 9;
        cases.push(("unknown kind", bad_kind));
        let mut bad_flags = valid.clone();
        bad_flags[1] |= 0x80;
        cases.push(("unknown flag", bad_flags));
        let mut deflated_without_policy = encoded(&SessionClaims {
            session_policy: None,
            ..sample()
        });
        deflated_without_policy[1] |= FLAG_POLICY_DEFLATED;
        cases.push(("deflated flag without a policy", deflated_without_policy));
        let mut not_utf8 = valid.clone();
        not_utf8[times_end(&valid) + 1] = 0xff; // first byte of the access key id
        cases.push(("invalid UTF-8", not_utf8));
        for cut in 0..valid.len() {
            cases.push(("truncated", valid[..cut].to_vec()));
        }
        for (name, bytes) in cases {
            assert_eq!(
                decode(&bytes),
                Err(TokenError::Malformed),
                "{name}: {bytes:?}"
            );
        }
    }

    #[test]
    fn inflate_bounds_its_output_and_checks_its_input() {
        let bomb = deflate(&vec![b' '; MAX_SESSION_POLICY_LEN + 1]).unwrap_or_default();
        assert!(bomb.len() < 1_000);
        assert_eq!(inflate(&bomb), Err(TokenError::Malformed));

        let fits = deflate(&vec![b' '; MAX_SESSION_POLICY_LEN]).unwrap_or_default();
        assert_eq!(inflate(&fits).map(|t| t.len()), Ok(MAX_SESSION_POLICY_LEN));

        let mut trailing = deflate(b"{\"Version\":\"2012-10-17\"}").unwrap_or_default();
        trailing.push(0);
        assert_eq!(inflate(&trailing), Err(TokenError::Malformed));
        assert_eq!(inflate(&[0xff, 0xff, 0xff]), Err(TokenError::Malformed));
    }

    #[test]
    fn refuses_to_encode_an_oversized_policy() {
        let claims = SessionClaims {
            session_policy: Some(" ".repeat(MAX_SESSION_POLICY_LEN + 1)),
            ..sample()
        };
        assert_eq!(encode(&claims, &mut Vec::new()), Err(TokenError::TooLarge));
    }

    proptest! {
        #[test]
        fn decode_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_mutated_encodings(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut bytes = encoded(&sample());
            for (index, value) in edits {
                let at = index.index(bytes.len());
                bytes[at] = value;
            }
            let _ = decode(&bytes);
        }
    }
}
