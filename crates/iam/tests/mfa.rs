//! Virtual MFA devices through `Iam::handle`, with codes computed by the crate's TOTP module at a
//! fixed test clock, and the STS check `Iam::verify_mfa_code`.

mod common;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{harness_with_clock, value, values, Harness, TestClock, ACCOUNT};
use tessera_core::{AccountId, Principal};
use tessera_iam::totp;

/// 2026-11-23T12:00:00Z, the start of a time step.
const T0: u64 = 1_795_435_200;

struct Fixture {
    h: Harness,
    clock: Arc<TestClock>,
    serial: String,
    seed: Vec<u8>,
    alice_id: String,
}

impl Fixture {
    fn step(&self) -> u64 {
        totp::step(common_now(&self.clock))
    }

    fn code(&self, step: u64) -> String {
        totp::code(&self.seed, step)
    }

    async fn enable(&self, code1: &str, code2: &str) -> Result<String, tessera_iam::IamError> {
        self.h
            .call(&[
                ("Action", "EnableMFADevice"),
                ("UserName", "alice"),
                ("SerialNumber", &self.serial),
                ("AuthenticationCode1", code1),
                ("AuthenticationCode2", code2),
            ])
            .await
    }

    async fn enable_now(&self) {
        let s = self.step();
        let (c1, c2) = (self.code(s - 1), self.code(s));
        if let Err(e) = self.enable(&c1, &c2).await {
            panic!("enable failed: {e}");
        }
    }

    async fn verify(&self, owner: &str, code: &str) -> bool {
        let account = AccountId::parse(ACCOUNT).expect("account");
        self.h
            .iam
            .verify_mfa_code(&account, &self.serial, owner, code)
            .await
            .expect("verify")
    }
}

fn common_now(clock: &TestClock) -> u64 {
    use tessera_core::Clock as _;
    clock.now_unix()
}

/// A user `alice` and a device `alice-phone` under `/staff/`, created at `T0`.
async fn fixture() -> Fixture {
    let clock = TestClock::at(T0);
    let h = harness_with_clock(clock.clone()).await;
    let user = h
        .ok(&[("Action", "CreateUser"), ("UserName", "alice")])
        .await;
    let alice_id = value(&user, "UserId").expect("UserId");
    let xml = h
        .ok(&[
            ("Action", "CreateVirtualMFADevice"),
            ("VirtualMFADeviceName", "alice-phone"),
            ("Path", "/staff/"),
        ])
        .await;
    let serial = value(&xml, "SerialNumber").expect("SerialNumber");
    let seed_b64 = value(&xml, "Base32StringSeed").expect("Base32StringSeed");
    let base32 = String::from_utf8(STANDARD.decode(seed_b64).expect("base64")).expect("utf8");
    let seed = totp::base32_decode(&base32).expect("base32");
    Fixture {
        h,
        clock,
        serial,
        seed,
        alice_id,
    }
}

#[tokio::test]
async fn create_returns_serial_and_base64_of_a_base32_seed() {
    let f = fixture().await;
    assert_eq!(f.serial, "arn:aws:iam::123456789012:mfa/staff/alice-phone");
    assert_eq!(f.seed.len(), 20);
    let dup =
        f.h.err(&[
            ("Action", "CreateVirtualMFADevice"),
            ("VirtualMFADeviceName", "ALICE-PHONE"),
        ])
        .await;
    assert_eq!(dup.0, "EntityAlreadyExists");
    assert_eq!(dup.1, 409);
    let bad =
        f.h.err_code(&[
            ("Action", "CreateVirtualMFADevice"),
            ("VirtualMFADeviceName", "a/b"),
        ])
        .await;
    assert_eq!(bad, "ValidationError");
    let tagged =
        f.h.ok(&[
            ("Action", "CreateVirtualMFADevice"),
            ("VirtualMFADeviceName", "spare"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "ops"),
        ])
        .await;
    assert_eq!(value(&tagged, "Key").as_deref(), Some("team"));
}

