//! Writing a SCIM document through to the inventory: a user's person (its
//! name, email, team, manager and `active` flag) and, with
//! `--scim-group-teams`, a group's team and its members' places in it.

use serde_json::{Value, json};
use sqlx::AnyConnection;

use super::document::{ENTERPRISE_SCHEMA, get};
use super::{ScimError, Writer, text};
use crate::ApiError;
use crate::audit::{self, AuditTarget, Entry, TargetKind};
use crate::db::scim::{self as queries, Kind, PersonFields};
use crate::db::{accounts, ownership};
use crate::people;

/// The person's email: the primary address, else the work one, else the
/// userName if it is one (these the provider vouches for: `true`), else the
/// first address, else one made from the userName (`.invalid`, so it can
/// never receive mail).
pub(super) fn email_of(doc: &Value, user_name: &str) -> (String, bool) {
    let emails: Vec<&Value> = match get(doc, "emails") {
        Some(Value::Array(items)) => items.iter().collect(),
        _ => Vec::new(),
    };
    let address = |item: &&Value| text(item, "value").and_then(|v| crate::auth::normalise_email(v).ok());
    let vouched = emails
        .iter()
        .filter(|e| get(e, "primary") == Some(&Value::Bool(true)))
        .chain(
            emails
                .iter()
                .filter(|e| text(e, "type").is_some_and(|t| t.eq_ignore_ascii_case("work"))),
        )
        .find_map(address)
        .or_else(|| crate::auth::normalise_email(user_name).ok());
    if let Some(email) = vouched {
        return (email, true);
    }
    let fallback = emails.iter().find_map(address).unwrap_or_else(|| {
        let local: String = user_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("{local}@scim.invalid")
    });
    (fallback, false)
}

/// The person's name: `displayName`, else `name.formatted`, else given and
/// family names, else the userName.
pub(super) fn name_of(doc: &Value, user_name: &str) -> String {
    let name = get(doc, "name");
    text(doc, "displayName")
        .map(str::to_owned)
        .or_else(|| name.and_then(|n| text(n, "formatted")).map(str::to_owned))
        .or_else(|| {
            let parts: Vec<&str> = ["givenName", "familyName"]
                .iter()
                .filter_map(|p| name.and_then(|n| text(n, p)))
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| user_name.to_owned())
        .chars()
        .take(200)
        .collect()
}

/// Writes what a user's document says to its person (made or adopted when
/// `person` is `None`), and starts the leaver workflow or ends it.
///
/// `was_active` is what the stored user said before (`None` for a new one):
/// only a change from inactive to active brings a person back, so that a
/// write that says nothing new does not undo a manager's own departure.
pub(super) async fn sync_person(
    conn: &mut AnyConnection,
    person: Option<i64>,
    was_active: Option<bool>,
    doc: &Value,
    writer: &Writer,
) -> Result<i64, ScimError> {
    let user_name = text(doc, "userName").unwrap_or_default().to_owned();
    let (email, vouched) = email_of(doc, &user_name);
    let name = name_of(doc, &user_name);
    let external_id = text(doc, "externalId");
    let extension = get(doc, ENTERPRISE_SCHEMA);
    let department = extension
        .and_then(|e| text(e, "department"))
        .filter(|_| !writer.group_teams);
    let team = match department {
        Some(department) => Some(team_named(conn, department, "department", writer).await?),
        None => None,
    };
    let manager_id = extension
        .and_then(|e| get(e, "manager"))
        .and_then(|m| text(m, "value"))
        .and_then(|v| v.parse::<i64>().ok());
    let mut manager = None;
    if let Some(id) = manager_id
        && Some(id) != person
        && queries::person_exists(conn, id).await?
    {
        manager = Some(id);
    }
    let fields = PersonFields {
        name: &name,
        email: &email,
        team,
        manager,
        external_id,
    };
    let holder = queries::person_by_email(conn, &email).await?;
    let team_before = match person {
        Some(id) => queries::team_of(conn, id).await?,
        None => None,
    };
    let id = match person {
        Some(id) => {
            if holder.is_some_and(|other| other != id) {
                return Err(ScimError::uniqueness(format!(
                    "another person has the email {email}"
                )));
            }
            queries::update_person(conn, id, &fields).await?;
            id
        }
        None => match holder {
            // A person the inventory knew before the provider did: adopted,
            // by an address the provider vouches for, unless another
            // provider's id is already theirs.
            Some(id) => {
                let before = queries::person_snapshot(conn, id).await?;
                let other_id = before
                    .as_ref()
                    .and_then(|p| p.external_id.as_deref())
                    .is_some_and(|known| Some(known) != external_id);
                if !vouched || other_id || queries::get(conn, Kind::User, id).await?.is_some() {
                    return Err(ScimError::uniqueness(format!(
                        "another person has the email {email}"
                    )));
                }
                queries::update_person(conn, id, &fields).await?;
                let entry = Entry::new(writer.actor(), "scim.user.adopt")
                    .target(AuditTarget::new(TargetKind::Person, id))
                    .details(json!({"before": before.map(|p| p.to_json()), "userName": user_name}))
                    .from(&writer.source);
                audit::record(conn, &entry, writer.now).await?;
                id
            }
            None => queries::insert_person(conn, &fields).await?,
        },
    };
    // The manager's team heads the person's team, where nothing placed it yet.
    if let (Some(team), Some(manager)) = (team, manager)
        && let Some(above) = queries::team_of(conn, manager).await?
        && above != team
        && queries::team_parent(conn, team).await?.is_none()
        && !is_within(conn, above, team).await?
    {
        queries::set_team_parent(conn, team, above).await?;
        // A manager of the parent now manages this team too: said in the log.
        let entry = Entry::new(writer.actor(), "team.move")
            .target(AuditTarget::new(TargetKind::Team, team))
            .details(json!({"before": {"parent": null}, "after": {"parent": above},
                "reason": "the manager's team heads the person's team"}))
            .from(&writer.source);
        audit::record(conn, &entry, writer.now).await?;
    }
    if team.is_some() && team != team_before {
        people::moved(conn, id, writer.now).await?;
    }
    let active = match get(doc, "active") {
        Some(Value::Bool(active)) => *active,
        _ => true,
    };
    let candidate = ownership::candidate(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("person {id} vanished")))?;
    if active && was_active != Some(true) {
        people::reactivate(
            conn,
            &candidate,
            writer.actor(),
            "active again in the identity provider",
            &writer.source,
            writer.now,
        )
        .await?;
    } else if !active {
        people::depart(
            conn,
            &candidate,
            writer.actor(),
            "deactivated in the identity provider",
            &writer.source,
            writer.now,
        )
        .await?;
    }
    accounts::link_people(conn).await?;
    Ok(id)
}

