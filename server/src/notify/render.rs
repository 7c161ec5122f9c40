//! What a notice looks like on each channel: an email (plain text and
//! HTML), a Slack message (Block Kit), a Microsoft Teams message (an
//! Adaptive Card) and a signed event stream's JSON. Each says what happened,
//! why the reader gets it, and links to the screen where it is acted on;
//! none carries more than names (never a secret, token or fingerprint).

use html_escape::encode_text as html;
use model::api::{ChannelKind, NotifyEvent};
use serde_json::json;

use crate::db::notify::Held;

/// A notice, ready to be told.
#[derive(Debug, Clone)]
pub struct Notice {
    /// What happened.
    pub event: NotifyEvent,
    /// In one line.
    pub title: String,
    /// The facts that help to act.
    pub lines: Vec<String>,
    /// The screen to act on (absolute).
    pub link: String,
    /// The link's words ("Decide in Muster").
    pub action: String,
}

/// The footer of every email: where to change what one hears.
const FOOTER: &str = "Change what you hear of on Muster's Notifications screen.";

/// An email for `to`, told `why` they get it: JSON of `to`, `subject`,
/// `text` and `html`, which the notice courier turns into a message.
pub fn email(notice: &Notice, to: &str, why: &str) -> String {
    let text = format!(
        "{}\n\n{}\n\n{}: {}\n\n{why}\n{FOOTER}\n",
        notice.title,
        notice.lines.join("\n"),
        notice.action,
        notice.link
    );
    let items: String = notice
        .lines
        .iter()
        .map(|line| format!("<li>{}</li>", html(line)))
        .collect();
    let body = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1f2933\">\
         <h2 style=\"font-size:18px\">{title}</h2><ul>{items}</ul>\
         <p><a href=\"{link}\" style=\"background:#1d4ed8;color:#fff;padding:8px 14px;border-radius:4px;\
         text-decoration:none\">{action}</a></p>\
         <p style=\"color:#52606d;font-size:13px\">{why}<br>{FOOTER}</p></body></html>",
        title = html(&notice.title),
        link = html_escape::encode_double_quoted_attribute(&notice.link),
        action = html(&notice.action),
        why = html(why),
    );
    json!({ "to": to, "subject": one_line(&notice.title), "text": text, "html": body }).to_string()
}

/// `text` without control characters: a subject is one line, whatever an
/// agent named its operation.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A Teams text block that shows `text` as it is: a `RichTextBlock` of
/// text runs, which (unlike a `TextBlock`) reads no Markdown, so that an
/// agent's operation cannot become a link on the approvers' card.
fn teams_text(text: &str, subtle: bool) -> serde_json::Value {
    let mut run = json!({ "type": "TextRun", "text": text });
    if subtle {
        run["isSubtle"] = json!(true);
        run["size"] = json!("Small");
    }
    json!({ "type": "RichTextBlock", "inlines": [run] })
}

/// A digest email of the notices held for `to`.
pub fn digest(notices: &[Held], to: &str, settings: &str) -> String {
    let subject = format!("Muster: {} things for you today", notices.len());
    let text: String = notices
        .iter()
        .map(|n| format!("- {}\n  {}\n", n.title, n.link))
        .collect();
    let items: String = notices
        .iter()
        .map(|n| {
            format!(
                "<li><a href=\"{}\">{}</a></li>",
                html_escape::encode_double_quoted_attribute(&n.link),
                html(&n.title)
            )
        })
        .collect();
    let why = "You asked for these in a daily digest.";
    let text = format!("{subject}\n\n{text}\n{why}\n{FOOTER} {settings}\n");
    let body = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif\"><h2 style=\"font-size:18px\">\
         {}</h2><ul>{items}</ul><p style=\"color:#52606d;font-size:13px\">{why}<br>{FOOTER}</p></body></html>",
        html(&subject)
    );
    json!({ "to": to, "subject": subject, "text": text, "html": body }).to_string()
}

