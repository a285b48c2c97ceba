//! The committed JWKS is the public half of the committed private keys.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::Value;

#[test]
fn jwks_fixture_holds_the_public_halves_of_the_pem_fixtures() {
    let jwks: Value = serde_json::from_str(common::JWKS_JSON).unwrap();
    let keys = jwks["keys"].as_array().unwrap();

    let rsa = common::rsa_key();
    assert_eq!(keys[0]["kid"], "rsa-1");
    assert_eq!(keys[0]["n"], URL_SAFE_NO_PAD.encode(rsa.n().to_bytes_be()));
    assert_eq!(keys[0]["e"], URL_SAFE_NO_PAD.encode(rsa.e().to_bytes_be()));

    let point = common::ec_key().verifying_key().to_encoded_point(false);
    assert_eq!(keys[1]["kid"], "ec-1");
    assert_eq!(keys[1]["x"], URL_SAFE_NO_PAD.encode(point.x().unwrap()));
    assert_eq!(keys[1]["y"], URL_SAFE_NO_PAD.encode(point.y().unwrap()));
}
