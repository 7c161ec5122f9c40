//! The control mapping (`controls.json`): each control of the frameworks
//! auditors ask about, with the report's sections and the records files
//! behind it.

use serde::Serialize;

use super::super::Records;

/// A section of the report, and the records behind it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Section {
    /// Its anchor in the report.
    pub(super) id: &'static str,
    /// Its heading.
    pub(super) title: &'static str,
    records: &'static [&'static str],
}

/// The report's sections, in order.
pub(super) const SECTIONS: &[Section] = &[
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
