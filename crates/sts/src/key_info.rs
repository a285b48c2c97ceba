//! `GetAccessKeyInfo`: the account an access key id belongs to.
//!
//! Temporary key ids carry their account (see `credentials`); long-term ones are looked up in IAM.

use crate::credentials::account_of_temporary_key;
use crate::{envelope, Sts, StsError};
use tessera_protocol::QueryParams;

pub async fn handle(sts: &Sts, params: &QueryParams, request_id: &str) -> Result<String, StsError> {
    let id = params
        .get("AccessKeyId")
        .ok_or_else(|| StsError::constraint("null", "accessKeyId", "Member must not be null"))?;
    if !(16..=128).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(StsError::constraint(
            id,
            "accessKeyId",
            "Member must satisfy regular expression pattern: [\\w]*",
        ));
    }
    let account = match account_of_temporary_key(id) {
        Some(account) => Some(account),
        None => sts
            .iam()
            .access_key(id)
            .await?
            .map(|record| record.principal.account().to_string()),
    };
    let account = account.ok_or_else(|| {
        StsError::InvalidParameterValue(format!("The access key ID {id} is not valid."))
    })?;
    Ok(envelope("GetAccessKeyInfo", request_id, |w| {
        w.leaf("Account", &account);
    }))
}
