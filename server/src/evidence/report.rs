//! The evidence pack's report (`report.html`, one self-contained page that
//! prints well) and its control mapping (`controls.json`): each control of
//! the frameworks auditors ask about, with the report's sections and the
//! records files behind it.

use chrono::{DateTime, Utc};
use plotters::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::{Period, Records};

/// A section of the report, and the records behind it.
#[derive(Debug, Clone, Copy)]
struct Section {
    id: &'static str,
    title: &'static str,
    records: &'static [&'static str],
}

const SECTIONS: &[Section] = &[
    Section {
        id: "posture",
        title: "Posture over the period",
        records: &["records/posture.jsonl"],
    },
    Section {
        id: "reviews",
        title: "Access reviews",
        records: &["records/campaigns.jsonl", "records/review-decisions.jsonl"],
    },
    Section {
        id: "approvals",
        title: "Approvals of sensitive operations",
        records: &["records/approvals.jsonl"],
    },
    Section {
        id: "revocations",
        title: "Revocations and their completeness",
        records: &["records/revocations.jsonl"],
    },
    Section {
        id: "leavers",
        title: "Leavers and the re-homing of what they owned",
        records: &["records/leavers.jsonl"],
    },
    Section {
        id: "imports",
        title: "Imports and scans that fed the inventory",
        records: &["records/imports.jsonl"],
    },
    Section {
        id: "audit",
        title: "The audit log",
        records: &["records/audit.jsonl", "audit-chain.json"],
    },
];

/// A control and where its evidence is.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// The framework.
    pub framework: &'static str,
    /// The control's reference.
    pub id: &'static str,
    /// What it asks, in short.
    pub title: &'static str,
    /// The report's sections that answer it.
    pub sections: Vec<&'static str>,
    /// The records files behind them.
    pub records: Vec<&'static str>,
    /// How many records those sections hold for the period.
    pub record_count: usize,
}

/// (framework, control, title, sections).
const MAPPING: &[(&str, &str, &str, &[&str])] = &[
    (
        "SOC 2",
        "CC6.1",
        "Logical access security over information assets",
        &["posture", "reviews"],
    ),
    (
        "SOC 2",
        "CC6.2",
        "Access is authorised before it is granted",
        &["approvals", "reviews"],
    ),
    (
        "SOC 2",
        "CC6.3",
        "Access is modified and removed as roles change",
        &["reviews", "revocations", "leavers"],
    ),
    (
        "SOC 2",
        "CC6.6",
        "Access from outside the system's boundaries is restricted",
        &["posture", "imports"],
    ),
    (
        "SOC 2",
        "CC7.2",
        "System components are monitored for anomalies",
        &["audit", "imports"],
    ),
    (
        "ISO/IEC 27001:2022",
        "A.5.15",
        "Access control",
        &["reviews", "approvals"],
    ),
    (
        "ISO/IEC 27001:2022",
        "A.5.16",
        "Identity management",
        &["posture", "leavers"],
    ),
    (
        "ISO/IEC 27001:2022",
        "A.5.17",
        "Authentication information",
        &["revocations", "posture"],
    ),
    (
        "ISO/IEC 27001:2022",
        "A.5.18",
        "Access rights: provisioned, reviewed, removed",
        &["reviews", "revocations", "leavers"],
    ),
    (
        "ISO/IEC 27001:2022",
        "A.8.2",
        "Privileged access rights",
        &["approvals", "reviews"],
    ),
    (
        "ISO/IEC 27001:2022",
        "A.8.5",
        "Secure authentication",
        &["posture", "revocations"],
    ),
    ("ISO/IEC 27001:2022", "A.8.15", "Logging", &["audit"]),
    (
        "ISO/IEC 27001:2022",
        "A.8.16",
        "Monitoring activities",
        &["audit", "imports"],
    ),
    (
        "EU AI Act",
        "Art. 12",
        "Record-keeping: events logged automatically",
        &["audit", "approvals"],
    ),
    (
        "EU AI Act",
        "Art. 14",
        "Human oversight",
        &["approvals", "reviews"],
    ),
    (
        "EU AI Act",
        "Art. 26(6)",
        "Deployers keep the logs for at least six months",
        &["audit"],
    ),
    (
        "NIST AI RMF",
        "GOVERN",
        "Accountability, roles and oversight of AI systems",
        &["reviews", "posture", "leavers"],
    ),
    (
        "NIST AI RMF",
        "MANAGE",
        "Risks are responded to, monitored and recovered from",
        &["revocations", "approvals", "imports"],
    ),
    (
        "OWASP NHI Top 10",
        "NHI1",
        "Improper offboarding",
        &["leavers", "reviews"],
    ),
    (
        "OWASP NHI Top 10",
        "NHI2",
        "Secret leakage",
        &["revocations", "imports"],
    ),
    ("OWASP NHI Top 10", "NHI5", "Overprivileged NHI", &["reviews"]),
    (
        "OWASP NHI Top 10",
        "NHI7",
        "Long-lived secrets",
        &["revocations", "posture"],
    ),
    (
        "OWASP Agentic Top 10",
        "ASI03",
        "Identity and privilege abuse",
        &["approvals", "reviews", "revocations"],
    ),
];

