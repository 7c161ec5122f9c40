//! What the stored scores say: the model version and the time they were
//! computed as of, and the summary behind `GET /api/v1/risk/summary`.

use model::api::{self as json, AgentCategory, RiskBand};
use sqlx::Row;

use super::super::Db;
use super::super::sql::get_enum;
use crate::ApiError;
use crate::risk;

/// The stored model version, if scores were ever computed.
pub async fn stored_version(db: &Db) -> Result<Option<String>, sqlx::Error> {
    setting(db, "risk_model_version").await
}

/// When the stored scores were computed as of, if ever.
pub async fn stored_at(db: &Db) -> Result<Option<String>, sqlx::Error> {
    setting(db, "risk_computed_at").await
}

async fn setting(db: &Db, name: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM setting WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await
}

/// `SUM(CASE ...)` columns counting rows per band, named like the bands.
fn band_sums() -> String {
    RiskBand::ALL
        .iter()
        .map(|band| {
            let (low, high) = band.range();
            format!(
                "COALESCE(SUM(CASE WHEN risk_score BETWEEN {low} AND {high} THEN 1 ELSE 0 END), 0) AS {}",
                band.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn band_counts(row: &sqlx::any::AnyRow) -> Result<json::BandCounts, sqlx::Error> {
    Ok(json::BandCounts {
        low: row.try_get("low")?,
        medium: row.try_get("medium")?,
        high: row.try_get("high")?,
        critical: row.try_get("critical")?,
    })
}

/// `GET /api/v1/risk/summary`. Credentials count while active (a revoked
/// key is no exposure); agents always.
pub async fn summary(db: &Db) -> Result<json::RiskSummary, ApiError> {
    let sums = band_sums();
    let row = sqlx::query(&format!("SELECT {sums} FROM credential WHERE status = 'active'"))
        .fetch_one(db.pool())
        .await?;
    let credentials = band_counts(&row)?;
    let row = sqlx::query(&format!("SELECT {sums} FROM agent"))
        .fetch_one(db.pool())
        .await?;
    let agents = band_counts(&row)?;

    let references: Vec<String> = (0..10)
        .map(|bit| {
            format!(
                "COALESCE(SUM(CASE WHEN (risk_references & {}) <> 0 THEN 1 ELSE 0 END), 0) AS nhi{}",
                1 << bit,
                bit + 1
            )
        })
        .collect();
    let references = references.join(", ");
    let per_credential = sqlx::query(&format!(
        "SELECT {references} FROM credential WHERE status = 'active'"
    ))
    .fetch_one(db.pool())
    .await?;
    let per_agent = sqlx::query(&format!("SELECT {references} FROM agent"))
        .fetch_one(db.pool())
        .await?;
    let by_reference = (1..=10)
        .map(|n| {
            let column = format!("nhi{n}");
            Ok(json::ReferenceCount {
                reference: format!("NHI{n}"),
                title: risk::REFERENCES[n - 1].to_owned(),
                credentials: per_credential.try_get(column.as_str())?,
                agents: per_agent.try_get(column.as_str())?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let rows = sqlx::query(&format!(
        "SELECT category, {sums} FROM agent GROUP BY category ORDER BY category"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut by_category = Vec::new();
    for row in &rows {
        by_category.push(json::CategoryBands {
            category: get_enum::<AgentCategory>(row, "category")?,
            bands: band_counts(row)?,
        });
    }

    // Twenty bins of five points, so that band edges (25, 50, 75) fall
    // between bins; a score of 100 joins the last.
    let mut histogram = vec![0i64; 20];
    for row in sqlx::query(
        "SELECT risk_score / 5 AS bin, COUNT(*) AS n FROM credential WHERE status = 'active' GROUP BY risk_score / 5",
    )
    .fetch_all(db.pool())
    .await?
    {
        let bin: i64 = row.try_get("bin")?;
        histogram[bin.clamp(0, 19) as usize] += row.try_get::<i64, _>("n")?;
    }

    // Ties broken as the lists' `?sort=-risk` breaks them, so that the top 20
    // are the first rows of that list.
    let top = |table: &str, filter: &str| {
        format!(
            "SELECT id, name, risk_score, risk_factors FROM {table} {filter} \
             ORDER BY risk_score DESC, id DESC LIMIT 20"
        )
    };
    let ranked = |rows: Vec<sqlx::any::AnyRow>| {
        rows.iter()
            .map(|row| {
                Ok(json::RankedRisk {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    risk: super::super::scores::brief(
                        row.try_get("risk_score")?,
                        &row.try_get::<String, _>("risk_factors")?,
                    ),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    };
    let top_credentials = ranked(
        sqlx::query(&top("credential", "WHERE status = 'active'"))
            .fetch_all(db.pool())
            .await?,
    )?;
    let top_agents = ranked(sqlx::query(&top("agent", "")).fetch_all(db.pool()).await?)?;
    Ok(json::RiskSummary {
        risk_model_version: risk::MODEL_VERSION.to_owned(),
        computed_at: setting(db, "risk_computed_at").await?,
        credentials,
        agents,
        by_reference,
        by_category,
        top_credentials,
        top_agents,
        histogram,
    })
}
