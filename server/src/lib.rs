//! Muster's server as a library: the HTTP application ([`app`]), its state,
//! storage and command-line entry points. `main.rs` only parses arguments and
//! calls [`cli::run`]; tests build the same [`app`] on a free port.
#![forbid(unsafe_code)]

pub mod aggregates;
pub mod approval;
pub mod arn;
pub mod audit;
pub mod auth;
pub mod catalogue;
pub mod cli;
pub mod client;
pub mod clock;
pub mod db;
pub mod demo;
pub mod discovery;
pub mod error;
pub mod evidence;
pub mod fingerprint;
pub mod http;
pub mod identity;
pub mod import;
pub mod inventory;
pub mod issued_tokens;
pub mod notify;
pub mod outbound;
pub mod outbox;
pub mod ownership;
pub mod paths;
pub mod people;
pub mod review;
pub mod revocation;
pub mod risk;
pub mod scan;
pub mod schedule;
pub mod scopes;
pub mod scoring;
pub mod serve;
pub mod web;
pub mod webhook;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::Request;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Everything a request handler may need, cheap to clone (all shared).
#[derive(Clone)]
pub struct AppState {
    /// The database pool (SQLite or PostgreSQL).
    pub db: db::Db,
    /// Settings fixed at start-up.
    pub settings: Arc<Settings>,
    /// Wakes the webhook sender when a delivery was queued.
    pub outbox: Arc<tokio::sync::Notify>,
    /// Wakes long-polls of approval requests when one was decided.
    pub decided: Arc<tokio::sync::Notify>,
    /// Wakes the callbacks' sender when a decision callback was queued.
    pub callbacks: Arc<tokio::sync::Notify>,
    /// Wakes the event courier when an event was raised ([`notify`]).
    pub events: Arc<tokio::sync::Notify>,
    /// Wakes the notice courier when a notification was queued.
    pub notices: Arc<tokio::sync::Notify>,
    /// When each approval request was last polled (to refuse polling too fast).
    pub polls: Arc<std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>>,
    /// Slots for API requests under way ([`serve::limit_in_flight`]).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// How many long-polls each agent has waiting.
    pub long_polls: serve::PerKey<i64>,
    /// Held while the audit chain is walked: one walk at a time.
    pub verifying: Arc<tokio::sync::Mutex<()>>,
    /// The Overview's and the risk summary's figures, until something changes.
    pub aggregates: aggregates::Aggregates,
}

impl AppState {
    /// The state of a server on `db` with `settings`.
    pub fn new(db: db::Db, settings: Settings) -> Self {
        let slots = settings.max_requests.unwrap_or(serve::MAX_REQUESTS);
        Self {
            db,
            settings: Arc::new(settings),
            outbox: Arc::default(),
            decided: Arc::default(),
            callbacks: Arc::default(),
            events: Arc::default(),
            notices: Arc::default(),
            polls: Arc::default(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(slots)),
            long_polls: serve::PerKey::new(serve::LONG_POLLS_PER_AGENT),
            verifying: Arc::default(),
            aggregates: aggregates::Aggregates::default(),
        }
    }

    /// Starts the work a server does besides answering requests: the
    /// outbox's senders (the webhook's deliveries when one is configured,
    /// decision callbacks, events and the notifications they fan out to),
    /// recording expired approval requests and reminding approvers, and the
    /// scheduled work (when [`Settings::schedule`] asks for it).
    pub fn spawn_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let mut workers: Vec<_> = webhook::spawn(
            self.db.clone(),
            self.settings.webhook.clone(),
            self.outbox.clone(),
        )
        .into_iter()
        .collect();
        match approval::Callbacks::new(self.db.clone(), self.settings.approval_key.clone()) {
            Ok(courier) => workers.push(outbox::spawn(self.db.clone(), courier, self.callbacks.clone())),
            Err(error) => {
                tracing::error!(error = ?error, "cannot build the callbacks' HTTP client; none will be sent")
            }
        }
        let config = self.notify_config();
        workers.push(outbox::spawn(
            self.db.clone(),
            notify::Events::new(config.clone(), self.notices.clone()),
            self.events.clone(),
        ));
        match notify::Notices::new(self.db.clone(), config.smtp.as_ref(), config.first_retry) {
            Ok(courier) => workers.push(outbox::spawn(self.db.clone(), courier, self.notices.clone())),
            Err(error) => tracing::error!(error = %error, "cannot start sending notifications"),
        }
        workers.push(approval::spawn_worker(self.clone()));
        workers.extend(schedule::spawn(self.clone()));
        workers
    }

    /// Wakes the outbox's senders after a commit that queued messages
    /// (revocation deliveries, decision callbacks, events); a sender that
    /// finds nothing goes back to sleep.
    pub fn wake_senders(&self) {
        self.outbox.notify_one();
        self.callbacks.notify_one();
        self.events.notify_one();
    }

    /// How this server notifies, its links starting with the public URL
    /// when one is set.
    pub fn notify_config(&self) -> notify::Config {
        let mut config = self.settings.notify.clone();
        if let Some(public) = &self.settings.public_url {
            config.base = public.clone();
        }
        config
    }
}

