//! Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices,
//! Tag/Untag/ListMFADeviceTags, and the
//! check STS runs on a `SerialNumber` + `TokenCode` ([`Iam::verify_mfa_code`]).
//!
//! Seeds are stored sealed by the server's [`crate::SecretCipher`] with the serial number as
//! associated data; the seed leaves this module only in CreateVirtualMFADevice's response. Every
//! accepted code moves the device's last accepted time step forward inside the same transaction
//! that checked it, so no code is accepted twice, even by two nodes at once. This module must
//! never log a seed or a code.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;
use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::access_keys::{owner, resolve};
use crate::model::{MfaDevice, Tag, User};
use crate::validate::{Input, EXISTING_USER_NAME_MAX};
use crate::{db, entity, keys, tags, totp, xml, Ctx, Iam, IamError, Output, SecretCipher};

/// AWS's quota of MFA devices per user.
const MAX_DEVICES_PER_USER: usize = 8;
/// Seed length: 160 bits, RFC 4226's recommendation for HMAC-SHA1.
const SEED_BYTES: usize = 20;
/// Longest device name such that the serial number stays within the model's 256 characters with
/// the root path.
const DEVICE_NAME_MAX: usize = 226;
/// Steps either side of now in which ResyncMFADevice looks for two consecutive codes (ten
/// minutes each way): enough for a device clock that drifted, few enough to keep guessing hard.
const RESYNC_WINDOW: i64 = 20;

/// Which devices ListVirtualMFADevices returns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Assignment {
    Assigned,
    Unassigned,
    Any,
}

fn serial_param(i: &Input<'_>) -> Result<String, IamError> {
    let v = i.required("SerialNumber")?;
    let n = v.chars().count();
    if n < 9 {
        return Err(IamError::validation(
            Some(v),
            "serialNumber",
            "Member must have length greater than or equal to 9",
        ));
    }
    if n > 256 {
        return Err(IamError::validation(
            Some(v),
            "serialNumber",
            "Member must have length less than or equal to 256",
        ));
    }
    let ok = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_+=/:,.@-".contains(&b));
    if !ok {
        return Err(IamError::validation(
            Some(v),
            "serialNumber",
            "Member must satisfy regular expression pattern: [\\w+=/:,.@-]+",
        ));
    }
    Ok(v.to_owned())
}

/// Whether `code` has the shape of a code: exactly six ASCII digits.
fn is_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

fn code_param(i: &Input<'_>, key: &str, field: &str) -> Result<String, IamError> {
    let v = i.required(key)?;
    if v.chars().count() != 6 {
        let constraint = if v.chars().count() < 6 {
            "Member must have length greater than or equal to 6"
        } else {
            "Member must have length less than or equal to 6"
        };
        return Err(IamError::validation(Some(v), field, constraint));
    }
    if !is_code(v) {
        return Err(IamError::validation(
            Some(v),
            field,
            "Member must satisfy regular expression pattern: [\\d]+",
        ));
    }
    Ok(v.to_owned())
}

/// The two codes of EnableMFADevice and ResyncMFADevice.
fn code_pair(i: &Input<'_>) -> Result<(String, String), IamError> {
    Ok((
        code_param(i, "AuthenticationCode1", "authenticationCode1")?,
        code_param(i, "AuthenticationCode2", "authenticationCode2")?,
    ))
}

/// The store key of the device a serial number names, if it has the shape of one of `account`'s
/// virtual device serials (`arn:aws:iam::ACCOUNT:mfa/…/NAME`).
fn device_key(account: &AccountId, serial: &str) -> Option<String> {
    let rest = serial
        .strip_prefix("arn:aws:iam::")?
        .strip_prefix(account.as_str())?
        .strip_prefix(":mfa/")?;
    let name = rest.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some(keys::entity(account, name))
}

/// The device with exactly this serial number, with its store key.
fn find(
    tx: &mut dyn Tx,
    account: &AccountId,
    serial: &str,
) -> Result<Option<(String, MfaDevice)>, IamError> {
    let Some(key) = device_key(account, serial) else {
        return Ok(None);
    };
    Ok(db::get::<MfaDevice>(tx, keys::MFA, &key)?
        .filter(|d| d.serial_number() == serial)
        .map(|d| (key, d)))
}

