//! The evidence pack's report (`report.html`, one self-contained page that
//! prints well) and its control mapping (`controls.json`): each control of
//! the frameworks auditors ask about, with the report's sections and the
//! records files behind it.

mod chart;
mod mapping;
mod sections;
mod table;

use chrono::{DateTime, Utc};

use super::{Period, Records};

pub use mapping::{Control, controls};

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
    sections::controls(&mut out, controls);
    sections::posture(&mut out, records);
    sections::reviews(&mut out, records);
    sections::approvals(&mut out, records);
    sections::revocations(&mut out, records);
    sections::leavers(&mut out, records);
    sections::imports(&mut out, records);
    sections::audit(&mut out, records);
    out.push_str("</body></html>");
    out
}

/// The page's style sheet.
const STYLE: &str = "body{font:14px system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2937;\
max-width:1100px;margin:24px auto;padding:0 16px;font-variant-numeric:tabular-nums}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}\
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e7eb;\
vertical-align:top}th{background:#f9fafb;font-weight:600}code{font-size:12px;word-break:break-all}\
.note{color:#4b5563}.empty{color:#6b7280;font-style:italic}.charts{display:flex;flex-wrap:wrap;gap:12px}\
@media print{body{margin:0;max-width:none}section{break-inside:avoid-page}a{color:inherit;text-decoration:none}}";
