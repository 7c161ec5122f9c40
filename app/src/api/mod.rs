//! A typed client for Muster's JSON API. Every call returns the wire types of
//! the `model` crate, or an [`ApiError`] carrying the server's error code.
//! A GET is a [`Get`], sent from an event handler or held by a screen as a
//! [`Fetched`] resource; changes are sent at once.

use std::marker::PhantomData;

use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::{Get as _, LocalResource};
use model::api as json;
use serde::Serialize;
use serde::de::DeserializeOwned;

mod admin;
mod approvals;
mod audit;
mod imports;
mod inventory;
mod notifications;
mod ownership;
mod reviews;
mod revocations;
mod session;

pub use admin::*;
pub use approvals::*;
pub use audit::*;
pub use imports::*;
pub use inventory::*;
pub use notifications::*;
pub use ownership::*;
pub use reviews::*;
pub use revocations::*;
pub use session::*;

/// Why an API call failed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The server's `error.code`, or `network` when no answer came.
    pub code: String,
    /// The server's `error.message`, or what went wrong on the way.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// `?a=1&b=x` from a query struct's fields that are set (its serde form).
pub fn query_string<T: Serialize>(query: &T) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(query) else {
        return String::new();
    };
    let params = web_sys::UrlSearchParams::new().expect("URLSearchParams exists in every browser");
    for (name, value) in fields {
        match value {
            serde_json::Value::String(text) => params.append(&name, &text),
            serde_json::Value::Null => {}
            other => params.append(&name, &other.to_string()),
        }
    }
    let text: String = params.to_string().into();
    if text.is_empty() { text } else { format!("?{text}") }
}

/// The header that marks a state-changing request as coming from this app
/// (the server refuses such requests without it: a CSRF defence).
const CLIENT_HEADER: &str = "X-Muster-Client";

fn network(error: gloo_net::Error) -> ApiError {
    ApiError {
        code: "network".into(),
        message: format!("the server did not answer ({error})"),
    }
}

/// An answer read to its end.
#[derive(Debug, Clone)]
struct Answer {
    /// Whether the status was 2xx.
    ok: bool,
    status: u16,
    body: String,
}

/// Sends a request and reads its whole answer. Nothing here depends on the
/// types sent or read, so it is compiled once for every call (keeping the
/// WebAssembly bundle small); only [`decode`] is per type.
async fn exchange(request: Result<Request, gloo_net::Error>) -> Result<Answer, ApiError> {
    let response = request
        .map_err(|e| ApiError {
            code: "encode".into(),
            message: e.to_string(),
        })?
        .send()
        .await
        .map_err(network)?;
    let body = response.text().await.map_err(network)?;
    Ok(Answer {
        ok: response.ok(),
        status: response.status(),
        body,
    })
}

/// The typed value of a 2xx answer, or the server's error.
fn decode<T: DeserializeOwned>(answer: Answer) -> Result<T, ApiError> {
    if !answer.ok {
        return Err(refusal(&answer));
    }
    serde_json::from_str(&answer.body).map_err(|e| ApiError {
        code: "decode".into(),
        message: format!("unexpected answer from the server ({e})"),
    })
}

/// The API's `{"error": {"code", "message"}}`, or the bare status without one.
fn refusal(answer: &Answer) -> ApiError {
    match serde_json::from_str::<json::ErrorBody>(&answer.body) {
        Ok(body) => ApiError {
            code: body.error.code,
            message: body.error.message,
        },
        Err(_) => ApiError {
            code: "http".into(),
            message: format!("the server answered {}", answer.status),
        },
    }
}

/// Sends `body` as JSON with the app's header (which state-changing requests need).
async fn send<B: Serialize, T: DeserializeOwned>(request: RequestBuilder, body: &B) -> Result<T, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError {
        code: "encode".into(),
        message: e.to_string(),
    })?;
    let request = request
        .header(CLIENT_HEADER, "web")
        .header("content-type", "application/json")
        .body(body);
    decode(exchange(request).await?)
}

/// `DELETE path` with the app's header, read to its end.
async fn delete(path: &str) -> Result<Answer, ApiError> {
    exchange(Request::delete(path).header(CLIENT_HEADER, "web").build()).await
}

/// `POST path` without a body, with the app's header, read to its end (an
/// action the path names in full, such as a test message or a retry).
async fn post_empty(path: &str) -> Result<Answer, ApiError> {
    exchange(Request::post(path).header(CLIENT_HEADER, "web").build()).await
}

/// `GET path`, read to its end.
async fn fetch(path: String) -> Result<Answer, ApiError> {
    exchange(Request::get(&path).build()).await
}

/// `GET path` when there is one; otherwise an answer that never comes.
async fn fetch_some(path: Option<String>) -> Result<Answer, ApiError> {
    match path {
        Some(path) => fetch(path).await,
        None => std::future::pending().await,
    }
}

/// A GET request of the API, and the type its answer decodes to.
#[derive(Debug, Clone)]
pub struct Get<T> {
    path: String,
    answer: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Get<T> {
    fn new(path: String) -> Self {
        Get {
            path,
            answer: PhantomData,
        }
    }

    /// Sends it now (from an event handler).
    pub async fn send(self) -> Result<T, ApiError> {
        decode(fetch(self.path).await?)
    }
}

/// A resource holding an API answer, for a screen to read reactively. The
/// answer is fetched as text by one future type shared by every resource and
/// decoded when read: Leptos's async machinery is then compiled once rather
/// than once per answer type, which keeps the WebAssembly bundle small.
pub struct Fetched<T> {
    answer: LocalResource<Result<Answer, ApiError>>,
    decoded: PhantomData<fn() -> T>,
}

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetched<T> {}

impl<T: DeserializeOwned> Fetched<T> {
    /// Sends `request()` now, and again whenever the signals it reads change.
    pub fn new(request: impl Fn() -> Get<T> + 'static) -> Self {
        Fetched {
            answer: LocalResource::new(move || fetch(request().path)),
            decoded: PhantomData,
        }
    }

    /// Like [`Fetched::new`], but while `request()` is `None` nothing is
    /// sent and the resource stays as it was.
    pub fn when(request: impl Fn() -> Option<Get<T>> + 'static) -> Self {
        Fetched {
            answer: LocalResource::new(move || fetch_some(request().map(|get| get.path))),
            decoded: PhantomData,
        }
    }

    /// Nothing while loading, then the value or why there is none; a
    /// reactive read, like a resource's `get`.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.answer.get().map(|answer| decode(answer?))
    }

    /// Sends the request again.
    pub fn refetch(&self) {
        self.answer.refetch();
    }
}
