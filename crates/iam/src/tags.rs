//! Tags of users and roles: Tag…, Untag…, List…Tags. Keys compare case-insensitively (a tag with
//! an existing key in another case replaces it); at most 50 tags per entity.
//!
//! It must never change anything but an entity's tag list.

use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::entity::{self, Kind};
use crate::model::Tag;
use crate::validate::Input;
use crate::{db, keys, xml, Ctx, Iam, IamError, Output};

const MAX_TAGS: usize = 50;

/// Adds or replaces tags; `LimitExceeded` if the entity would carry more than 50.
pub(crate) fn merge(existing: &mut Vec<Tag>, new: Vec<Tag>) -> Result<(), IamError> {
    for t in new {
        match existing
            .iter_mut()
            .find(|e| e.key.eq_ignore_ascii_case(&t.key))
        {
            Some(e) => *e = t,
            None => existing.push(t),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(IamError::LimitExceeded(format!(
            "The number of tags has reached the maximum limit of {MAX_TAGS}."
        )));
    }
    Ok(())
}

/// Applies `f` to the tags of a user or role, then stores the entity.
fn update(
    tx: &mut dyn Tx,
    kind: Kind,
    account: &AccountId,
    name: &str,
    f: impl FnOnce(&mut Vec<Tag>) -> Result<(), IamError>,
) -> Result<(), IamError> {
    match kind {
        Kind::User => {
            let mut u = entity::load_user(tx, account, name)?;
            f(&mut u.tags)?;
            db::put(tx, keys::USER, &keys::entity(account, &u.name), &u)
        }
        Kind::Role => {
            let mut r = entity::load_role(tx, account, name)?;
            f(&mut r.tags)?;
            db::put(tx, keys::ROLE, &keys::entity(account, &r.name), &r)
        }
        Kind::Group => Err(IamError::InvalidInput(
            "Groups cannot be tagged.".to_owned(),
        )),
    }
}

impl Iam {
    pub(crate) async fn tag_entity(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let tags = i.tags("Tags")?;
        if tags.is_empty() {
            return Err(IamError::validation(
                None,
                "tags",
                "Member must not be null",
            ));
        }
        self.write(move |tx| update(tx, kind, &ctx.account, &name, |t| merge(t, tags)))
            .await?;
        Ok(None)
    }

    pub(crate) async fn untag_entity(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let remove = i.tag_keys("TagKeys")?;
        self.write(move |tx| {
            update(tx, kind, &ctx.account, &name, |t| {
                t.retain(|tag| !remove.iter().any(|k| k.eq_ignore_ascii_case(&tag.key)));
                Ok(())
            })
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn list_entity_tags(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let tags = self
            .read(move |tx| match kind {
                Kind::User => Ok(entity::load_user(tx, &ctx.account, &name)?.tags),
                Kind::Role => Ok(entity::load_role(tx, &ctx.account, &name)?.tags),
                Kind::Group => Err(IamError::InvalidInput(
                    "Groups cannot be tagged.".to_owned(),
                )),
            })
            .await?;
        tags_page(tags, marker.as_deref(), max)
    }
}

/// The `Tags` list of a `List…Tags` response: one page of `tags`.
pub(crate) fn tags_page(
    tags: Vec<Tag>,
    marker: Option<&str>,
    max: usize,
) -> Result<Output, IamError> {
    let page = db::page_vec(tags, marker, max)?;
    let mut w = XmlWriter::new();
    xml::tags(&mut w, &page.items);
    xml::truncation(&mut w, page.marker.as_deref());
    Ok(Some(w.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn merge_replaces_case_insensitively_and_caps_at_fifty() {
        let mut t = vec![tag("Team", "a")];
        assert!(merge(&mut t, vec![tag("team", "b"), tag("x", "y")]).is_ok());
        assert_eq!(t, vec![tag("team", "b"), tag("x", "y")]);
        let many: Vec<Tag> = (0..49).map(|n| tag(&format!("k{n}"), "v")).collect();
        assert!(matches!(
            merge(&mut t, many),
            Err(IamError::LimitExceeded(_))
        ));
    }
}
