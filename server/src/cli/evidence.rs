//! `muster evidence ...`: makes the signed evidence pack of a period, or
//! checks one.

use std::process::ExitCode;

use anyhow::Context;

use crate::audit;
use crate::db::Db;

use super::EvidenceArgs;

/// `muster evidence --from --to --output`: the signed pack of a period.
pub(super) async fn evidence(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    let (Some(from), Some(to), Some(output)) = (&args.from, &args.to, &args.output) else {
        anyhow::bail!("give --from, --to and --output (or `muster evidence verify PACK`)");
    };
    let period = crate::evidence::Period::parse(from, to).map_err(|e| anyhow::anyhow!("{e}"))?;
    // A key made here would be one nobody published: the server's own is needed.
    if !args.approval_key_file.exists() {
        anyhow::bail!(
            "no signing key at {}: give the server's --approval-key-file (muster serve creates it)",
            args.approval_key_file.display()
        );
    }
    let key = crate::approval::DecisionKey::load_or_create(&args.approval_key_file)?;
    let db = Db::open(&args.database.database).await?;
    let actor = audit::Actor::System("muster evidence".into());
    let pack = crate::evidence::export(&db, &key, period, actor, None, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(output, &pack).with_context(|| format!("writing {}", output.display()))?;
    println!(
        "Wrote {} ({} bytes), signed by key {}. Check it with: muster evidence verify {} --key {}",
        output.display(),
        pack.len(),
        key.kid,
        output.display(),
        hex::encode(key.public_key())
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Exit 0: the pack verifies; 1: refused; 2: it or the key cannot be read.
pub(super) fn evidence_verify(pack: &std::path::Path, key: Option<&str>) -> ExitCode {
    let trusted = match key {
        None => None,
        Some(given) => {
            let text = std::fs::read_to_string(given).unwrap_or_else(|_| given.to_owned());
            match crate::evidence::verify::parse_key(&text) {
                Ok(key) => Some(key),
                Err(why) => {
                    eprintln!("muster: --key: {why}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let bytes = match std::fs::read(pack) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("muster: cannot read {}: {error}", pack.display());
            return ExitCode::from(2);
        }
    };
    match crate::evidence::verify::verify(&bytes, trusted) {
        Ok(verified) => {
            println!(
                "Verified: {} files and {} audit entries of {} to {}, signed by key {}.",
                verified.files,
                verified.audit_entries,
                verified.period.from,
                verified.period.to,
                verified.key_id
            );
            println!(
                "The audit chain's head at the end of the period: #{} {}.",
                verified.end_head.0, verified.end_head.1
            );
            if !verified.key_trusted {
                println!(
                    "UNTRUSTED: checked against the key inside the pack ({}), which proves only that the pack \
                     is whole. Compare it with the key the organisation publishes at /api/v1/evidence/key, \
                     or give that key with --key.",
                    verified.public_key
                );
            }
            ExitCode::SUCCESS
        }
        Err(crate::evidence::verify::Refused::Unreadable(why)) => {
            eprintln!("muster: refused: not a readable evidence pack: {why}");
            ExitCode::from(2)
        }
        Err(refused) => {
            eprintln!("muster: refused: {refused}");
            ExitCode::from(1)
        }
    }
}
