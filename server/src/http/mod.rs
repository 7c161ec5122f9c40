//! The JSON API, mounted under `/api`. Each resource module owns its
//! `router()` and its handlers (named `verb_noun`).

pub mod accounts;
pub mod agent_tokens;
pub mod agents;
pub mod ai_apps;
pub mod approvals;
pub mod audit;
pub mod credentials;
pub mod destinations;
pub mod enrolment;
pub mod extract;
pub mod graph;
pub mod health;
pub mod imports;
pub mod notifications;
pub mod overview;
pub mod ownership;
pub mod people;
pub mod resources;
pub mod reviews;
pub mod revocations;
pub mod risk;
pub mod sanctions;
pub mod scim;
pub mod scim_tokens;
pub mod session;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::{HeaderValue, Method, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{ApiError, AppState, auth};

/// Every API route, relative to `/api`. Unknown paths and methods answer JSON errors
/// here, so that an API client never receives the web app's `index.html`.
///
/// Everything under `/v1` but signing in needs a signed-in person; every
/// state-changing request must pass the same-origin check.
pub fn router(state: &AppState) -> Router<AppState> {
    let signed_in = OpenApiRouter::new()
        .merge(session::router())
        .merge(people::router())
        .merge(agents::router())
        .merge(credentials::router())
        .merge(revocations::router())
        .merge(reviews::router())
        .merge(approvals::router())
        .merge(destinations::router())
        .merge(notifications::router())
        .merge(imports::router())
        .merge(resources::router())
        .merge(graph::router())
        .merge(risk::router())
        .merge(ownership::router())
        .merge(overview::router())
        .merge(audit::router())
        .merge(agent_tokens::router())
        .merge(enrolment::router())
        .merge(sanctions::router())
        .merge(ai_apps::router())
        .merge(accounts::router())
        .merge(scim_tokens::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_person,
        ));
    let agents_only = agent_tokens::agent_router()
        .merge(approvals::agent_router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_agent,
        ));
    let collectors = enrolment::collector_router()
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_enrolment,
        ))
        // A laptop's report is a few hundred KB; JSON bodies elsewhere stay at axum's 2 MB.
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024));
    let (v1, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::public_router())
        .merge(approvals::public_router())
        .merge(reviews::public_router())
        .merge(signed_in)
        .merge(agents_only)
        .merge(collectors)
        .split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // Serialised once: the document does not change while the server runs.
    let openapi = axum::body::Bytes::from(openapi.to_json().expect("the OpenAPI document serialises"));
    Router::new()
        .merge(health::router())
        .nest(
            "/v1",
            v1.route(
                "/openapi.json",
                get(move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi.clone()) }),
            )
            // Not health: a load balancer must see a busy server as alive.
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::serve::limit_in_flight,
            )),
        )
        .layer(axum::middleware::from_fn(auth::same_origin))
        .fallback(no_such_route)
        .method_not_allowed_fallback(no_such_method)
        // API answers describe a company's keys: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// The OpenAPI document's frame; the paths come from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "Muster API", description = "Governs the keys, tokens and roles that AI agents use."),
    servers((url = "/api/v1")),
    tags(
        (name = "inventory", description = "Teams, people, agents, tools, credentials, copies, resources"),
        (name = "lineage", description = "The lineage graph, blast radius and search"),
        (name = "ownership", description = "Who is accountable for each agent and credential"),
        (name = "risk", description = "Risk scores: bands, OWASP NHI references, the riskiest"),
        (name = "session", description = "Signing in and out"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "agent tokens", description = "Agents' own API tokens, and what an agent says about itself"),
        (name = "accounts", description = "People's accounts and their roles (admins)"),
        (name = "identity provider", description = "Signing in with the organisation's identity provider; its SCIM tokens"),
        (name = "approvals", description = "Human-in-the-loop approval of sensitive agent operations and changes"),
        (name = "imports", description = "Reports of secret scanners, read into the inventory"),
        (name = "saas and cloud discovery", description = "The catalogue of AI applications; grants made agents"),
        (name = "endpoint discovery", description = "Enrolment tokens, and scan reports from `muster scan` on laptops and build hosts"),
        (name = "revocation", description = "Revoking credentials: what breaks, the plan, every copy, the automation webhook"),
        (name = "notifications", description = "Who is told of what by email and chat, and the outbox everything leaves by"),
        (name = "reviews", description = "Access reviews (certification campaigns) and signed evidence packs for auditors"),
    )
)]
struct ApiDoc;

async fn no_such_route(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no API route for {method} {}", uri.path()))
}

async fn no_such_method(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not accept {method}", uri.path()))
}