#[tokio::test]
async fn enable_requires_two_consecutive_current_codes() {
    let f = fixture().await;
    let s = f.step();
    let bad_cases = [
        ("wrong digits", "000000".to_owned(), "000000".to_owned()),
        ("reversed", f.code(s), f.code(s - 1)),
        ("not consecutive", f.code(s - 2), f.code(s)),
        ("too old", f.code(s - 3), f.code(s - 2)),
        ("too new", f.code(s + 1), f.code(s + 2)),
    ];
    for (what, c1, c2) in bad_cases {
        // A random seed can make a fixed code valid by chance; skip that one case.
        if c1 == f.code(s - 1) && c2 == f.code(s) {
            continue;
        }
        let e = f.enable(&c1, &c2).await.err().map(|e| e.to_aws());
        let e = e.unwrap_or_else(|| panic!("{what}: enabled"));
        assert_eq!(
            (e.code.as_ref(), e.status, e.message.as_str()),
            (
                "InvalidAuthenticationCode",
                403,
                "Authentication code for device is not valid."
            ),
            "{what}"
        );
    }
    for (c1, c2) in [("12345", "123456"), ("12a456", "123456")] {
        let e = f.enable(c1, c2).await.err().map(|e| e.to_aws().code);
        assert_eq!(e.as_deref(), Some("ValidationError"), "{c1}");
    }
    // The step before and the current one; one step of clock skew either way is accepted.
    f.enable(&f.code(s), &f.code(s + 1)).await.expect("enable");
}

#[tokio::test]
async fn enabled_device_is_listed_and_cannot_be_enabled_twice() {
    let f = fixture().await;
    f.enable_now().await;
    let listed =
        f.h.ok(&[("Action", "ListMFADevices"), ("UserName", "alice")])
            .await;
    assert_eq!(values(&listed, "SerialNumber"), vec![f.serial.clone()]);
    assert_eq!(value(&listed, "UserName").as_deref(), Some("alice"));
    assert_eq!(
        value(&listed, "EnableDate").as_deref(),
        Some("2026-11-23T12:00:00Z")
    );
    // Without UserName, the caller's own devices.
    let alice = Principal::User {
        account: f.h.account.clone(),
        name: "alice".into(),
        path: "/".into(),
        user_id: f.alice_id.clone(),
    };
    let own =
        f.h.call_as(&alice, &[("Action", "ListMFADevices")])
            .await
            .expect("list");
    assert_eq!(values(&own, "SerialNumber"), vec![f.serial.clone()]);
    let root = f.h.ok(&[("Action", "ListMFADevices")]).await;
    assert!(values(&root, "SerialNumber").is_empty());

    f.clock.advance(60);
    let s = f.step();
    let again = f.enable(&f.code(s - 1), &f.code(s)).await.err();
    assert_eq!(
        again.map(|e| e.to_aws().code.to_string()).as_deref(),
        Some("EntityAlreadyExists")
    );
    let nobody =
        f.h.err_code(&[
            ("Action", "EnableMFADevice"),
            ("UserName", "bob"),
            ("SerialNumber", &f.serial),
            ("AuthenticationCode1", "123456"),
            ("AuthenticationCode2", "123456"),
        ])
        .await;
    assert_eq!(nobody, "NoSuchEntity");
    let no_device =
        f.h.err(&[
            ("Action", "EnableMFADevice"),
            ("UserName", "alice"),
            ("SerialNumber", "arn:aws:iam::123456789012:mfa/none"),
            ("AuthenticationCode1", "123456"),
            ("AuthenticationCode2", "123456"),
        ])
        .await;
    assert_eq!(no_device.0, "NoSuchEntity");
    assert_eq!(
        no_device.2,
        "MFA Device with serial number arn:aws:iam::123456789012:mfa/none does not exist."
    );
}