fn count(records: &Records, section: &str) -> usize {
    match section {
        "posture" => records.posture.len(),
        "reviews" => records.campaigns.len() + records.decisions.len(),
        "approvals" => records.approvals.len(),
        "revocations" => records.revocations.len(),
        "leavers" => records.leavers.len(),
        "imports" => records.imports.len(),
        _ => records.audit.len(),
    }
}

/// Every control, mapped.
pub fn controls(records: &Records) -> Vec<Control> {
    MAPPING
        .iter()
        .map(|(framework, id, title, sections)| Control {
            framework,
            id,
            title,
            sections: sections.to_vec(),
            records: sections
                .iter()
                .flat_map(|s| {
                    SECTIONS
                        .iter()
                        .find(|x| x.id == *s)
                        .map(|x| x.records)
                        .unwrap_or_default()
                })
                .copied()
                .collect(),
            record_count: sections.iter().map(|s| count(records, s)).sum(),
        })
        .collect()
}

fn esc(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

/// A line chart of named series over the days, as SVG; `None` below two days.
fn chart(title: &str, days: &[String], series: &[(&str, Vec<f64>, RGBColor)], max: f64) -> Option<String> {
    if days.len() < 2 {
        return None;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 260)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0..days.len() - 1, 0.0..max.max(1.0))
            .ok()?;
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|i| days.get(*i).map(|d| d[5..].to_owned()).unwrap_or_default())
            .draw()
            .ok()?;
        for (name, values, color) in series {
            let color = *color;
            chart
                .draw_series(LineSeries::new(
                    values.iter().copied().enumerate(),
                    color.stroke_width(2),
                ))
                .ok()?
                .label(*name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

fn table(headers: &[&str], rows: Vec<Vec<String>>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\">{empty}</p>");
    }
    let head: String = headers.iter().map(|h| format!("<th>{h}</th>")).collect();
    let body: String = rows
        .into_iter()
        .map(|row| {
            format!(
                "<tr>{}</tr>",
                row.into_iter()
                    .map(|c| format!("<td>{c}</td>"))
                    .collect::<String>()
            )
        })
        .collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
}

fn f(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or_default()
}

/// The report, one self-contained HTML page.
pub fn html(records: &Records, controls: &[Control], period: Period, generated_at: DateTime<Utc>) -> String {
    let mut out = String::new();
    let (from, to) = (period.from.format("%Y-%m-%d"), period.to.format("%Y-%m-%d"));
    out.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Muster evidence {from} to {to}</title>\
         <style>{STYLE}</style></head><body><header><h1>Evidence of AI agents' access governance</h1>\
         <p>Period <b>{from}</b> to <b>{to}</b> (both included) · made {} · by Muster {}</p>\
         <p class=\"note\">This report is one file of a signed evidence pack. Check the pack with \
         <code>muster evidence verify pack.zip --key KEY</code> against the key published at \
         <code>/api/v1/evidence/key</code>: it proves that no file, record or audit entry was changed \
         after the pack was made.</p></header>",
        generated_at.format("%Y-%m-%d %H:%M UTC"),
        env!("CARGO_PKG_VERSION")
    ));
    // Controls first: what an auditor looks for.
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
    // Posture.
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
    // Reviews.
    out.push_str("<section id=\"reviews\"><h2>Access reviews</h2>");
    let rows = records
        .campaigns
        .iter()
        .map(|c| {
            let p = &c.progress;
            let done = if p.items > 0 { 100 * p.decided / p.items } else { 0 };
            vec![
                format!("<b>{}</b>", esc(&c.name)),
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
    // Approvals.
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
    // Revocations.
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
    // Leavers.
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
    // Imports.
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
    // Audit.
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
    out.push_str("</section></body></html>");
    out
}

const STYLE: &str = "body{font:14px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2937;\
max-width:1100px;margin:24px auto;padding:0 16px;font-variant-numeric:tabular-nums}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}\
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e7eb;\
vertical-align:top}th{background:#f9fafb;font-weight:600}code{font-size:12px;word-break:break-all}\
.note{color:#4b5563}.empty{color:#6b7280;font-style:italic}.charts{display:flex;flex-wrap:wrap;gap:12px}\
@media print{body{margin:0;max-width:none}section{break-inside:avoid-page}a{color:inherit;text-decoration:none}}";
