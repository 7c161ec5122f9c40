//! API tests: the real server over HTTP, a fresh database per test, on SQLite
//! and (with `MUSTER_TEST_POSTGRES`) on PostgreSQL.

mod agent_tokens;
mod errors;
mod headers;
mod health;
mod inventory;
mod lineage;
mod session;
