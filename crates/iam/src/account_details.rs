//! GetAccountAuthorizationDetails: every user, group, role and customer managed policy of the
//! account with their policies, filtered by entity type and paged across all four lists.
//!
//! It must never write the store.

use tessera_protocol::XmlWriter;

use crate::model::{Group, InlinePolicy, ManagedPolicy, Role, User};
use crate::validate::Input;
use crate::{db, groups, inline_policies, keys, managed_policies, xml, Ctx, Iam, IamError, Output};

const FILTERS: [&str; 5] = [
    "User",
    "Role",
    "Group",
    "LocalManagedPolicy",
    "AWSManagedPolicy",
];

/// One entry of the combined listing.
enum Detail {
    User {
        user: User,
        inline: Vec<InlinePolicy>,
        groups: Vec<String>,
        attached: Vec<(String, String)>,
    },
    Group {
        group: Group,
        inline: Vec<InlinePolicy>,
        attached: Vec<(String, String)>,
    },
    Role {
        role: Role,
        inline: Vec<InlinePolicy>,
        attached: Vec<(String, String)>,
    },
    Policy(ManagedPolicy),
}

fn policy_list(w: &mut XmlWriter, tag: &str, list: &[InlinePolicy]) {
    xml::list(w, tag, list, |w, p| {
        w.leaf("PolicyName", &p.name);
        w.leaf("PolicyDocument", &xml::encode_document(&p.document));
    });
}

impl Iam {
    pub(crate) async fn get_account_authorization_details(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let filter: Vec<String> = i.members("Filter").into_iter().map(str::to_owned).collect();
        if let Some(bad) = filter.iter().find(|f| !FILTERS.contains(&f.as_str())) {
            return Err(IamError::validation(
                Some(bad),
                "filter",
                "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]",
            ));
        }
        let wants = move |f: &str| filter.is_empty() || filter.iter().any(|x| x == f);
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let details = self
            .read(move |tx| {
                let prefix = keys::account_prefix(&ctx.account);
                let mut out = Vec::new();
                if wants("User") {
                    for (_, user) in db::scan_all::<User>(tx, keys::USER, &prefix)? {
                        let inline = inline_policies::of(tx, &user.id)?;
                        let groups = groups::groups_of(tx, &user.id)?
                            .into_iter()
                            .map(|g| g.name)
                            .collect();
                        let attached = managed_policies::attached_to(tx, &user.id)?;
                        out.push(Detail::User {
                            user,
                            inline,
                            groups,
                            attached,
                        });
                    }
                }
                if wants("Group") {
                    for (_, group) in db::scan_all::<Group>(tx, keys::GROUP, &prefix)? {
                        let inline = inline_policies::of(tx, &group.id)?;
                        let attached = managed_policies::attached_to(tx, &group.id)?;
                        out.push(Detail::Group {
                            group,
                            inline,
                            attached,
                        });
                    }
                }
                if wants("Role") {
                    for (_, role) in db::scan_all::<Role>(tx, keys::ROLE, &prefix)? {
                        let inline = inline_policies::of(tx, &role.id)?;
                        let attached = managed_policies::attached_to(tx, &role.id)?;
                        out.push(Detail::Role {
                            role,
                            inline,
                            attached,
                        });
                    }
                }
                if wants("LocalManagedPolicy") {
                    for (_, p) in db::scan_all::<ManagedPolicy>(tx, keys::POLICY, &prefix)? {
                        out.push(Detail::Policy(p));
                    }
                }
                Ok(out)
            })
            .await?;
        let page = db::page_vec(details, marker.as_deref(), max)?;
        let (mut users, mut groups, mut roles, mut policies) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for d in &page.items {
            match d {
                Detail::User { .. } => users.push(d),
                Detail::Group { .. } => groups.push(d),
                Detail::Role { .. } => roles.push(d),
                Detail::Policy(_) => policies.push(d),
            }
        }
        let mut w = XmlWriter::new();
        xml::list(&mut w, "UserDetailList", &users, |w, d| {
            if let Detail::User {
                user,
                inline,
                groups,
                attached,
            } = d
            {
                xml::user_fields(w, user, false);
                policy_list(w, "UserPolicyList", inline);
                xml::string_list(w, "GroupList", groups);
                xml::attached(w, "AttachedManagedPolicies", attached);
                xml::boundary(w, user.permissions_boundary.as_deref());
                xml::tags(w, &user.tags);
            }
        });
        xml::list(&mut w, "GroupDetailList", &groups, |w, d| {
            if let Detail::Group {
                group,
                inline,
                attached,
            } = d
            {
                xml::group_fields(w, group);
                policy_list(w, "GroupPolicyList", inline);
                xml::attached(w, "AttachedManagedPolicies", attached);
            }
        });
        xml::list(&mut w, "RoleDetailList", &roles, |w, d| {
            if let Detail::Role {
                role,
                inline,
                attached,
            } = d
            {
                w.leaf("Path", &role.path);
                w.leaf("RoleName", &role.name);
                w.leaf("RoleId", &role.id);
                w.leaf("Arn", &role.arn());
                xml::date(w, "CreateDate", role.created);
                w.leaf(
                    "AssumeRolePolicyDocument",
                    &xml::encode_document(&role.assume_role_policy),
                );
                w.open("InstanceProfileList");
                w.close("InstanceProfileList");
                policy_list(w, "RolePolicyList", inline);
                xml::attached(w, "AttachedManagedPolicies", attached);
                xml::boundary(w, role.permissions_boundary.as_deref());
                xml::tags(w, &role.tags);
                w.open("RoleLastUsed");
                w.close("RoleLastUsed");
            }
        });
        xml::list(&mut w, "Policies", &policies, |w, d| {
            if let Detail::Policy(p) = d {
                xml::policy_fields(w, p, false);
                let mut versions = p.versions.clone();
                versions.sort_by_key(|v| std::cmp::Reverse(v.number));
                xml::list(w, "PolicyVersionList", &versions, |w, v| {
                    xml::version_fields(w, v, p.default_version, true);
                });
            }
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }
}