#[tokio::test]
async fn list_virtual_devices_by_assignment() {
    let f = fixture().await;
    f.h.ok(&[
        ("Action", "CreateVirtualMFADevice"),
        ("VirtualMFADeviceName", "spare"),
    ])
    .await;
    f.enable_now().await;
    let spare = "arn:aws:iam::123456789012:mfa/spare".to_owned();
    for (status, want) in [
        (None, vec![f.serial.clone(), spare.clone()]),
        (Some("Any"), vec![f.serial.clone(), spare.clone()]),
        (Some("Assigned"), vec![f.serial.clone()]),
        (Some("Unassigned"), vec![spare.clone()]),
    ] {
        let mut p = vec![("Action", "ListVirtualMFADevices")];
        if let Some(s) = status {
            p.push(("AssignmentStatus", s));
        }
        let xml = f.h.ok(&p).await;
        assert_eq!(values(&xml, "SerialNumber"), want, "{status:?}");
        // Seeds are returned only once, at creation.
        assert!(!xml.contains("Base32StringSeed"));
    }
    let assigned =
        f.h.ok(&[
            ("Action", "ListVirtualMFADevices"),
            ("AssignmentStatus", "Assigned"),
        ])
        .await;
    assert_eq!(value(&assigned, "UserName").as_deref(), Some("alice"));
    let page =
        f.h.ok(&[("Action", "ListVirtualMFADevices"), ("MaxItems", "1")])
            .await;
    assert_eq!(value(&page, "IsTruncated").as_deref(), Some("true"));
    let marker = value(&page, "Marker").expect("marker");
    let next =
        f.h.ok(&[("Action", "ListVirtualMFADevices"), ("Marker", &marker)])
            .await;
    assert_eq!(values(&next, "SerialNumber"), vec![spare]);
    let bad =
        f.h.err_code(&[
            ("Action", "ListVirtualMFADevices"),
            ("AssignmentStatus", "Maybe"),
        ])
        .await;
    assert_eq!(bad, "ValidationError");
}

#[tokio::test]
async fn verify_accepts_each_valid_code_once_for_the_owner_only() {
    let f = fixture().await;
    assert!(
        !f.verify(&f.alice_id, &f.code(f.step())).await,
        "not enabled yet"
    );
    f.enable_now().await;
    let s = f.step();
    // The codes used to enable the device cannot be used again.
    assert!(!f.verify(&f.alice_id, &f.code(s)).await);
    f.clock.advance(totp::STEP_SECONDS);
    let next = f.code(s + 1);
    assert!(
        !f.verify("AIDAOTHERUSER00000000", &next).await,
        "other owner"
    );
    assert!(!f.verify(ACCOUNT, &next).await, "root does not own it");
    assert!(!f.verify(&f.alice_id, "12345").await, "malformed");
    let wrong = if next == "000000" { "111111" } else { "000000" };
    assert!(!f.verify(&f.alice_id, wrong).await, "wrong code");
    assert!(f.verify(&f.alice_id, &next).await, "fresh code");
    assert!(!f.verify(&f.alice_id, &next).await, "reused code");
    // The next step's code is valid already (one step of skew), the previous one no longer.
    assert!(f.verify(&f.alice_id, &f.code(s + 2)).await);
    f.clock.advance(10 * totp::STEP_SECONDS);
    assert!(!f.verify(&f.alice_id, &f.code(s + 3)).await, "expired");
    assert!(f.verify(&f.alice_id, &f.code(f.step())).await);
    let account = AccountId::parse(ACCOUNT).expect("account");
    let unknown =
        f.h.iam
            .verify_mfa_code(
                &account,
                "arn:aws:iam::123456789012:mfa/none",
                &f.alice_id,
                "123456",
            )
            .await;
    assert_eq!(unknown.ok(), Some(false));
}

