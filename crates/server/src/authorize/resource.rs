//! The resource each IAM and STS operation acts on, as the ARN policies are matched against.
//!
//! IAM paths are part of user, group, role and policy ARNs; for operations on existing entities
//! the request names only the entity, so the ARN is built with the default path `/` (a policy
//! that names `user/*` or the plain name matches; one that names a deeper path does not).

use crate::classify::Service;
use tessera_core::Principal;
use tessera_protocol::QueryParams;

pub fn arn(service: Service, action: &str, params: &QueryParams, caller: &Principal) -> String {
    let account = caller.account().as_str();
    match service {
        Service::Iam => iam(action, params, caller, account),
        Service::Sts => sts(action, params, account),
        Service::Sqs | Service::S3 => "*".to_owned(),
    }
}

fn iam(action: &str, params: &QueryParams, caller: &Principal, account: &str) -> String {
    let entity = |kind: &str, name_param: &str| -> String {
        let path = if action.starts_with("Create") {
            params.get("Path").unwrap_or("/")
        } else {
            "/"
        };
        match params.get(name_param) {
            Some(name) => format!("arn:aws:iam::{account}:{kind}{path}{name}"),
            None => format!("arn:aws:iam::{account}:{kind}/"),
        }
    };
    let listing = |kind: &str| -> String {
        let prefix = params.get("PathPrefix").unwrap_or("/");
        format!("arn:aws:iam::{account}:{kind}{prefix}")
    };
    match action {
        "ListUsers" => listing("user"),
        "ListRoles" => listing("role"),
        "ListGroups" => listing("group"),
        "ListPolicies" => listing("policy"),
        "GetAccountAuthorizationDetails" | "SimulateCustomPolicy" => "*".to_owned(),
        "SimulatePrincipalPolicy" => params.get("PolicySourceArn").unwrap_or("*").to_owned(),
        "CreatePolicy" => entity("policy", "PolicyName"),
        a if a.contains("Role") && params.get("RoleName").is_some() => entity("role", "RoleName"),
        "AddUserToGroup" | "RemoveUserFromGroup" => entity("group", "GroupName"),
        a if a.contains("Group")
            && params.get("GroupName").is_some()
            && !a.ends_with("ForUser") =>
        {
            entity("group", "GroupName")
        }
        _ if params.get("UserName").is_some() => entity("user", "UserName"),
        _ if params.get("PolicyArn").is_some() => params.get("PolicyArn").unwrap_or("*").to_owned(),
        // Operations on the caller itself (GetUser, CreateAccessKey and ListAccessKeys without a
        // user name) act on the caller's own ARN.
        _ => caller.arn(),
    }
}

fn sts(action: &str, params: &QueryParams, account: &str) -> String {
    match action {
        "AssumeRole" => params.get("RoleArn").unwrap_or("*").to_owned(),
        "GetFederationToken" => format!(
            "arn:aws:sts::{account}:federated-user/{}",
            params.get("Name").unwrap_or("")
        ),
        _ => "*".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::AccountId;

    #[test]
    fn resources_follow_the_request() {
        let caller = Principal::User {
            account: AccountId::parse("123456789012").unwrap(),
            name: "bob".into(),
            path: "/".into(),
            user_id: "AIDA".into(),
        };
        let cases = [
            (
                Service::Iam,
                "CreateUser",
                "UserName=al&Path=/dev/",
                "arn:aws:iam::123456789012:user/dev/al",
            ),
            (
                Service::Iam,
                "DeleteUser",
                "UserName=al",
                "arn:aws:iam::123456789012:user/al",
            ),
            (
                Service::Iam,
                "GetUser",
                "",
                "arn:aws:iam::123456789012:user/bob",
            ),
            (
                Service::Iam,
                "ListUsers",
                "",
                "arn:aws:iam::123456789012:user/",
            ),
            (
                Service::Iam,
                "PutRolePolicy",
                "RoleName=r&PolicyName=p",
                "arn:aws:iam::123456789012:role/r",
            ),
            (
                Service::Iam,
                "AddUserToGroup",
                "UserName=al&GroupName=g",
                "arn:aws:iam::123456789012:group/g",
            ),
            (
                Service::Iam,
                "ListGroupsForUser",
                "UserName=al",
                "arn:aws:iam::123456789012:user/al",
            ),
            (
                Service::Iam,
                "GetPolicy",
                "PolicyArn=arn:aws:iam::123456789012:policy/p",
                "arn:aws:iam::123456789012:policy/p",
            ),
            (
                Service::Sts,
                "AssumeRole",
                "RoleArn=arn:aws:iam::210987654321:role/r",
                "arn:aws:iam::210987654321:role/r",
            ),
            (
                Service::Sts,
                "GetFederationToken",
                "Name=fed",
                "arn:aws:sts::123456789012:federated-user/fed",
            ),
        ];
        for (service, action, query, expected) in cases {
            let params = QueryParams::parse(query.as_bytes()).unwrap();
            assert_eq!(arn(service, action, &params, &caller), expected, "{action}");
        }
    }
}
