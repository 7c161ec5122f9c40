//! Notifications: what Muster tells people and channels, each person's
//! preferences, the organisation's channels, and the outbox that sends it all.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::fmt;
use std::str::FromStr;

use super::{DeliveryState, UnknownValue};

wire_enum! {
    /// Something Muster tells people about.
    NotifyEvent("event") {
        /// An approval request waits for a decision.
        ApprovalRequested = "approval.requested", "A request waits for your decision";
        /// An approval request is about to expire undecided.
        ApprovalReminder = "approval.reminder", "A request is about to expire";
        /// An approval request about an agent was decided or expired.
        ApprovalDecided = "approval.decided", "A request for your agent was decided";
        /// A person left, and what they owned has no owner.
        OwnershipOrphaned = "ownership.orphaned", "Someone who reports to you left items without an owner";
        /// An agent or credential was given to someone.
        OwnershipAssigned = "ownership.assigned", "An agent or credential is now yours";
        /// A manager's weekly summary of their teams' unowned and critical items.
        OwnershipWeekly = "ownership.weekly", "Each week: your teams' unowned and critical items";
        /// A credential's risk turned critical.
        RiskCritical = "risk.critical", "A credential turned critical";
        /// A production credential behaved as it never had.
        BehaviourFinding = "behaviour.finding", "A production credential behaved unusually";
        /// The revocation webhook keeps failing.
        WebhookFailing = "webhook.failing", "The revocation webhook keeps failing";
        /// An access review gave you items to decide.
        ReviewAssigned = "review.assigned", "An access review waits for your decisions";
        /// An access review is due soon and you have items left.
        ReviewReminder = "review.reminder", "An access review is due soon";
        /// Items of an access review were not decided in time and came to you.
        ReviewEscalated = "review.escalated", "Undecided review items were escalated to you";
    }
}

wire_enum! {
    /// How a person hears of an event by email.
    NotifyDelivery("delivery") {
        /// A message for each event.
        Each = "each", "Each time";
        /// Gathered into one message a day.
        Digest = "digest", "In a daily digest";
        /// Not at all.
        Off = "off", "Never";
    }
}

wire_enum! {
    /// The kind of an organisation channel.
    ChannelKind("channel_kind") {
        /// A Slack incoming webhook (Block Kit messages).
        Slack = "slack", "Slack";
        /// A Microsoft Teams incoming webhook or workflow (Adaptive Cards).
        Teams = "teams", "Microsoft Teams";
        /// A signed event stream (Standard Webhooks) for any other automation.
        Webhook = "webhook", "Signed event stream";
    }
}

wire_enum! {
    /// What an outbox message carries.
    OutboxTopic("topic") {
        /// A revocation sent to the automation webhook.
        Revocation = "revocation", "Revocation webhook";
        /// An approval decision sent to the agent's callback URL.
        Callback = "callback", "Approval callback";
        /// Something that happened, to be told to whoever should hear it.
        Event = "event", "Event";
        /// A message to one person or channel.
        Notification = "notification", "Notification";
    }
}

/// How a person hears of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventPreference {
    /// The event.
    pub event: NotifyEvent,
    /// Each time, in a digest, or never.
    pub delivery: NotifyDelivery,
}

/// `GET /api/v1/notifications/preferences`: what the signed-in person hears, by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preferences {
    /// Where their messages go.
    pub email: String,
    /// Whether this server sends email (`--smtp-url`); without it, only the
    /// organisation's channels hear of events.
    pub email_enabled: bool,
    /// Every event, with how they hear of it.
    pub events: Vec<EventPreference>,
}

/// `PUT /api/v1/notifications/preferences`: the events to change (others stay as they are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    /// Events and how to hear of them.
    pub events: Vec<EventPreference>,
}

/// An organisation channel, as admins see it: never its URL or secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationChannel {
    /// Its id.
    pub id: i64,
    /// Its name, e.g. `#security`.
    pub name: String,
    /// Slack, Teams or a signed event stream.
    pub kind: ChannelKind,
    /// The URL's host, to tell channels apart (the rest is secret).
    pub host: String,
    /// Whether messages are signed (event streams).
    pub signed: bool,
    /// What it hears (empty: every event).
    pub events: Vec<NotifyEvent>,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/notification-channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewNotificationChannel {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ChannelKind,
    /// Where to post (`https://`, or `http://` for a receiver on the same network).
    pub url: String,
    /// An event stream's signing secret (`whsec_` and Base64 of 24 to 64
    /// bytes); made for you when left out, and shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// What it hears (empty: every event).
    #[serde(default)]
    pub events: Vec<NotifyEvent>,
}

/// The answer to adding a channel: the channel, and an event stream's
/// signing secret when Muster made it (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedChannel {
    /// The channel.
    pub channel: NotificationChannel,
    /// The secret Muster made, if it made one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One message of the outbox, as admins see it (never its body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    /// Its id.
    pub id: i64,
    /// What it carries.
    pub topic: OutboxTopic,
    /// The event it announces.
    pub event: String,
    /// Who or what it goes to: an email address, a channel's name, a
    /// callback's host, or the revocation webhook.
    pub recipient: String,
    /// Where it stands (`failed`: a dead letter).
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i64,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// What went wrong with the last attempt.
    pub last_error: Option<String>,
}

/// `GET /api/v1/outbox`: counts by state and the newest messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxStatus {
    /// Messages waiting to be sent (or retried).
    pub pending: i64,
    /// Messages delivered.
    pub delivered: i64,
    /// Dead letters: messages given up on.
    pub failed: i64,
    /// The newest messages (dead letters first when `state=failed` is asked).
    pub messages: Vec<OutboxMessage>,
}

/// `GET /api/v1/outbox` query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Only messages in this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DeliveryState>,
    /// Only messages of this topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<OutboxTopic>,
}
