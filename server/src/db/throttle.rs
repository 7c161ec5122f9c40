//! Sign-in throttling: each failed sign-in counts against a few keys; past a
//! key's free attempts, it is blocked for a delay that doubles with every
//! failure, up to a cap. Nothing ever locks an account for good.

use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

use super::Db;
use super::sql::timestamp;

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
/// victim out); the address for every account it tries.
pub fn keys(email: &str, source: Option<&str>) -> Vec<Key> {
    let email = email.trim().to_lowercase();
    let source = source.unwrap_or("unknown");
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

/// How long until the first of `keys` that is blocked lets a sign-in through.
pub async fn blocked_for(db: &Db, keys: &[Key], now: DateTime<Utc>) -> Result<Option<Duration>, sqlx::Error> {
    let mut longest: Option<Duration> = None;
    for key in keys {
        let until: Option<String> =
            sqlx::query_scalar("SELECT blocked_until FROM sign_in_throttle WHERE key = $1")
                .bind(&key.key)
                .fetch_optional(db.pool())
                .await?;
        if let Some(until) = until.and_then(|u| DateTime::parse_from_rfc3339(&u).ok()) {
            let wait = until.with_timezone(&Utc) - now;
            if wait > Duration::zero() && longest.is_none_or(|l| wait > l) {
                longest = Some(wait);
            }
        }
    }
    Ok(longest)
}

/// Counts a failure against every key.
pub async fn record_failure(
    conn: &mut AnyConnection,
    keys: &[Key],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for key in keys {
        let failures: i64 = sqlx::query_scalar("SELECT failures FROM sign_in_throttle WHERE key = $1")
            .bind(&key.key)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0)
            + 1;
        let over = failures - key.free;
        let delay = if over <= 0 {
            Duration::zero()
        } else {
            Duration::seconds(1_i64 << over.min(20)).min(key.cap)
        };
        sqlx::query(
            "INSERT INTO sign_in_throttle (key, failures, blocked_until) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, blocked_until = $3",
        )
        .bind(&key.key)
        .bind(failures)
        .bind(timestamp(now + delay))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Forgets the failures of the keys naming the account (a correct password).
pub async fn record_success(conn: &mut AnyConnection, keys: &[Key]) -> Result<(), sqlx::Error> {
    for key in keys.iter().filter(|k| !k.key.starts_with("source:")) {
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(&key.key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
