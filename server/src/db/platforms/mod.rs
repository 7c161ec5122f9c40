//! Queries of SaaS and cloud discovery (`import::platforms`): who a
//! platform's handles are, the platform's side of the grants and agents it
//! named, full imports' revocations at the source, and the admins' entries
//! in the catalogue of AI applications.
//!
//! In sections: handles and the people they are (`identities`), the
//! credentials, resources and reach a platform describes (`inventory`), the
//! platform's side of its grants (`grants`) and of its agents (`agents`), and
//! the admins' entries in the catalogue (`catalogue`).

mod agents;
mod catalogue;
mod grants;
mod identities;
mod inventory;

pub use agents::{AgentRow, agent_facts, agent_tool, upsert_agent};
pub use catalogue::{add_ai_app, ai_apps, delete_ai_app};
pub use grants::{
    GrantRow, Held, Promotable, grant_facts, grant_state_at, held_by, promotable, put_grant, revoke_unseen,
    set_grant_agent,
};
pub use identities::{PersonRow, identity, person, put_identity, resolve_owners};
pub use inventory::{Described, add_reach, by_hash, learn_hash, resource, set_reach, upsert_credential};

/// What an upsert did (the same outcome as the inventory file's: made, changed, or as it was).
pub use super::declared::Outcome as Upserted;
