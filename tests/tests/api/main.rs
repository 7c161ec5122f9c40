//! API tests: the real server over HTTP, a fresh database per test, on SQLite
//! and (with `MUSTER_TEST_POSTGRES`) on PostgreSQL.

mod accounts;
mod activity;
mod agent_tokens;
mod approval;
mod audit;
mod coverage;
mod declared;
mod endpoint;
mod errors;
mod headers;
mod health;
mod iam;
mod import;
mod inventory;
mod limits;
mod lineage;
mod notify;
mod oidc;
mod ownership;
mod platforms;
mod replicas;
mod reviews;
mod revocation;
mod risk;
mod scim;
mod session;
