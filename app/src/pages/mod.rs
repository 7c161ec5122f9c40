//! The routed screens, one module each.

pub mod admin;
pub mod approvals;
pub mod audit;
pub mod entity;
pub mod graph;
pub mod imports;
pub mod inventory;
pub mod not_found;
pub mod notifications;
pub mod overview;
pub mod reviews;
pub mod revocations;
pub mod sign_in;
pub mod teams;
