//! Decision callbacks sent through the outbox, and the approvals worker
//! that records requests which expired undecided.

use model::api as json;

use super::keys::DecisionKey;
/// How long one callback attempt may take.
pub const CALLBACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Decision callbacks' courier in the one outbox ([`crate::outbox`]): each
/// sent only to a destination still allowed, through the client its
/// `allow_private` calls for, signed with the approvals key.
pub struct Callbacks {
    db: crate::db::Db,
    key: DecisionKey,
    clients: crate::outbound::Clients,
    policy: crate::outbox::Policy,
}

impl Callbacks {
    /// The courier: 8 attempts, 5 s doubling to 10 minutes, 16 at once and 2
    /// per host and port (a slow destination holds these, not everyone's).
    pub fn new(db: crate::db::Db, key: DecisionKey) -> Result<Self, reqwest::Error> {
        Ok(Self {
            db,
            key,
            clients: crate::outbound::Clients::new(CALLBACK_TIMEOUT)?,
            policy: crate::outbox::Policy {
                attempts: 8,
                first_retry: std::time::Duration::from_secs(5),
                longest_wait: std::time::Duration::from_secs(600),
                timeout: CALLBACK_TIMEOUT,
                slots: 16,
                slots_per_lane: 2,
            },
        })
    }

    /// Where the callbacks of this request's agent may go: its own and the
    /// organisation's destinations, as they are now.
    async fn allowed(&self, request: i64) -> Result<Vec<json::CallbackDestination>, crate::ApiError> {
        let mut conn = self.db.pool().acquire().await?;
        let Some(agent) = crate::db::approvals::agent_of(&mut conn, request).await? else {
            return Ok(Vec::new());
        };
        Ok(crate::db::destinations::for_agent(&mut conn, agent).await?)
    }
}

impl crate::outbox::Courier for Callbacks {
    const TOPIC: json::OutboxTopic = json::OutboxTopic::Callback;

    fn policy(&self) -> &crate::outbox::Policy {
        &self.policy
    }

    /// Host and port: two services on one host are two destinations.
    fn lane(&self, due: &crate::db::outbox::Message) -> String {
        reqwest::Url::parse(&due.destination)
            .ok()
            .and_then(|url| Some((crate::outbound::url_host(&url)?.0, url.port_or_known_default())))
            .map(|(host, port)| format!("{host}:{}", port.unwrap_or_default()))
            .unwrap_or_default()
    }

    async fn send(&self, due: &crate::db::outbox::Message) -> crate::outbox::Attempt {
        use crate::outbox::Attempt;
        let allowed = match self.allowed(due.subject.unwrap_or_default()).await {
            Ok(allowed) => allowed,
            Err(error) => {
                return Attempt::failed(None, format!("cannot read the allowed destinations: {error}"));
            }
        };
        let checked = reqwest::Url::parse(&due.destination)
            .map_err(|e| e.to_string())
            .and_then(|url| crate::outbound::destination(&allowed, &url).map(|d| d.allow_private));
        // No longer allowed: never sent, and not retried.
        let allow_private = match checked {
            Ok(allow_private) => allow_private,
            Err(why) => return Attempt::refused(why),
        };
        let client = if allow_private {
            &self.clients.private
        } else {
            &self.clients.public
        };
        let id = due.message_id();
        let timestamp = chrono::Utc::now().timestamp();
        let sent = client
            .post(&due.destination)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                self.key.webhook_signature(&id, timestamp, &due.body),
            )
            .body(due.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                Attempt::delivered(Some(response.status().as_u16()))
            }
            Ok(response) => Attempt::failed(
                Some(response.status().as_u16()),
                format!("the callback answered {}", response.status()),
            ),
            Err(error) => Attempt::failed(None, crate::outbox::error_text(&error)),
        }
    }
}

/// Starts the approvals worker of `muster serve`: it records requests that
/// expired undecided (audited, with their callback) and reminds approvers of
/// requests about to expire. Expiry does not wait for it: every decision
/// checks the time itself.
pub fn spawn_worker(state: crate::AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = super::decide::sweep(&state).await {
                tracing::error!(error = ?error, "recording expired approval requests failed");
            }
            if let Err(error) = crate::notify::remind_approvers(&state.db, state.settings.clock.now()).await {
                tracing::error!(error = ?error, "reminding approvers failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    })
}
