//! Encoded authorization messages: why a request was denied, readable only through
//! `DecodeAuthorizationMessage`.
//!
//! The server describes a denial as JSON (AWS's decoded shape: allowed, explicitDeny,
//! matchedStatements, context with principal, action, resource and conditions); this module seals
//! it under the master key so that the caller who received it learns nothing until someone with
//! `sts:DecodeAuthorizationMessage` decodes it.

use crate::{envelope, Sts, StsError};
use base64::Engine;
use tessera_protocol::QueryParams;
use tessera_token::{decrypt_secret, encrypt_secret, MasterKey};

/// Binds the ciphertext to its purpose so no other sealed blob can be decoded as a message.
const AAD: &[u8] = b"tessera authorization message";
/// AWS's limit on `EncodedMessage`.
const MAX_ENCODED: usize = 10_240;

pub fn seal(master: &MasterKey, decoded_json: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(encrypt_secret(
        master,
        decoded_json.as_bytes(),
        AAD,
    ))
}

pub fn decode(sts: &Sts, params: &QueryParams, request_id: &str) -> Result<String, StsError> {
    let encoded = params
        .get("EncodedMessage")
        .ok_or_else(|| StsError::constraint("null", "encodedMessage", "Member must not be null"))?;
    if encoded.is_empty() || encoded.len() > MAX_ENCODED {
        return Err(StsError::constraint(
            "encodedMessage",
            "encodedMessage",
            &format!("Member must have length between 1 and {MAX_ENCODED}"),
        ));
    }
    let invalid = || StsError::InvalidAuthorizationMessage;
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim())
        .map_err(|_| invalid())?;
    let plain = decrypt_secret(sts.inner.keys.master(), &sealed, AAD).map_err(|_| invalid())?;
    let text = String::from_utf8(plain).map_err(|_| invalid())?;
    Ok(envelope("DecodeAuthorizationMessage", request_id, |w| {
        w.leaf("DecodedMessage", &text);
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_refuses_tampering() {
        let m = MasterKey::from_bytes([3; 32]);
        let sealed = seal(&m, r#"{"allowed":false}"#);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&sealed)
            .unwrap();
        assert_eq!(
            decrypt_secret(&m, &bytes, AAD).unwrap(),
            br#"{"allowed":false}"#
        );
        assert!(decrypt_secret(&MasterKey::from_bytes([4; 32]), &bytes, AAD).is_err());
        assert!(decrypt_secret(&m, &bytes, b"other purpose").is_err());
    }
}