fn load(
    tx: &mut dyn Tx,
    account: &AccountId,
    serial: &str,
) -> Result<(String, MfaDevice), IamError> {
    find(tx, account, serial)?.ok_or_else(|| IamError::no_such_mfa(serial))
}

fn seal_seed(cipher: &dyn SecretCipher, seed: &[u8], serial: &str) -> String {
    STANDARD.encode(cipher.seal(&STANDARD.encode(seed), serial))
}

fn open_seed(cipher: &dyn SecretCipher, d: &MfaDevice) -> Result<Vec<u8>, IamError> {
    let serial = d.serial_number();
    STANDARD
        .decode(&d.sealed_seed)
        .ok()
        .and_then(|sealed| cipher.open(&sealed, &serial))
        .and_then(|plain| STANDARD.decode(plain).ok())
        .ok_or_else(|| IamError::corrupt(format!("sealed seed of {serial} cannot be opened")))
}

/// The time steps from `now_step + from` to `now_step + to` (clamped at zero).
fn steps(now_step: u64, from: i64, to: i64) -> impl Iterator<Item = u64> {
    let now = i64::try_from(now_step).unwrap_or(i64::MAX);
    let first = u64::try_from(now.saturating_add(from)).unwrap_or(0);
    let last = u64::try_from(now.saturating_add(to)).unwrap_or(0);
    first..=last
}

/// The step of `code2` if `code1` and `code2` are the codes of two consecutive steps, the second
/// within `from..=to` steps of `now_step` and after `after` (the last step already used).
fn consecutive(
    seed: &[u8],
    codes: &(String, String),
    now_step: u64,
    (from, to): (i64, i64),
    after: Option<u64>,
) -> Option<u64> {
    steps(now_step, from, to)
        .filter(|&s| s >= 1 && after.is_none_or(|a| s > a))
        .find(|&s| totp::code(seed, s - 1) == codes.0 && totp::code(seed, s) == codes.1)
}

/// The step a device's code belongs to, if it is valid now: the device's own current step (our
/// step plus its measured drift) or the one before or after, and later than the last accepted.
fn accepted_step(d: &MfaDevice, seed: &[u8], code: &str, now_step: u64) -> Option<u64> {
    steps(
        now_step,
        d.drift.saturating_sub(1),
        d.drift.saturating_add(1),
    )
    .filter(|&s| d.last_step.is_none_or(|a| s > a))
    .find(|&s| totp::code(seed, s) == code)
}

/// `VirtualMFADevice` fields; `user` is the assigned user (`None` for root or unassigned).
fn virtual_device_xml(w: &mut XmlWriter, d: &MfaDevice, user: Option<&User>) {
    w.leaf("SerialNumber", &d.serial_number());
    match (user, &d.owner) {
        (Some(u), _) => {
            w.open("User");
            xml::user_fields(w, u, false);
            w.close("User");
        }
        (None, Some(_)) => {
            w.open("User");
            w.leaf("UserId", d.account.as_str());
            w.leaf("Arn", &d.account.root_arn());
            w.close("User");
        }
        (None, None) => {}
    }
    if let Some(at) = d.enabled {
        xml::date(w, "EnableDate", at);
    }
    if !d.tags.is_empty() {
        xml::tags(w, &d.tags);
    }
}

impl Iam {
    pub(crate) async fn create_virtual_mfa_device(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name("VirtualMFADeviceName", DEVICE_NAME_MAX)?;
        let path = i.path("Path")?;
        let tags = i.tags("Tags")?;
        let mut seed = [0u8; SEED_BYTES];
        rand::thread_rng().fill_bytes(&mut seed);
        let cipher = Arc::clone(&self.inner.cipher);
        let device = self
            .write(move |tx| {
                let key = keys::entity(&ctx.account, &name);
                if tx.get(keys::MFA, &key)?.is_some() {
                    return Err(IamError::EntityAlreadyExists(
                        "MFADevice entity at the same path and name already exists.".to_owned(),
                    ));
                }
                let mut d = MfaDevice {
                    account: ctx.account.clone(),
                    name,
                    path,
                    created: ctx.now,
                    sealed_seed: String::new(),
                    owner: None,
                    enabled: None,
                    drift: 0,
                    last_step: None,
                    tags,
                };
                d.sealed_seed = seal_seed(cipher.as_ref(), &seed, &d.serial_number());
                db::put(tx, keys::MFA, &key, &d)?;
                Ok(d)
            })
            .await?;
        let mut w = XmlWriter::new();
        w.open("VirtualMFADevice");
        w.leaf("SerialNumber", &device.serial_number());
        // A blob member: base64 on the wire, of the base32 text an authenticator app takes.
        w.leaf(
            "Base32StringSeed",
            &STANDARD.encode(totp::base32_encode(&seed)),
        );
        if !device.tags.is_empty() {
            xml::tags(&mut w, &device.tags);
        }
        w.close("VirtualMFADevice");
        Ok(Some(w.finish()))
    }

