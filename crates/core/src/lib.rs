//! Vocabulary shared by every tessera crate: account ids, ARNs, AWS-style unique ids, principals and
//! the clock.
//!
//! This crate owns *names*, not behaviour: it never does I/O, never reads configuration and never
//! depends on another tessera crate, so every other crate can depend on it.
//!
//! - [`account`]: the 12-digit account id.
//! - [`arn`]: parsing and printing Amazon Resource Names.
//! - [`ids`]: AWS-style unique ids (`AIDA…`, `AROA…`) and access key ids (`AKIA…`).
//! - [`principal`]: who is calling (root, user, assumed-role session, federated user).
//! - [`clock`]: the one source of "now", replaceable in tests.

pub mod account;
pub mod arn;
pub mod clock;
pub mod ids;
pub mod principal;

pub use account::AccountId;
pub use arn::Arn;
pub use clock::{Clock, SystemClock};
pub use principal::Principal;