/// Slack's mrkdwn wants `&`, `<` and `>` escaped, and nothing else.
fn slack_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The message for a channel of `kind` named `channel`; `key` names the
/// occurrence for an event stream's receivers.
pub fn for_channel(notice: &Notice, channel: &str, kind: ChannelKind, key: &str) -> String {
    let why = format!(
        "Sent to {channel}, which hears \u{201c}{}\u{201d}.",
        notice.event.label()
    );
    match kind {
        ChannelKind::Slack => json!({
            "text": slack_text(&notice.title),
            "blocks": [
                { "type": "header", "text": { "type": "plain_text", "text": truncate(&notice.title, 150) } },
                { "type": "section", "text": { "type": "mrkdwn",
                    "text": truncate(&slack_text(&notice.lines.join("\n")), 3000) } },
                { "type": "actions", "elements": [{ "type": "button",
                    "text": { "type": "plain_text", "text": notice.action }, "url": notice.link }] },
                { "type": "context", "elements": [{ "type": "mrkdwn", "text": slack_text(&why) }] },
            ],
        }),
        ChannelKind::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        { "type": "RichTextBlock", "inlines": [
                            { "type": "TextRun", "text": notice.title, "weight": "Bolder", "size": "Medium" },
                        ] },
                        teams_text(&notice.lines.join("\n"), false),
                        teams_text(&why, true),
                    ],
                    "actions": [{ "type": "Action.OpenUrl", "title": notice.action, "url": notice.link }],
                },
            }],
        }),
        ChannelKind::Webhook => json!({
            "type": notice.event,
            "key": key,
            "data": { "title": notice.title, "lines": notice.lines, "link": notice.link },
        }),
    }
    .to_string()
}

/// At most `max` characters (Slack refuses longer blocks).
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('\u{2026}');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            event: NotifyEvent::ApprovalRequested,
            title: "billing-bot asks to db:export on <customers> & co".into(),
            lines: vec!["Rule: Default".into()],
            link: "https://muster.example/approvals?request=3&x=\"y\"".into(),
            action: "Decide in Muster".into(),
        }
    }

    #[test]
    fn an_email_escapes_what_it_quotes_in_html() {
        let email: serde_json::Value =
            serde_json::from_str(&email(&notice(), "a@b.c", "You <approve>.")).unwrap();
        let body = email["html"].as_str().unwrap();
        assert!(body.contains("&lt;customers&gt; &amp; co"), "{body}");
        assert!(body.contains("You &lt;approve&gt;."), "{body}");
        assert!(!body.contains("x=\"y\""), "{body}");
        assert!(
            email["text"]
                .as_str()
                .unwrap()
                .contains("https://muster.example/approvals?request=3")
        );
        assert_eq!(email["subject"], notice().title);
        let mut forged = notice();
        forged.title = "x\r\nBcc: everyone@example.com".into();
        let forged: serde_json::Value = serde_json::from_str(&super::email(&forged, "a@b.c", "")).unwrap();
        assert_eq!(forged["subject"], "x  Bcc: everyone@example.com");
    }

    #[test]
    fn slack_messages_are_block_kit_with_a_button_to_the_screen() {
        let slack: serde_json::Value =
            serde_json::from_str(&for_channel(&notice(), "#sec", ChannelKind::Slack, "approval:3")).unwrap();
        assert_eq!(slack["blocks"][0]["type"], "header");
        assert_eq!(slack["blocks"][2]["elements"][0]["url"], notice().link);
        let teams: serde_json::Value =
            serde_json::from_str(&for_channel(&notice(), "Sec", ChannelKind::Teams, "approval:3")).unwrap();
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
        assert_eq!(
            teams["attachments"][0]["content"]["body"][0]["type"], "RichTextBlock",
            "no Markdown"
        );
        let stream: serde_json::Value =
            serde_json::from_str(&for_channel(&notice(), "Bus", ChannelKind::Webhook, "approval:3")).unwrap();
        assert_eq!(stream["type"], "approval.requested");
        assert_eq!(stream["key"], "approval:3");
        assert_eq!(truncate("abcdef", 4), "abc\u{2026}");
    }
}
