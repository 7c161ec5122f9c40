//! `muster user ...`: creates local accounts and replaces their passwords,
//! recording each change in the audit log.

use crate::audit;
use crate::db::{Db, accounts};

use super::UserCommand;

fn read_password() -> anyhow::Result<String> {
    let password = match std::env::var("MUSTER_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    crate::auth::check_password(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

/// `muster user add` and `muster user set-password`: the account and its
/// audit entry, in one transaction.
pub(super) async fn user(command: UserCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let (database, email, action) = match &command {
        UserCommand::Add { database, email, .. } => (database, email, "account.create"),
        UserCommand::SetPassword { database, email } => (database, email, "account.set_password"),
    };
    let email = &crate::auth::normalise_email(email).map_err(anyhow::Error::msg)?;
    let db = Db::open(&database.database).await?;
    let hash = crate::auth::hash_password(&read_password()?);
    let mut tx = db.begin().await?;
    let (id, details) = match &command {
        UserCommand::Add { roles, .. } => {
            let id = accounts::create(&mut tx, email, &hash, roles, now).await?;
            (id, serde_json::json!({ "roles": roles }))
        }
        UserCommand::SetPassword { .. } => (
            accounts::set_password(&mut tx, email, &hash, now).await?,
            serde_json::json!({}),
        ),
    };
    let entry = audit::Entry::new(audit::Actor::System("muster user".into()), action)
        .target(audit::AuditTarget::new(audit::TargetKind::Account, id))
        .details(details);
    audit::append(&mut tx, &entry, now).await?;
    tx.commit().await?;
    println!("{action}: {email} (account {id})");
    Ok(())
}
