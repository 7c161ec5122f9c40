//! The report's sections, each written onto the page in turn: the
//! controls, the posture, reviews, approvals, revocations, leavers, imports
//! and the audit log.

use plotters::prelude::RGBColor;
use serde_json::Value;

use super::super::Records;
use super::chart::chart;
use super::mapping::{Control, SECTIONS};
use super::table::{esc, table, text};

/// A record's number at `key`, 0 if it has none.
fn f(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or_default()
}

/// The table of the controls, with their sections and records.
pub(super) fn controls(out: &mut String, controls: &[Control]) {
    out.push_str("<section><h2>Controls and their evidence</h2>");
    let rows = controls
        .iter()
        .map(|c| {
            vec![
                esc(c.framework),
                format!("<b>{}</b>", esc(c.id)),
                esc(c.title),
                c.sections
                    .iter()
                    .map(|s| {
                        format!(
                            "<a href=\"#{s}\">{}</a>",
                            SECTIONS.iter().find(|x| x.id == *s).map_or(*s, |x| x.title)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                c.records
                    .iter()
                    .map(|r| format!("<code>{r}</code>"))
                    .collect::<Vec<_>>()
                    .join(" "),
                c.record_count.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Framework",
            "Control",
            "Asks",
            "Sections",
            "Records",
            "Records in period",
        ],
        rows,
        "",
    ));
    out.push_str("</section>");
}

/// The posture over the period: owner coverage and risk charts, its first and
/// last days.
pub(super) fn posture(out: &mut String, records: &Records) {
    out.push_str("<section id=\"posture\"><h2>Posture over the period</h2>");
    let days: Vec<String> = records
        .posture
        .iter()
        .map(|p| p["day"].as_str().unwrap_or_default().to_owned())
        .collect();
    let pct = |owned: &str, all: &str| -> Vec<f64> {
        records
            .posture
            .iter()
            .map(|p| {
                if f(p, all) > 0.0 {
                    100.0 * f(p, owned) / f(p, all)
                } else {
                    0.0
                }
            })
            .collect()
    };
    let coverage = chart(
        "Owner coverage (%)",
        &days,
        &[
            (
                "agents",
                pct("agents_owned", "agents"),
                RGBColor(0x0e, 0x74, 0x90),
            ),
            (
                "credentials",
                pct("credentials_owned", "credentials"),
                RGBColor(0xb4, 0x53, 0x09),
            ),
        ],
        100.0,
    );
    let critical: Vec<f64> = records.posture.iter().map(|p| f(p, "critical")).collect();
    let high: Vec<f64> = records.posture.iter().map(|p| f(p, "high")).collect();
    let top = critical.iter().chain(&high).copied().fold(0.0, f64::max) * 1.1;
    let risk = chart(
        "Credentials at critical and high risk",
        &days,
        &[
            ("critical", critical, RGBColor(0xb4, 0x23, 0x18)),
            ("high", high, RGBColor(0xd9, 0x48, 0x0f)),
        ],
        top,
    );
    match (coverage, risk) {
        (Some(coverage), Some(risk)) => {
            out.push_str(&format!("<div class=\"charts\">{coverage}{risk}</div>"))
        }
        _ => out.push_str(
            "<p class=\"empty\">Fewer than two daily snapshots in the period: no trend to draw.</p>",
        ),
    }
    if let (Some(first), Some(last)) = (records.posture.first(), records.posture.last()) {
        let line = |p: &Value| {
            vec![
                text(&p["day"]),
                format!("{} of {}", p["agents_owned"], p["agents"]),
                format!("{} of {}", p["credentials_owned"], p["credentials"]),
                text(&p["orphaned"]),
                text(&p["critical"]),
                text(&p["high"]),
            ]
        };
        out.push_str(&table(
            &[
                "Day",
                "Agents owned",
                "Credentials owned",
                "Orphaned",
                "Critical",
                "High",
            ],
            vec![line(first), line(last)],
            "",
        ));
    }
    out.push_str("</section>");
}

/// The period's access reviews and their completion.
pub(super) fn reviews(out: &mut String, records: &Records) {
    out.push_str("<section id=\"reviews\"><h2>Access reviews</h2>");
    let rows = records
        .campaigns
        .iter()
        .map(|c| {
            let p = &c.progress;
            let done = if p.items > 0 { 100 * p.decided / p.items } else { 0 };
            vec![
                // Auditors ask that reviews be periodic: say so.
                match (c.repeat, c.next_start) {
                    (Some(cadence), Some(_)) => format!(
                        "<b>{}</b><br>repeats: {}",
                        esc(&c.name),
                        esc(&cadence.label().to_lowercase())
                    ),
                    (Some(cadence), None) => format!(
                        "<b>{}</b><br>a cycle of a review repeated {}",
                        esc(&c.name),
                        esc(&cadence.label().to_lowercase())
                    ),
                    (None, _) => format!("<b>{}</b>", esc(&c.name)),
                },
                esc(c.scope.label()),
                c.started_at.format("%Y-%m-%d").to_string(),
                c.due_at.format("%Y-%m-%d").to_string(),
                esc(c.state.label()),
                format!("{done}% ({} of {})", p.decided, p.items),
                format!(
                    "{} kept · {} reduced · {} revoked · {} reassigned",
                    p.kept, p.reduced, p.revoked, p.reassigned
                ),
                format!("{}", p.items - p.decided),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Campaign",
            "Scope",
            "Started",
            "Due",
            "State",
            "Completion",
            "Decisions",
            "Not attested",
        ],
        rows,
        "No access review ran in the period.",
    ));
    out.push_str("</section>");
}

/// The approvals of sensitive operations asked for in the period.
pub(super) fn approvals(out: &mut String, records: &Records) {
    out.push_str("<section id=\"approvals\"><h2>Approvals of sensitive operations</h2>");
    let rows = records
        .approvals
        .iter()
        .map(|a| {
            let votes = a["votes"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|v| format!("{} ({})", text(&v["approver"]), text(&v["verdict"])))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            vec![
                text(&a["id"]),
                text(&a["agent"]["name"]),
                format!("<code>{}</code>", text(&a["operation"])),
                text(&a["state"]),
                if votes.is_empty() {
                    format!("policy: {}", text(&a["rule"]))
                } else {
                    votes
                },
                if a["signed_decision"].is_string() {
                    "signed (Ed25519 JWT in the records)".into()
                } else {
                    "—".into()
                },
            ]
        })
        .collect();
    out.push_str(&table(
        &["Request", "Agent", "Operation", "State", "Decided by", "Decision"],
        rows,
        "No approval was asked for in the period.",
    ));
    out.push_str("</section>");
}

/// The period's revocations and how complete they are.
pub(super) fn revocations(out: &mut String, records: &Records) {
    out.push_str("<section id=\"revocations\"><h2>Revocations and their completeness</h2>");
    let complete = records
        .revocations
        .iter()
        .filter(|r| r["state"] == "complete")
        .count();
    out.push_str(&format!(
        "<p><b>{complete}</b> of <b>{}</b> revocations complete: the credential dead and every stored copy resolved.</p>",
        records.revocations.len()
    ));
    let rows = records
        .revocations
        .iter()
        .map(|r| {
            vec![
                text(&r["credential"]),
                text(&r["state"]),
                format!("{} of {}", r["copies_resolved"], r["copies"]),
                text(&r["requested_by"]),
                text(&r["requested_at"]),
                text(&r["reason"]),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Credential",
            "State",
            "Copies resolved",
            "Requested by",
            "Requested",
            "Reason",
        ],
        rows,
        "No revocation in the period.",
    ));
    out.push_str("</section>");
}

/// The leavers and the re-homing of what they owned.
pub(super) fn leavers(out: &mut String, records: &Records) {
    out.push_str("<section id=\"leavers\"><h2>Leavers and the re-homing of what they owned</h2>");
    let rows = records
        .leavers
        .iter()
        .map(|l| {
            vec![
                text(&l["person"]["name"]),
                text(&l["departed_at"]),
                text(&l["items_rehomed"]),
                match l["hours_to_rehome_all"].as_f64() {
                    Some(h) => format!("{h} h"),
                    None => "not yet".into(),
                },
                format!(
                    "{} agents, {} credentials",
                    l["agents_still_owned"], l["credentials_still_owned"]
                ),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "Person",
            "Left",
            "Items re-homed",
            "All re-homed within",
            "Still theirs",
        ],
        rows,
        "Nobody left in the period.",
    ));
    out.push_str("</section>");
}

/// The imports and scans that fed the inventory.
pub(super) fn imports(out: &mut String, records: &Records) {
    out.push_str("<section id=\"imports\"><h2>Imports and scans that fed the inventory</h2>");
    let rows = records
        .imports
        .iter()
        .map(|i| {
            vec![
                text(&i["kind"]),
                text(&i["source"]),
                text(&i["finished_at"]),
                text(&i["imported_by"]),
                text(&i["findings"]),
                format!(
                    "{} new credentials, {} new copies, {} removed",
                    i["credentials_created"], i["copies_created"], i["copies_removed"]
                ),
            ]
        })
        .collect();
    out.push_str(&table(
        &["Kind", "Source", "Finished", "By", "Findings", "Effect"],
        rows,
        "No import in the period.",
    ));
    out.push_str("</section>");
}

/// The audit log's chain over the period.
pub(super) fn audit(out: &mut String, records: &Records) {
    out.push_str("<section id=\"audit\"><h2>The audit log</h2>");
    if let Some(chain) = &records.chain {
        out.push_str(&format!(
            "<p>{} entries in the period, from entry {} to entry {}. Head before the period: <code>{}</code>; \
             at its end: <code>{}</code>.</p><p>The whole chain when the pack was made: <b>{}</b> ({}).</p>\
             <p>Oldest entry kept: {} — the log is append-only and never pruned, so it keeps at least \
             the six months the EU AI Act asks deployers for once it is that old.</p>",
            chain.entries,
            chain.start.seq + 1,
            chain.end.seq,
            esc(&chain.start.hash),
            esc(&chain.end.hash),
            if chain.intact { "intact" } else { "TAMPERED WITH" },
            esc(&chain.whole_chain),
            chain.oldest_entry_at.as_deref().map(esc).unwrap_or_else(|| "none".into()),
        ));
    }
    out.push_str("</section>");
}
