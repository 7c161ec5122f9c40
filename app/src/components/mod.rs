//! Reusable widgets shared by the screens.

pub mod attestation;
pub mod change_request;
pub mod chart;
pub mod endpoint;
pub mod form;
pub mod graph;
pub mod guard;
pub mod issued_tokens;
pub mod owner;
pub mod page;
pub mod platform;
pub mod reach;
pub mod revocation;
pub mod risk;
pub mod search;
pub mod shell;
pub mod stat;
pub mod tokens;
