//! Sign-in throttling: each failed sign-in counts against a few keys; past a
//! key's free attempts, it is blocked for a delay that doubles with every
//! failure, up to a cap. Nothing ever locks an account for good.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use super::sql::timestamp;
use super::{Backend, Db};

/// A throttled key and its policy.
#[derive(Debug, Clone)]
pub struct Key {
    /// `pair:<email>|<address>`, `account:<email>` or `source:<address>`.
    pub key: String,
    /// Failures allowed before any delay.
    pub free: i64,
    /// The longest delay.
    pub cap: Duration,
}

/// The keys of a sign-in: the account from this address is slowed first;
/// the account from anywhere only briefly (so that an attacker cannot lock a
/// victim out); the address for every account it tries. An address is its
/// throttle group ([`crate::client::throttle_group`]: an IPv6 address's /64).
pub fn keys(email: &str, source: Option<std::net::IpAddr>) -> Vec<Key> {
    let email = email.trim().to_lowercase();
    let source = source.map_or_else(|| "unknown".to_owned(), crate::client::throttle_group);
    vec![
        Key {
            key: format!("pair:{email}|{source}"),
            free: 5,
            cap: Duration::minutes(15),
        },
        Key {
            key: format!("account:{email}"),
            free: 20,
            cap: Duration::seconds(30),
        },
        Key {
            key: format!("source:{source}"),
            free: 30,
            cap: Duration::minutes(15),
        },
    ]
}

/// How long a key is remembered after its last failure.
pub const FORGET_AFTER: Duration = Duration::days(1);

/// The delay after a key's `failures`-th failure.
fn delay(key: &Key, failures: i64) -> Duration {
    let over = failures - key.free;
    if over <= 0 {
        Duration::zero()
    } else {
        Duration::seconds(1_i64 << over.min(20)).min(key.cap)
    }
}

/// Counts this attempt as a failure of every key before the password is
/// checked, so that parallel attempts cannot all pass a check made before
/// any of them failed: each key's count moves by compare-and-set, one
/// attempt at a time, and a key that is blocked now refuses the attempt
/// (`Err` with the wait). A correct password takes the count back
/// ([`record_success`]). Keys not touched for [`FORGET_AFTER`] are deleted.
pub async fn reserve(db: &Db, keys: &[Key], now: DateTime<Utc>) -> Result<Result<(), Duration>, sqlx::Error> {
    // The counting is one transaction, which takes its turn with the other
    // writers (`Db::begin`): written to the pool directly, each statement
    // polled for SQLite's lock, and a sign-in waited seconds behind an
    // import's steps. Forgetting old keys goes first: inside the
    // transaction on SQLite (no row locks there, and one turn is one wait),
    // on its own on PostgreSQL, leaving the rows that a concurrent attempt
    // holds for the next time (inside, or waiting for them, it could lock
    // a row that attempt needs next while waiting for one it has: a
    // deadlock).
    let forget = timestamp(now - FORGET_AFTER);
    if db.backend() == Backend::Postgres {
        db.execute(
            sqlx::query(
                "DELETE FROM sign_in_throttle WHERE key IN \
                 (SELECT key FROM sign_in_throttle WHERE blocked_until < $1 FOR UPDATE SKIP LOCKED)",
            )
            .bind(&forget),
        )
        .await?;
    }
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Sqlite {
        sqlx::query("DELETE FROM sign_in_throttle WHERE blocked_until < $1")
            .bind(&forget)
            .execute(&mut *tx)
            .await?;
    }
    for key in keys {
        loop {
            let row: Option<(i64, String)> =
                sqlx::query_as("SELECT failures, blocked_until FROM sign_in_throttle WHERE key = $1")
                    .bind(&key.key)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((failures, until)) = row else {
                sqlx::query(
                    "INSERT INTO sign_in_throttle (key, failures, blocked_until) VALUES ($1, 0, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(&key.key)
                .bind(timestamp(now))
                .execute(&mut *tx)
                .await?;
                continue;
            };
            if let Ok(until) = DateTime::parse_from_rfc3339(&until) {
                let wait = until.with_timezone(&Utc) - now;
                if wait > Duration::zero() {
                    // Refused; the keys counted before this one stay counted.
                    tx.commit().await?;
                    return Ok(Err(wait));
                }
            }
            // On PostgreSQL a concurrent attempt may have moved the count
            // since it was read (each statement sees what is committed):
            // then nothing matches, and the key is read again.
            let claimed = sqlx::query(
                "UPDATE sign_in_throttle SET failures = $1, blocked_until = $2 WHERE key = $3 AND failures = $4",
            )
            .bind(failures + 1)
            .bind(timestamp(now + delay(key, failures + 1)))
            .bind(&key.key)
            .bind(failures)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 1 {
                break;
            }
        }
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// After a correct password: forgets the failures of the keys naming the
/// account, and takes back this attempt's count from the address's key.
pub async fn record_success(conn: &mut AnyConnection, keys: &[Key]) -> Result<(), sqlx::Error> {
    for key in keys {
        if key.key.starts_with("source:") {
            sqlx::query(
                "UPDATE sign_in_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
            )
            .bind(&key.key)
            .execute(&mut *conn)
            .await?;
        }
        // An address with no failure left is forgotten like the others.
        sqlx::query(
            "DELETE FROM sign_in_throttle WHERE key = $1 AND (failures <= 0 OR key NOT LIKE 'source:%')",
        )
        .bind(&key.key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
