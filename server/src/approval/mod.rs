//! The approval workflow's service: agents and people ask, the policy or
//! approvers decide, the decision is signed, and an approved change is
//! recorded in the inventory. The HTTP handlers (`http/approvals.rs`), the
//! access reviews, the CLI's demo and the approvals worker all call it; it
//! calls the queries in [`crate::db::approvals`].
//!
//! - [`policy`]: what an approval binds to and which rule applies (no storage);
//! - [`keys`]: the Ed25519 key that signs decisions and callbacks;
//! - [`submit`]: asking, in the caller's transaction;
//! - [`decide`]: votes, expiry and use of an approval;
//! - [`rules`]: the policy's rules, edited by admins;
//! - [`callbacks`]: decision callbacks and the expiry worker;
//! - [`demo`]: a demo organisation's pending requests.

pub mod callbacks;
pub mod decide;
pub mod demo;
pub mod keys;
pub mod policy;
pub mod rules;
pub mod submit;

pub use callbacks::{CALLBACK_TIMEOUT, Callbacks, spawn_worker};
pub use keys::{DecisionKey, KeyError, decision_token};
pub use policy::{
    Change, DEFAULT_EXPIRES_IN, DEFAULT_RULE, Facts, MAX_PARAMETERS_BYTES, Ruling, canonical, evaluate,
    operation_matches,
};
pub use submit::{Asked, Requester, Submitted, body_hash, request_change, status, submit, submit_now};
