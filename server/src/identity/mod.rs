//! People and sign-in from the organisation's identity provider (issue 24):
//! sessions opened by a password or by the provider, the provider's
//! sign-in ([`oidc`]) with its role map ([`roles`]), and the accounts it
//! makes just in time. HTTP handlers and the command line call this; it
//! calls the queries in `db/`.

pub mod oidc;
pub mod roles;
pub mod scim;

use chrono::{DateTime, Utc};
use model::api::{self as json, Role};
use sqlx::AnyConnection;

use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::accounts::{self, SignInMethod};
use crate::db::{Db, oidc as queries};
use crate::{ApiError, auth};
use oidc::{Groups, Identity, Provider};

/// Who, among accounts with a password, may sign in with it.
pub use json::PasswordSignIn;

/// A session just opened: the id for the cookie, and what the session says.
#[derive(Debug)]
pub struct Opened {
    /// The session id (only its hash is stored).
    pub id: String,
    /// Who signed in, with which roles.
    pub session: json::Session,
}

/// Opens a session for an account, ending the one the browser still
/// carried (a new id at every sign-in), audited in the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn open_session(
    conn: &mut AnyConnection,
    account: i64,
    email: &str,
    roles: Vec<Role>,
    method: SignInMethod,
    id_token: Option<&str>,
    old_session: Option<&str>,
    source: &Source,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Opened, ApiError> {
    if let Some(old) = old_session {
        accounts::revoke_session(conn, &auth::session_hash(old), now).await?;
    }
    let (id, id_hash) = auth::new_session_id();
    let expires = now + auth::ABSOLUTE_TIMEOUT;
    accounts::create_session(conn, &id_hash, account, method, id_token, now, expires).await?;
    let entry = Entry::new(Actor::Person(email.to_owned()), "session.sign_in")
        .target(AuditTarget::new(TargetKind::Account, account))
        .details(details)
        .from(source);
    audit::record(conn, &entry, now).await?;
    let (person, team) = accounts::identity(conn, account).await?;
    Ok(Opened {
        id,
        session: json::Session {
            email: email.to_owned(),
            roles,
            person,
            team,
            sign_out_url: None,
        },
    })
}

/// Why the provider's sign-in did not let a person in. Each is said to the
/// person on the sign-in screen by its [`code`](Refusal::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// None of the person's groups maps to a role of Muster.
    NoRole,
    /// The provider left the groups out (Entra's group overage): Muster
    /// cannot tell the roles, so it does not guess.
    GroupsUnknown,
    /// The provider named no email for a person Muster does not know yet.
    NoEmail,
    /// A local account has the person's email, and it may not be linked to
    /// them: it is an admin's, or the provider does not vouch for the email.
    LocalAccount,
    /// Another subject of the provider holds an account with this email.
    EmailTaken,
    /// An admin barred the account in Muster.
    Disabled,
    /// The person has left the organisation (Muster's person is departed).
    Departed,
}

impl Refusal {
    /// The code in the sign-in screen's address (`/?sign_in_error=…`).
    pub fn code(self) -> &'static str {
        match self {
            Self::NoRole => "no_role",
            Self::GroupsUnknown => "groups_unknown",
            Self::NoEmail => "no_email",
            Self::LocalAccount => "local_account",
            Self::EmailTaken => "email_taken",
            Self::Disabled => "disabled",
            Self::Departed => "departed",
        }
    }
}

/// The roles an account gets, but for `admin` when it is the last active
/// admin's: the provider's groups may not lock everyone out of Muster.
async fn keep_last_admin(
    conn: &mut AnyConnection,
    before: &[Role],
    mut after: Vec<Role>,
) -> Result<Vec<Role>, ApiError> {
    if before.contains(&Role::Admin)
        && !after.contains(&Role::Admin)
        && accounts::active_admins(conn).await? <= 1
    {
        after.insert(0, Role::Admin);
    }
    Ok(after)
}

/// Who audits changes the provider's groups make to an account.
fn provider_actor(provider: &Provider) -> Actor {
    Actor::System(format!("identity provider {}", provider.config().issuer))
}

