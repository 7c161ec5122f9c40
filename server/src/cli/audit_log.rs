//! `muster audit verify`: walks the audit log's hash chain.

use std::process::ExitCode;

use crate::audit;
use crate::db::Db;

use super::DatabaseArgs;

/// Exit 0: intact; 1: tampered with; 2: could not be checked.
pub(super) async fn audit_verify(database: DatabaseArgs) -> ExitCode {
    let checked = match Db::open(&database.database).await {
        Ok(db) => audit::verify(&db).await.map_err(anyhow::Error::from),
        Err(error) => Err(error.into()),
    };
    match checked {
        Ok(verification) => {
            println!("{verification}");
            if verification.problem.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("muster: cannot verify the audit log: {error:#}");
            ExitCode::from(2)
        }
    }
}
