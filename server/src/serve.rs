//! The HTTP server loop of `muster serve` (and of the tests' servers): hyper
//! with the timeouts `axum::serve` does not set. A client gets
//! [`HEADER_TIMEOUT`] to send a request's headers (a slow-loris connection,
//! or one left idle between requests, is closed), and a body that stops
//! arriving for [`BODY_IDLE_TIMEOUT`] ends its request (in [`crate::app`]).
//! On shutdown, the listener closes at once and requests under way get
//! [`Limits::shutdown_grace`] to finish: a slow upload does not hold the
//! server up for ever.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tower::ServiceExt;

/// How long a client has to send a request's headers, from the moment the
/// connection opens or the previous answer went out.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may stall between two pieces.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// API requests under way at most, by default (`--max-requests`).
pub const MAX_REQUESTS: usize = 1024;
/// Long-polls one agent may have waiting at once.
pub const LONG_POLLS_PER_AGENT: usize = 4;

/// Middleware: refuses an API request (503, `Retry-After: 1`) when
/// [`crate::AppState::in_flight`] has no slot left, rather than queueing
/// work the server cannot do in time. An agent's long-poll of its approval
/// request waits without a slot: those are bounded per agent instead
/// ([`long_poll_slot`]).
pub async fn limit_in_flight(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Result<axum::response::Response, crate::ApiError> {
    let long_poll =
        request.method() == axum::http::Method::GET && request.uri().path().contains("/approval-requests/");
    let _slot = if long_poll {
        None
    } else {
        Some(state.in_flight.clone().try_acquire_owned().map_err(|_| {
            crate::ApiError::Busy(
                "the server has as many requests under way as it takes; try again in a second".into(),
            )
        })?)
    };
    Ok(next.run(request).await)
}

/// At most `cap` places per key (an agent's long-polls, a destination's
/// callbacks), each given back when its [`Place`] is dropped.
#[derive(Debug)]
pub struct PerKey<K> {
    cap: usize,
    taken: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<K, usize>>>,
}

impl<K> Clone for PerKey<K> {
    fn clone(&self) -> Self {
        Self {
            cap: self.cap,
            taken: self.taken.clone(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> PerKey<K> {
    /// `cap` places per key.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            taken: std::sync::Arc::default(),
        }
    }

    /// One of `key`'s places, unless all are taken.
    pub fn take(&self, key: K) -> Option<Place<K>> {
        let mut taken = self.taken.lock().expect("not poisoned");
        let count = taken.entry(key.clone()).or_default();
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(Place {
            key,
            taken: self.taken.clone(),
        })
    }
}

/// A place taken from a [`PerKey`], given back when dropped.
#[derive(Debug)]
pub struct Place<K: std::hash::Hash + Eq> {
    key: K,
    taken: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<K, usize>>>,
}

impl<K: std::hash::Hash + Eq> Drop for Place<K> {
    fn drop(&mut self) {
        let mut taken = self.taken.lock().expect("not poisoned");
        if let Some(count) = taken.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                taken.remove(&self.key);
            }
        }
    }
}

/// Takes one of the agent's [`LONG_POLLS_PER_AGENT`] long-poll places, or
/// refuses (429): an agent cannot hold the server's connections with waits.
pub fn long_poll_slot(state: &crate::AppState, agent: i64) -> Result<Place<i64>, crate::ApiError> {
    state.long_polls.take(agent).ok_or_else(|| {
        crate::ApiError::QuotaExceeded(format!(
            "this agent has {LONG_POLLS_PER_AGENT} long-polls waiting already; wait on fewer requests at once"
        ))
    })
}

/// The server loop's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See [`HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// How long requests under way may take to finish once shutdown began.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests under way finish for at most the grace period. Each request
/// carries its peer's [`ConnectInfo`].
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: wait, do not spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                app.clone().oneshot(request.map(axum::body::Body::new))
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = watched.await {
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("every request finished"),
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(grace = ?limits.shutdown_grace, "stopped with requests still under way");
        }
    }
}