    pub(crate) async fn enable_mfa_device(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        let serial = serial_param(i)?;
        let codes = code_pair(i)?;
        let cipher = Arc::clone(&self.inner.cipher);
        self.write(move |tx| {
            let user = entity::load_user(tx, &ctx.account, &name)?;
            let (key, d) = load(tx, &ctx.account, &serial)?;
            if d.owner.is_some() {
                return Err(IamError::EntityAlreadyExists(
                    "MFA Device is already in use.".to_owned(),
                ));
            }
            let own = keys::children(&user.id);
            if db::keys(tx, keys::OWNER_MFA, &own)?.len() >= MAX_DEVICES_PER_USER {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}"
                )));
            }
            let seed = open_seed(cipher.as_ref(), &d)?;
            // The second code may be from the step before, the current or the next one.
            let second = consecutive(&seed, &codes, totp::step(ctx.now), (-1, 1), d.last_step)
                .ok_or_else(IamError::invalid_code)?;
            let index = keys::child(&user.id, &d.name.to_ascii_lowercase());
            db::put(tx, keys::OWNER_MFA, &index, &key)?;
            let d = MfaDevice {
                owner: Some(user.id),
                enabled: Some(ctx.now),
                drift: 0,
                last_step: Some(second),
                ..d
            };
            db::put(tx, keys::MFA, &key, &d)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn resync_mfa_device(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        let serial = serial_param(i)?;
        let codes = code_pair(i)?;
        let cipher = Arc::clone(&self.inner.cipher);
        self.write(move |tx| {
            let user = entity::load_user(tx, &ctx.account, &name)?;
            let (key, d) = match find(tx, &ctx.account, &serial)? {
                Some((k, d)) if d.owner.as_deref() == Some(user.id.as_str()) => (k, d),
                _ => return Err(IamError::no_such_mfa(&serial)),
            };
            let seed = open_seed(cipher.as_ref(), &d)?;
            let now_step = totp::step(ctx.now);
            let second = consecutive(
                &seed,
                &codes,
                now_step,
                (-RESYNC_WINDOW, RESYNC_WINDOW),
                d.last_step,
            )
            .ok_or_else(IamError::invalid_code)?;
            let drift = i64::try_from(second)
                .unwrap_or(i64::MAX)
                .saturating_sub(i64::try_from(now_step).unwrap_or(i64::MAX));
            let d = MfaDevice {
                drift,
                last_step: Some(second),
                ..d
            };
            db::put(tx, keys::MFA, &key, &d)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn deactivate_mfa_device(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let owner = owner(&ctx, i)?;
        let serial = serial_param(i)?;
        self.write(move |tx| {
            let (owner_id, _) = resolve(tx, &ctx.account, &owner)?;
            let (key, d) = match find(tx, &ctx.account, &serial)? {
                Some((k, d)) if d.owner.as_deref() == Some(owner_id.as_str()) => (k, d),
                _ => return Err(IamError::no_such_mfa(&serial)),
            };
            let index = keys::child(&owner_id, &d.name.to_ascii_lowercase());
            db::delete(tx, keys::OWNER_MFA, &index)?;
            // The last accepted step stays, so codes seen before cannot be replayed after the
            // device is enabled again.
            let d = MfaDevice {
                owner: None,
                enabled: None,
                drift: 0,
                ..d
            };
            db::put(tx, keys::MFA, &key, &d)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn delete_virtual_mfa_device(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let serial = serial_param(i)?;
        self.write(move |tx| {
            let (key, d) = load(tx, &ctx.account, &serial)?;
            if d.owner.is_some() {
                return Err(IamError::DeleteConflict(
                    "MFA Device is still in use".to_owned(),
                ));
            }
            db::delete(tx, keys::MFA, &key)?;
            Ok(())
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn list_mfa_devices(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let owner = owner(&ctx, i)?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let (user, page) = self
            .read(move |tx| {
                let (owner_id, user) = resolve(tx, &ctx.account, &owner)?;
                let page = db::page(
                    tx,
                    keys::OWNER_MFA,
                    &keys::children(&owner_id),
                    marker.as_deref(),
                    max,
                    |tx, _, key: String| db::get::<MfaDevice>(tx, keys::MFA, &key),
                )?;
                // The root identity has no user name; its devices are reported under the account id.
                Ok((user.unwrap_or_else(|| ctx.account.to_string()), page))
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, "MFADevices", &page.items, |w, d| {
            w.leaf("UserName", &user);
            w.leaf("SerialNumber", &d.serial_number());
            xml::date(w, "EnableDate", d.enabled.unwrap_or(d.created));
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn list_virtual_mfa_devices(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let status = match i.opt("AssignmentStatus") {
            None | Some("Any") => Assignment::Any,
            Some("Assigned") => Assignment::Assigned,
            Some("Unassigned") => Assignment::Unassigned,
            Some(other) => {
                return Err(IamError::validation(
                    Some(other),
                    "assignmentStatus",
                    "Member must satisfy enum value set: [Assigned, Unassigned, Any]",
                ))
            }
        };
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let page = self
            .read(move |tx| {
                db::page(
                    tx,
                    keys::MFA,
                    &keys::account_prefix(&ctx.account),
                    marker.as_deref(),
                    max,
                    |tx, _, d: MfaDevice| {
                        let keep = match status {
                            Assignment::Any => true,
                            Assignment::Assigned => d.owner.is_some(),
                            Assignment::Unassigned => d.owner.is_none(),
                        };
                        if !keep {
                            return Ok(None);
                        }
                        let user = match d.owner.as_deref() {
                            Some(id) if id != d.account.as_str() => {
                                entity::record_by_id::<User>(tx, id)?
                            }
                            _ => None,
                        };
                        Ok(Some((d, user)))
                    },
                )
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, "VirtualMFADevices", &page.items, |w, (d, u)| {
            virtual_device_xml(w, d, u.as_ref());
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    /// Loads the device `SerialNumber` names, applies `f` to its tags and stores it.
    async fn update_mfa_tags(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), IamError> + Send + 'static,
    ) -> Result<Output, IamError> {
        let serial = serial_param(i)?;
        self.write(move |tx| {
            let (key, mut d) = load(tx, &ctx.account, &serial)?;
            f(&mut d.tags)?;
            db::put(tx, keys::MFA, &key, &d)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn tag_mfa_device(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let new = i.tags("Tags")?;
        if new.is_empty() {
            return Err(IamError::validation(
                None,
                "tags",
                "Member must not be null",
            ));
        }
        self.update_mfa_tags(ctx, i, move |t| tags::merge(t, new))
            .await
    }

    pub(crate) async fn untag_mfa_device(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let remove = i.tag_keys("TagKeys")?;
        self.update_mfa_tags(ctx, i, move |t| {
            t.retain(|tag| !remove.iter().any(|k| k.eq_ignore_ascii_case(&tag.key)));
            Ok(())
        })
        .await
    }

    pub(crate) async fn list_mfa_device_tags(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let serial = serial_param(i)?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let (_, d) = self.read(move |tx| load(tx, &ctx.account, &serial)).await?;
        tags::tags_page(d.tags, marker.as_deref(), max)
    }

    /// Checks an MFA code for STS (`SerialNumber` + `TokenCode`). `user_id_or_root` is the caller
    /// that must own the device: a user's unique id (`AIDA…`), or the account id for the root
    /// identity (which has no unique id; GetUser reports the account id as its `UserId`).
    /// `true` only if the device is enabled for that owner and the code is valid now and was not
    /// accepted before; an accepted code is recorded in the same transaction, so it is accepted
    /// exactly once. Unknown devices, other owners, malformed and wrong codes give `false`.
    pub async fn verify_mfa_code(
        &self,
        account: &AccountId,
        serial_number: &str,
        user_id_or_root: &str,
        code: &str,
    ) -> Result<bool, IamError> {
        if !is_code(code) {
            return Ok(false);
        }
        let (account, serial) = (account.clone(), serial_number.to_owned());
        let (owner, code) = (user_id_or_root.to_owned(), code.to_owned());
        let cipher = Arc::clone(&self.inner.cipher);
        let now_step = totp::step(self.now());
        // Only the device's replay guard changes, which no key lookup depends on, so this write
        // leaves the key cache alone.
        self.inner
            .store
            .write(move |tx| {
                let Some((key, d)) = find(tx, &account, &serial)? else {
                    return Ok(false);
                };
                if d.owner.as_deref() != Some(owner.as_str()) {
                    return Ok(false);
                }
                let seed = open_seed(cipher.as_ref(), &d)?;
                let Some(step) = accepted_step(&d, &seed, &code, now_step) else {
                    return Ok(false);
                };
                let d = MfaDevice {
                    last_step: Some(step),
                    ..d
                };
                db::put(tx, keys::MFA, &key, &d)?;
                Ok(true)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountId {
        AccountId::parse("123456789012").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn serials_name_devices_of_their_account_only() {
        let a = account();
        for (serial, key) in [
            (
                "arn:aws:iam::123456789012:mfa/Phone",
                Some("123456789012/phone"),
            ),
            (
                "arn:aws:iam::123456789012:mfa/a/b/Phone",
                Some("123456789012/phone"),
            ),
            ("arn:aws:iam::123456789012:mfa/", None),
            ("arn:aws:iam::999999999999:mfa/Phone", None),
            ("arn:aws:iam::123456789012:user/Phone", None),
            ("GAHT12345678", None),
        ] {
            assert_eq!(device_key(&a, serial).as_deref(), key, "{serial}");
        }
    }

    #[test]
    fn codes_are_six_digits() {
        for (c, ok) in [
            ("123456", true),
            ("000000", true),
            ("12345", false),
            ("1234567", false),
            ("12345a", false),
            ("١٢٣٤٥٦", false),
        ] {
            assert_eq!(is_code(c), ok, "{c}");
        }
    }

    #[test]
    fn accepted_steps_honour_window_drift_and_replay_guard() {
        let seed = b"12345678901234567890";
        let mut d = MfaDevice {
            account: account(),
            name: "phone".into(),
            path: "/".into(),
            created: 0,
            sealed_seed: String::new(),
            owner: Some("AIDAEXAMPLE".into()),
            enabled: Some(0),
            drift: 0,
            last_step: None,
            tags: Vec::new(),
        };
        let now = 1000;
        for (step, ok) in [
            (998, false),
            (999, true),
            (1000, true),
            (1001, true),
            (1002, false),
        ] {
            let code = totp::code(seed, step);
            assert_eq!(
                accepted_step(&d, seed, &code, now) == Some(step),
                ok,
                "{step}"
            );
        }
        d.last_step = Some(1000);
        assert_eq!(accepted_step(&d, seed, &totp::code(seed, 1000), now), None);
        assert_eq!(
            accepted_step(&d, seed, &totp::code(seed, 1001), now),
            Some(1001)
        );
        d.drift = 5;
        assert_eq!(
            accepted_step(&d, seed, &totp::code(seed, 1006), now),
            Some(1006)
        );
        assert_eq!(accepted_step(&d, seed, &totp::code(seed, 1001), now), None);
    }

    #[test]
    fn consecutive_codes_need_the_right_order() {
        let seed = b"12345678901234567890";
        let pair = (totp::code(seed, 99), totp::code(seed, 100));
        assert_eq!(consecutive(seed, &pair, 100, (-1, 1), None), Some(100));
        assert_eq!(consecutive(seed, &pair, 100, (-1, 1), Some(100)), None);
        assert_eq!(consecutive(seed, &pair, 105, (-1, 1), None), None);
        let swapped = (pair.1.clone(), pair.0.clone());
        assert_eq!(consecutive(seed, &swapped, 100, (-1, 1), None), None);
    }
}
