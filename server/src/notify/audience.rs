//! Who hears of each event, and what they are told: the plan by which the
//! event courier queues its messages.

use model::api::{self as json, NotifyEvent, Role};
use serde_json::Value;
use sqlx::AnyConnection;

use super::{Config, Notice};
use crate::ApiError;
use crate::db::notify as db;

/// Who hears of an event, and what they are told.
pub(super) struct Plan {
    /// What they are told.
    pub(super) notice: Notice,
    /// People, by email, and why each is told.
    pub(super) people: Vec<(String, String)>,
    /// A channel told whatever it listens to (a rule's approvers' channel).
    pub(super) channel: Option<i64>,
}

fn refs(value: &Value) -> Vec<json::Ref> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// At most this many items are listed in a message; the link shows the rest.
const LISTED: usize = 20;

fn listed(lines: &mut Vec<String>, kind: &str, items: &[json::Ref]) {
    for item in items.iter().take(LISTED) {
        lines.push(format!("{kind}: {}", item.name));
    }
    if items.len() > LISTED {
        lines.push(format!("and {} more {kind}s", items.len() - LISTED));
    }
}

/// Who should hear of an event, and what to tell them; `None` when nobody
/// (a request decided before its notice went out).
pub(super) async fn plan(
    conn: &mut AnyConnection,
    config: &Config,
    event: NotifyEvent,
    facts: &Value,
) -> Result<Option<Plan>, ApiError> {
    let id = |name: &str| facts[name].as_i64().unwrap_or_default();
    Ok(match event {
        NotifyEvent::ApprovalRequested | NotifyEvent::ApprovalReminder => {
            let Some(request) = db::request_facts(conn, id("request")).await? else {
                return Ok(None);
            };
            if request.state != json::ApprovalState::Pending.as_str() {
                return Ok(None);
            }
            let role: Role = request.approver_role.parse().unwrap_or(Role::Approver);
            let mut excluded = db::voters(conn, request.id).await?;
            excluded.push(request.requested_by.clone());
            // The parties nobody asks to decide (`approval::decide`'s `party`):
            // the agent's owner and deployer, then and now, by their person.
            let parties = [
                request.owner_id,
                request.deployer_id,
                request.owner_then,
                request.deployer_then,
            ];
            let why = format!(
                "You hold the {} role, which the rule \u{201c}{}\u{201d} asks to decide this request.",
                role.label(),
                request.rule_name
            );
            let people = db::accounts_with_role(conn, role)
                .await?
                .into_iter()
                .filter(|a| !excluded.iter().any(|e| e.eq_ignore_ascii_case(&a.email)))
                .filter(|a| a.person_id.is_none_or(|p| !parties.contains(&Some(p))))
                .map(|a| (a.email, why.clone()))
                .collect();
            let target = request
                .resource_name
                .as_deref()
                .map(|r| format!(" on {r}"))
                .unwrap_or_default();
            let more = request.required_approvals - request.approvals;
            let needed = match (request.required_approvals, more) {
                (2, 1) => "One approval given; one more person must approve.".to_owned(),
                (2, _) => "Two different people must approve.".to_owned(),
                _ => "One approval decides it.".to_owned(),
            };
            let title = if event == NotifyEvent::ApprovalReminder {
                format!(
                    "Reminder: {} asks to {}{target}, and expires soon",
                    request.agent_name, request.operation
                )
            } else {
                format!("{} asks to {}{target}", request.agent_name, request.operation)
            };
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines: vec![
                        format!("Rule: {}", request.rule_name),
                        needed,
                        format!("Decide by {}.", request.expires_at),
                        "The parameters and the agent's risk are on the request's page.".to_owned(),
                    ],
                    link: config.link(&format!("/approvals?request={}", request.id)),
                    action: "Decide in Muster".to_owned(),
                },
                people,
                channel: request.channel_id,
            })
        }
        NotifyEvent::ApprovalDecided => {
            let Some(request) = db::request_facts(conn, id("request")).await? else {
                return Ok(None);
            };
            let mut people = Vec::new();
            if let Some(owner) = request.owner_id
                && let Some(email) = db::active_email(conn, owner).await?
            {
                people.push((email, format!("You own agent {}.", request.agent_name)));
            }
            if request.requested_by.contains('@') && db::standing_account(conn, &request.requested_by).await?
            {
                people.push((
                    request.requested_by.clone(),
                    "You asked for this change.".to_owned(),
                ));
            }
            let voters = db::voters(conn, request.id).await?;
            let mut lines = vec![format!("Rule: {}", request.rule_name)];
            if !voters.is_empty() {
                lines.push(format!("Decided by {}.", voters.join(", ")));
            }
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!(
                        "{}'s request to {} was {}",
                        request.agent_name, request.operation, request.state
                    ),
                    lines,
                    link: config.link(&format!("/approvals?request={}", request.id)),
                    action: "See the request".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::OwnershipOrphaned => {
            let Ok(person) = serde_json::from_value::<json::Ref>(facts["person"].clone()) else {
                return Ok(None);
            };
            let (agents, credentials) = (refs(&facts["agents"]), refs(&facts["credentials"]));
            let mut people = Vec::new();
            match db::manager_of(conn, person.id).await? {
                Some((_, email)) => people.push((email, format!("{} reported to you.", person.name))),
                // Nobody's manager: somebody must still re-home it.
                None => people.extend(db::accounts_with_role(conn, Role::Admin).await?.into_iter().map(
                    |a| {
                        (
                            a.email,
                            format!(
                                "You are an admin of Muster, and nobody is recorded as {}'s manager.",
                                person.name
                            ),
                        )
                    },
                )),
            }
            let mut lines = vec![
                "They need a new owner: claim them or give them to someone in the claim inbox.".to_owned(),
            ];
            listed(&mut lines, "agent", &agents);
            listed(&mut lines, "credential", &credentials);
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!(
                        "{} left: {} agents and {} credentials have no owner",
                        person.name,
                        agents.len(),
                        credentials.len()
                    ),
                    lines,
                    link: config.link("/teams"),
                    action: "Open the claim inbox".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::OwnershipAssigned => {
            let Ok(owner) = serde_json::from_value::<json::Ref>(facts["owner"].clone()) else {
                return Ok(None);
            };
            let kind: json::OwnedKind = facts["kind"]
                .as_str()
                .and_then(|k| k.parse().ok())
                .unwrap_or(json::OwnedKind::Agent);
            let items = refs(&facts["items"]);
            let by = facts["by"].as_str().unwrap_or("someone");
            let list = if kind == json::OwnedKind::Agent {
                "agents"
            } else {
                "credentials"
            };
            let mut lines = Vec::new();
            listed(&mut lines, &kind.label().to_lowercase(), &items);
            let (title, link) = match items.as_slice() {
                [one] => (
                    format!("{} {} is now yours", kind.label(), one.name),
                    config.link(&format!("/inventory/{list}/{}", one.id)),
                ),
                _ => (
                    format!("{} {list} are now yours", items.len()),
                    config.link(&format!("/inventory/people/{}", owner.id)),
                ),
            };
            let people = db::active_email(conn, owner.id)
                .await?
                .map(|email| (email, format!("{by} made you the owner.")))
                .into_iter()
                .collect();
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines,
                    link,
                    action: "See what you own".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::ReviewAssigned | NotifyEvent::ReviewReminder | NotifyEvent::ReviewEscalated => {
            let Some(campaign) = crate::db::reviews::campaign(conn, id("campaign")).await? else {
                return Ok(None);
            };
            let n = id("items");
            let items = if n == 1 {
                "1 item".to_owned()
            } else {
                format!("{n} items")
            };
            let due = campaign.due_at()?.format("%Y-%m-%d %H:%M UTC");
            let (title, why) = match event {
                NotifyEvent::ReviewAssigned => (
                    format!("{}: {items} wait for your decision", campaign.name),
                    "You own these items, or manage the team they count for.",
                ),
                NotifyEvent::ReviewReminder => (
                    format!("{}: {items} left, due {due}", campaign.name),
                    "You have items in this access review that are not decided yet.",
                ),
                _ => (
                    format!("{}: {items} not decided in time, escalated to you", campaign.name),
                    "Someone who reports to you did not decide them by the due date.",
                ),
            };
            let people: Vec<(String, String)> = match facts["person"].as_i64() {
                Some(person) => db::active_email(conn, person)
                    .await?
                    .map(|email| (email, why.to_owned()))
                    .into_iter()
                    .collect(),
                None => db::accounts_with_role(conn, Role::Admin)
                    .await?
                    .into_iter()
                    .map(|a| {
                        (
                            a.email,
                            "You are an admin of Muster, and nobody else can review these items.".to_owned(),
                        )
                    })
                    .collect(),
            };
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines: vec![
                        format!("Due {due}."),
                        "For each item: keep it (with a reason), reduce it, revoke it, or give it to its \
                         rightful owner. Items that agree can be decided together."
                            .to_owned(),
                    ],
                    link: config.link(&format!("/reviews/{}?mine=true", campaign.id)),
                    action: "Review your items".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::OwnershipWeekly => {
            let Some(email) = db::active_email(conn, id("person")).await? else {
                return Ok(None);
            };
            let gaps = db::team_gaps(conn, id("team")).await?;
            let unowned = gaps.credentials_unowned + gaps.agents_unowned;
            let orphaned = gaps.credentials_orphaned + gaps.agents_orphaned;
            if unowned + orphaned + gaps.credentials_critical == 0 {
                // Nothing to do is not news.
                return Ok(None);
            }
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!(
                        "{} this week: {} without an owner, {} critical",
                        gaps.team,
                        unowned + orphaned,
                        gaps.credentials_critical
                    ),
                    lines: vec![
                        format!(
                            "Credentials without an owner: {} (and {} whose owner left)",
                            gaps.credentials_unowned, gaps.credentials_orphaned
                        ),
                        format!(
                            "Agents without an owner: {} (and {} whose owner left)",
                            gaps.agents_unowned, gaps.agents_orphaned
                        ),
                        format!("Critical credentials: {}", gaps.credentials_critical),
                    ],
                    link: config.link("/teams"),
                    action: "Open My teams".to_owned(),
                },
                people: vec![(email, format!("You manage {} and the teams under it.", gaps.team))],
                channel: None,
            })
        }
        NotifyEvent::RiskCritical | NotifyEvent::BehaviourFinding => {
            let credential = id("credential");
            let Some(facts_row) = db::credential_facts(conn, credential).await? else {
                return Ok(None);
            };
            let mut people = Vec::new();
            if let Some(owner) = facts_row.owner_id
                && let Some(email) = db::active_email(conn, owner).await?
            {
                people.push((email, format!("You own credential {}.", facts_row.name)));
            }
            let (title, lines) = if event == NotifyEvent::RiskCritical {
                (
                    format!(
                        "Credential {} turned critical (risk {})",
                        facts_row.name, facts_row.risk_score
                    ),
                    vec![
                        "Its page explains the score factor by factor, with what would lower it.".to_owned(),
                    ],
                )
            } else {
                (
                    format!("Credential {} behaved unusually in production", facts_row.name),
                    vec![facts["finding"].as_str().unwrap_or_default().to_owned()],
                )
            };
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines,
                    link: config.link(&format!("/inventory/credentials/{credential}")),
                    action: "See the credential".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::WebhookFailing => {
            let revocation = id("revocation");
            let attempts = id("attempts");
            let people = db::accounts_with_role(conn, Role::Admin)
                .await?
                .into_iter()
                .map(|a| (a.email, "You are an admin of Muster.".to_owned()))
                .collect();
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!("The revocation webhook failed {attempts} times"),
                    lines: vec![
                        "The automation did not accept a revocation; the credential may still work upstream."
                            .to_owned(),
                        "The revocation's page shows each attempt and lets you move it on by hand."
                            .to_owned(),
                    ],
                    link: config.link(&format!("/revocations/{revocation}")),
                    action: "See the revocation".to_owned(),
                },
                people,
                channel: None,
            })
        }
    })
}