#[tokio::test]
async fn resync_measures_drift_for_later_codes() {
    let f = fixture().await;
    f.enable_now().await;
    let s = f.step();
    let resync = |c1: String, c2: String| {
        let h = &f.h;
        let serial = f.serial.clone();
        async move {
            h.call(&[
                ("Action", "ResyncMFADevice"),
                ("UserName", "alice"),
                ("SerialNumber", &serial),
                ("AuthenticationCode1", &c1),
                ("AuthenticationCode2", &c2),
            ])
            .await
        }
    };
    // The device runs ten steps (five minutes) ahead.
    let far = resync(f.code(s + 100), f.code(s + 101)).await.err();
    assert_eq!(
        far.map(|e| e.to_aws().code.to_string()).as_deref(),
        Some("InvalidAuthenticationCode")
    );
    resync(f.code(s + 9), f.code(s + 10)).await.expect("resync");
    assert!(!f.verify(&f.alice_id, &f.code(s + 1)).await, "our step");
    assert!(f.verify(&f.alice_id, &f.code(s + 11)).await, "device step");
}

#[tokio::test]
async fn enabled_devices_block_deletes_until_deactivated() {
    let f = fixture().await;
    f.enable_now().await;
    let delete_device = [
        ("Action", "DeleteVirtualMFADevice"),
        ("SerialNumber", f.serial.as_str()),
    ];
    let e = f.h.err(&delete_device).await;
    assert_eq!((e.0.as_str(), e.1), ("DeleteConflict", 409));
    let e =
        f.h.err(&[("Action", "DeleteUser"), ("UserName", "alice")])
            .await;
    assert_eq!((e.0.as_str(), e.1), ("DeleteConflict", 409));

    // Deactivating needs the owning user.
    let f2 =
        f.h.ok(&[("Action", "CreateUser"), ("UserName", "bob")])
            .await;
    assert!(value(&f2, "UserId").is_some());
    let wrong_user =
        f.h.err_code(&[
            ("Action", "DeactivateMFADevice"),
            ("UserName", "bob"),
            ("SerialNumber", &f.serial),
        ])
        .await;
    assert_eq!(wrong_user, "NoSuchEntity");
    f.h.ok(&[
        ("Action", "DeactivateMFADevice"),
        ("UserName", "alice"),
        ("SerialNumber", &f.serial),
    ])
    .await;
    f.clock.advance(totp::STEP_SECONDS);
    assert!(
        !f.verify(&f.alice_id, &f.code(f.step())).await,
        "deactivated"
    );
    let listed =
        f.h.ok(&[("Action", "ListMFADevices"), ("UserName", "alice")])
            .await;
    assert!(values(&listed, "SerialNumber").is_empty());

    f.h.ok(&[("Action", "DeleteUser"), ("UserName", "alice")])
        .await;
    f.h.ok(&delete_device).await;
    assert_eq!(f.h.err_code(&delete_device).await, "NoSuchEntity");
}

#[tokio::test]
async fn device_tags() {
    let f = fixture().await;
    f.h.ok(&[
        ("Action", "TagMFADevice"),
        ("SerialNumber", &f.serial),
        ("Tags.member.1.Key", "Owner"),
        ("Tags.member.1.Value", "alice"),
        ("Tags.member.2.Key", "kind"),
        ("Tags.member.2.Value", "phone"),
    ])
    .await;
    let list = [("Action", "ListMFADeviceTags"), ("SerialNumber", &f.serial)];
    assert_eq!(values(&f.h.ok(&list).await, "Key"), vec!["Owner", "kind"]);
    f.h.ok(&[
        ("Action", "UntagMFADevice"),
        ("SerialNumber", &f.serial),
        ("TagKeys.member.1", "owner"),
    ])
    .await;
    assert_eq!(values(&f.h.ok(&list).await, "Key"), vec!["kind"]);
    let missing =
        f.h.err_code(&[
            ("Action", "ListMFADeviceTags"),
            ("SerialNumber", "arn:aws:iam::123456789012:mfa/none"),
        ])
        .await;
    assert_eq!(missing, "NoSuchEntity");
}