/// Settings of a running server that handlers may read.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Where the built web app lives (`index.html` and its assets).
    pub dist: PathBuf,
    /// Whether this is a demo (`serve --demo`): the sign-in page says so.
    pub demo: bool,
    /// The automation webhook that revocations are sent to, if any.
    pub webhook: Option<webhook::WebhookConfig>,
    /// The key that signs approval decisions and callbacks.
    pub approval_key: approval::DecisionKey,
    /// The approval workflow's clock (set by hand in tests).
    pub clock: clock::Clock,
    /// Fingerprints secrets found by imports (the installation's key).
    pub fingerprinter: fingerprint::Fingerprinter,
    /// Where uploaded reports (which hold secrets) wait while they are read:
    /// a folder of Muster's own, emptied at start ([`import::prepare_spool`]),
    /// so that a crash leaves none behind for long. `None`: the system's
    /// temporary folder (tests).
    pub spool: Option<PathBuf>,
    /// The reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto`
    /// are believed ([`client`]); nobody's by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// API requests under way at most; more are refused (503) until one
    /// ends. `None`: [`serve::MAX_REQUESTS`].
    pub max_requests: Option<usize>,
    /// How long a request body may stall between two pieces. `None`:
    /// [`serve::BODY_IDLE_TIMEOUT`].
    pub body_idle_timeout: Option<std::time::Duration>,
    /// The organisation's identity provider, when people sign in with it.
    pub oidc: Option<Arc<identity::oidc::Provider>>,
    /// Who may sign in with a local password.
    pub passwords: identity::PasswordSignIn,
    /// The address people open Muster at (`--public-url`), for links and
    /// SCIM locations; `None`: the address each request was sent to.
    pub public_url: Option<url::Url>,
    /// Whether SCIM groups are teams (`--scim-group-teams`), rather than
    /// the users' departments.
    pub scim_group_teams: bool,
    /// How often to look for scheduled work ([`schedule`]: the daily
    /// recompute, the posture snapshot); `None`: none is done (tests that
    /// do not ask for it).
    pub schedule: Option<std::time::Duration>,
    /// How long an import's heartbeat may stop before the scheduled work
    /// takes it over; `None`: [`import::staged::TAKEOVER_AFTER`].
    pub import_takeover: Option<std::time::Duration>,
    /// How people and channels are told of what concerns them.
    pub notify: notify::Config,
}

/// Ends a request whose body stalls for [`Settings::body_idle_timeout`]
/// between two pieces: a slow upload cannot hold a connection for ever.
async fn bound_body_stalls(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request<axum::body::Body>,
) -> Request<axum::body::Body> {
    let timeout = state
        .settings
        .body_idle_timeout
        .unwrap_or(serve::BODY_IDLE_TIMEOUT);
    request.map(|body| axum::body::Body::new(tower_http::timeout::TimeoutBody::new(timeout, body)))
}

/// Removes a request id the client sent, so that the server makes its own.
async fn drop_client_request_id(mut request: Request<axum::body::Body>) -> Request<axum::body::Body> {
    request.headers_mut().remove("x-request-id");
    request
}

/// The whole HTTP application: the JSON API under `/api`, the web app for
/// every other path, security headers and a request id on every response,
/// and one log span per request.
pub fn app(state: AppState) -> Router {
    let web = web::WebApp::load(&state.settings.dist);
    let middleware = ServiceBuilder::new()
        // The audit log records each change's request id: the server's own,
        // never one a client chose (which could forge or collide with another's).
        .layer(axum::middleware::map_request(drop_client_request_id))
        .layer(axum::middleware::map_request_with_state(
            state.clone(),
            bound_body_stalls,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::identify,
        ))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::map_response_with_state(
            web.security_headers(),
            web::add_security_headers,
        ))
        .layer(axum::middleware::from_fn(web::cache_built_files));
    Router::new()
        .nest("/api", http::router(&state))
        .nest("/scim/v2", http::scim::router(&state))
        .fallback_service(web.service())
        .layer(middleware)
        .with_state(state)
}
