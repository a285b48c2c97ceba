//! `GetCallerIdentity`: who the credentials belong to. AWS allows it for every caller, even one
//! whose policies deny everything, so it never needs authorization.

use crate::{envelope, CallerContext};

pub fn handle(caller: &CallerContext<'_>, request_id: &str) -> String {
    let p = caller.principal;
    envelope("GetCallerIdentity", request_id, |w| {
        w.leaf("Arn", &p.arn());
        w.leaf("UserId", &p.user_id());
        w.leaf("Account", p.account().as_str());
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::{AccountId, Principal};

    #[test]
    fn root_is_the_account() {
        let root = Principal::Root {
            account: AccountId::parse("123456789012").unwrap(),
        };
        let xml = handle(
            &CallerContext {
                principal: &root,
                session: None,
                mfa_verified: false,
            },
            "rid",
        );
        assert!(xml.contains("<Arn>arn:aws:iam::123456789012:root</Arn>"));
        assert!(xml.contains("<UserId>123456789012</UserId>"));
        assert!(xml.contains("<Account>123456789012</Account>"));
    }
}