/// Signs in a person the provider vouched for: finds their account by
/// subject (else links the account with their email, else makes one), sets
/// its roles from their groups, links it to their inventory person, and
/// opens a session. A refusal is audited and changes nothing else, but for
/// an account whose groups no longer give any role: it loses its roles and
/// its sessions at once.
pub async fn sign_in_with_provider(
    db: &Db,
    provider: &Provider,
    identity: &Identity,
    old_session: Option<&str>,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Result<Opened, Refusal>, ApiError> {
    let mut tx = db.begin().await?;
    let outcome = admit(&mut tx, provider, identity, old_session, source, now).await?;
    if let Err(refusal) = outcome {
        let who = identity.email.clone().unwrap_or_else(|| identity.subject.clone());
        let entry = Entry::new(Actor::Person(who.trim().to_lowercase()), "session.sign_in_failed")
            .details(serde_json::json!({
                "method": SignInMethod::Oidc.as_str(),
                "issuer": identity.issuer,
                "subject": identity.subject,
                "reason": refusal.code(),
            }))
            .from(source);
        audit::record(&mut tx, &entry, now).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

async fn admit(
    conn: &mut AnyConnection,
    provider: &Provider,
    identity: &Identity,
    old_session: Option<&str>,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Result<Opened, Refusal>, ApiError> {
    let email = identity
        .email
        .as_deref()
        .and_then(|e| auth::normalise_email(e).ok());
    let mut account = queries::by_subject(conn, &identity.issuer, &identity.subject).await?;
    let mut link = false;
    if account.is_none()
        && let Some(email) = &email
        && let Some(found) = queries::by_email(conn, email).await?
    {
        if found.subject.is_some() {
            return Ok(Err(Refusal::EmailTaken));
        }
        // An email is not an identity: a local account is linked only when
        // the provider vouches for the address (or the operator said to
        // trust it), and a break-glass admin's never.
        let vouched = identity.email_verified == Some(true) || provider.config().link_local_accounts;
        if found.roles.contains(&Role::Admin) || !vouched {
            return Ok(Err(Refusal::LocalAccount));
        }
        link = true;
        account = Some(found);
    }
    let groups = match &identity.groups {
        Groups::Unknown => return Ok(Err(Refusal::GroupsUnknown)),
        Groups::Listed(groups) => groups,
    };
    let config = provider.config();
    let roles = config.role_map.roles(groups);
    if roles.is_empty() {
        // Roles follow the provider: an account whose groups no longer
        // give any keeps none, and its sessions end now, not at their expiry.
        if let Some(account) = account.as_ref().filter(|a| !a.roles.is_empty()) {
            let kept = keep_last_admin(conn, &account.roles, Vec::new()).await?;
            accounts::update(conn, account.id, Some(&kept), None, None, now).await?;
            accounts::end_sessions(conn, account.id, now).await?;
            let entry = Entry::new(provider_actor(provider), "account.update")
                .target(AuditTarget::new(TargetKind::Account, account.id))
                .details(serde_json::json!({
                    "before": {"roles": account.roles},
                    "after": {"roles": kept},
                    "reason": "no group of the identity provider maps to a role",
                }))
                .from(source);
            audit::record(conn, &entry, now).await?;
        }
        return Ok(Err(Refusal::NoRole));
    }
    let account = match account {
        Some(account) => {
            if account.disabled {
                return Ok(Err(Refusal::Disabled));
            }
            if link {
                queries::set_subject(conn, account.id, &identity.issuer, &identity.subject).await?;
            }
            let roles = keep_last_admin(conn, &account.roles, roles.clone()).await?;
            if account.roles != roles || link {
                accounts::update(conn, account.id, Some(&roles), None, None, now).await?;
                let entry = Entry::new(provider_actor(provider), "account.update")
                    .target(AuditTarget::new(TargetKind::Account, account.id))
                    .details(serde_json::json!({
                        "before": {"roles": account.roles},
                        "after": {"roles": roles, "subject": identity.subject},
                        "groups": config.role_map.matched(groups),
                    }))
                    .from(source);
                audit::record(conn, &entry, now).await?;
            }
            queries::ProviderAccount { roles, ..account }
        }
        None => {
            let Some(email) = email else {
                return Ok(Err(Refusal::NoEmail));
            };
            let id = queries::create(conn, &email, &roles, &identity.issuer, &identity.subject, now).await?;
            let entry = Entry::new(provider_actor(provider), "account.create")
                .target(AuditTarget::new(TargetKind::Account, id))
                .details(serde_json::json!({
                    "email": email,
                    "roles": roles,
                    "subject": identity.subject,
                    "groups": config.role_map.matched(groups),
                    "just_in_time": true,
                }))
                .from(source);
            audit::record(conn, &entry, now).await?;
            queries::ProviderAccount {
                id,
                email,
                roles: roles.clone(),
                disabled: false,
                subject: Some(identity.subject.clone()),
            }
        }
    };
    queries::link_person(conn, account.id, &identity.subject).await?;
    if accounts::has_left(conn, account.id).await? {
        return Ok(Err(Refusal::Departed));
    }
    let details = serde_json::json!({
        "method": SignInMethod::Oidc.as_str(),
        "issuer": identity.issuer,
        "groups": config.role_map.matched(groups),
    });
    let opened = open_session(
        conn,
        account.id,
        &account.email,
        account.roles.clone(),
        SignInMethod::Oidc,
        Some(&identity.id_token),
        old_session,
        source,
        details,
        now,
    )
    .await?;
    Ok(Ok(opened))
}