/// The SCIM users a group lists as members.
fn member_ids(group: &Value) -> Vec<i64> {
    match get(group, "members") {
        Some(Value::Array(members)) => members
            .iter()
            .filter_map(|m| text(m, "value")?.parse().ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// With `--scim-group-teams`: a group is the team of its name, its members
/// are in that team, and those who left the group (or the deleted group's
/// members) leave the team it was. What they own is re-homed.
pub(super) async fn group_team(
    conn: &mut AnyConnection,
    before: Option<&Value>,
    after: Option<&Value>,
    writer: &Writer,
) -> Result<(), ScimError> {
    let team_of = |doc: &Value| text(doc, "displayName").map(str::to_owned);
    let joined = after.map(member_ids).unwrap_or_default();
    if let Some(name) = after.and_then(team_of) {
        let team = team_named(conn, &name, "group", writer).await?;
        for &person in &joined {
            if queries::get(conn, Kind::User, person).await?.is_some()
                && queries::team_of(conn, person).await? != Some(team)
            {
                queries::set_team(conn, person, team).await?;
                people::moved(conn, person, writer.now).await?;
            }
        }
    }
    if let Some(before) = before
        && let Some(name) = team_of(before)
    {
        let team = team_named(conn, &name, "group", writer).await?;
        let renamed = after.and_then(team_of).is_some_and(|now| now != name);
        for person in member_ids(before) {
            if (renamed || !joined.contains(&person)) && queries::team_of(conn, person).await? == Some(team) {
                queries::leave_team(conn, person, team).await?;
                people::moved(conn, person, writer.now).await?;
            }
        }
    }
    Ok(())
}

/// The team of this name (200 characters at most), made and audited when
/// there is none; `from` says what named it (`department`, `group`).
async fn team_named(
    conn: &mut AnyConnection,
    name: &str,
    from: &str,
    writer: &Writer,
) -> Result<i64, ScimError> {
    let name: String = name.chars().take(200).collect();
    let (team, made) = queries::team_named(conn, &name).await?;
    if made {
        let entry = Entry::new(writer.actor(), "team.create")
            .target(AuditTarget::new(TargetKind::Team, team))
            .details(json!({"name": name, "from": from}))
            .from(&writer.source);
        audit::record(conn, &entry, writer.now).await?;
    }
    Ok(team)
}

/// Whether `team` is `ancestor` or lies under it.
async fn is_within(conn: &mut AnyConnection, team: i64, ancestor: i64) -> Result<bool, sqlx::Error> {
    let mut current = Some(team);
    for _ in 0..64 {
        match current {
            Some(t) if t == ancestor => return Ok(true),
            Some(t) => current = queries::team_parent(conn, t).await?,
            None => return Ok(false),
        }
    }
    Ok(true)
}
