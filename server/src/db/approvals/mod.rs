//! Queries of the approval workflow: the policy's rules, approval requests
//! and their votes, the facts the policy and approvers look at, and
//! queueing decision callbacks in the one outbox.
//!
//! Deciding is a conditional update (`WHERE state = 'pending' AND
//! expires_at > now`), so that of two approvers deciding at the same instant
//! exactly one changes the row, on both engines and across replicas.
//!
//! In sections: the policy's rules (`rules`), the facts it and the approvers
//! look at (`facts`), requests as stored (`requests`), votes and decisions
//! (`decisions`), and the list and one request's detail (`list`).

mod decisions;
mod facts;
mod list;
mod requests;
mod rules;

pub use decisions::{consume, expire, has_voted, overdue, vote, votes};
pub use facts::{
    AgentFacts, Target, agent_facts, agent_has_tool, agents_credential_scopes, apply_change,
    credential_active, credential_for, demo_targets, targets, tool_exists, tool_uses_credential,
};
pub use list::{detail, list, pending_count};
pub use requests::{NewRequest, Stored, agent_of, by_key, create, enqueue_callback, stored};
pub use rules::{delete_rule, next_position, rule_by_id, rules, save_rule};
