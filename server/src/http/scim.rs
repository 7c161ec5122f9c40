//! `/scim/v2`: the SCIM 2.0 service provider the identity provider pushes
//! people to (RFC 7644). Only a SCIM token opens it, and a SCIM token opens
//! nothing else. Bodies and answers are `application/scim+json`; every
//! error is a SCIM error body. The work is done by `identity::scim`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth;
use crate::client::Client;
use crate::db::issued_tokens::Issued;
use crate::db::scim::Kind;
use crate::identity::scim::{self, Change, ListQuery, Projection, ScimError, Writer, discovery};

/// The SCIM media type.
const SCIM_JSON: &str = "application/scim+json";

/// The routes under `/scim/v2`, behind the SCIM token check.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/ServiceProviderConfig", get(get_service_provider_config))
        .route("/ResourceTypes", get(list_resource_types))
        .route("/ResourceTypes/{id}", get(get_resource_type))
        .route("/Schemas", get(list_schemas))
        .route("/Schemas/{id}", get(get_schema))
        .route("/Users", get(list_users).post(create_user))
        .route(
            "/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/Groups", get(list_groups).post(create_group))
        .route(
            "/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        .route("/.search", axum::routing::post(search_everything))
        .fallback(no_such_endpoint)
        .method_not_allowed_fallback(no_such_method)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_scim_token,
        ))
}

/// The SCIM token a request came with (put in its extensions by [`require_scim_token`]).
#[derive(Debug, Clone)]
struct ScimCaller {
    name: String,
}

/// A SCIM answer: a resource (or list) with its status.
struct Scim(StatusCode, Value);

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let mut response = (self.0, self.1.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        response
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let (status, scim_type, detail) = match self {
            ScimError::Scim {
                status,
                scim_type,
                detail,
            } => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                scim_type,
                detail,
            ),
            ScimError::Api(error) => {
                if let crate::ApiError::Internal(cause) = &error {
                    tracing::error!(error = ?cause, "SCIM request failed");
                }
                (error.status(), None, error.to_string())
            }
        };
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "detail": detail,
        });
        if let Some(scim_type) = scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = Scim(status, body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"muster-scim\""),
            );
        }
        response
    }
}

fn error(status: u16, detail: &str) -> ScimError {
    ScimError::Scim {
        status,
        scim_type: None,
        detail: detail.to_owned(),
    }
}

/// Middleware: only a live SCIM token passes. A session or any other token
/// is refused here (401), as is no token.
async fn require_scim_token(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(token) = auth::bearer_token(request.headers()) else {
        return error(401, "a SCIM token is needed: Authorization: Bearer msc_…").into_response();
    };
    match crate::db::issued_tokens::live(&state.db, Issued::Scim, &auth::session_hash(token), Utc::now())
        .await
    {
        Ok(Some((_, name))) => {
            request.extensions_mut().insert(ScimCaller { name });
            next.run(request).await
        }
        Ok(None) => error(401, "this is not a live SCIM token").into_response(),
        Err(e) => ScimError::from(e).into_response(),
    }
}

/// `https://muster.example.com/scim/v2`: the public URL when set, else
/// what the request was addressed to.
fn base(state: &AppState, headers: &HeaderMap, client: &Client) -> String {
    if let Some(url) = &state.settings.public_url {
        return format!("{}/scim/v2", url.as_str().trim_end_matches('/'));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if client.tls { "https" } else { "http" };
    format!("{scheme}://{host}/scim/v2")
}

/// What a handler needs of the request.
struct Call {
    base: String,
    writer: Writer,
    params: HashMap<String, String>,
}

fn call(state: &AppState, request: &axum::http::request::Parts) -> Call {
    let client = request.extensions.get::<Client>().copied().unwrap_or_default();
    let caller = request.extensions.get::<ScimCaller>().cloned();
    let source = super::extract::source_of(request);
    let base = base(state, &request.headers, &client);
    let params = Query::<HashMap<String, String>>::try_from_uri(&request.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    Call {
        writer: Writer {
            token: caller.map(|c| c.name).unwrap_or_default(),
            source,
            now: Utc::now(),
            base: base.clone(),
            group_teams: state.settings.scim_group_teams,
        },
        base,
        params,
    }
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn projection(&self) -> Result<Projection, ScimError> {
        Projection::parse(self.param("attributes"), self.param("excludedAttributes"))
    }

    fn number(&self, name: &str) -> Result<Option<i64>, ScimError> {
        self.param(name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ScimError::bad_request("invalidValue", format!("{name} must be a number")))
            })
            .transpose()
    }
}

fn body(bytes: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ScimError::bad_request("invalidSyntax", format!("the body is not JSON: {e}")))
}

async fn list(state: AppState, parts: axum::http::request::Parts, kind: Kind) -> Result<Scim, ScimError> {
    let call = call(&state, &parts);
    let query = ListQuery {
        filter: call.param("filter").map(str::to_owned),
        start_index: call.number("startIndex")?,
        count: call.number("count")?,
        attributes: call.projection()?,
    };
    Ok(Scim(
        StatusCode::OK,
        scim::list(&state.db, kind, &query, &call.base).await?,
    ))
}

async fn create(
    state: AppState,
    parts: axum::http::request::Parts,
    bytes: Bytes,
    kind: Kind,
) -> Result<Response, ScimError> {
    let call = call(&state, &parts);
    let created = scim::create(&state.db, kind, body(&bytes)?, &call.writer).await?;
    let location = created["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut response = Scim(StatusCode::CREATED, call.projection()?.apply(&created)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn read(
    state: AppState,
    parts: axum::http::request::Parts,
    id: String,
    kind: Kind,
) -> Result<Scim, ScimError> {
    let call = call(&state, &parts);
    let found = scim::read(&state.db, kind, &id, &call.base).await?;
    Ok(Scim(StatusCode::OK, call.projection()?.apply(&found)))
}

async fn change(
    state: AppState,
    parts: axum::http::request::Parts,
    id: String,
    bytes: Bytes,
    kind: Kind,
    patch: bool,
) -> Result<Scim, ScimError> {
    let call = call(&state, &parts);
    let body = body(&bytes)?;
    let change = if patch {
        match scim::document::get(&body, "Operations") {
            Some(Value::Array(operations)) => Change::Patch(operations.clone()),
            _ => {
                return Err(ScimError::bad_request(
                    "invalidSyntax",
                    "a PATCH body is a PatchOp with Operations".into(),
                ));
            }
        }
    } else {
        Change::Replace(body)
    };
    let updated = scim::update(&state.db, kind, &id, change, &call.writer).await?;
    Ok(Scim(StatusCode::OK, call.projection()?.apply(&updated)))
}

async fn remove(
    state: AppState,
    parts: axum::http::request::Parts,
    id: String,
    kind: Kind,
) -> Result<StatusCode, ScimError> {
    let call = call(&state, &parts);
    scim::delete(&state.db, kind, &id, &call.writer).await?;
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! resource_handlers {
    ($kind:expr, $list:ident, $create:ident, $get:ident, $replace:ident, $patch:ident, $delete:ident) => {
        async fn $list(State(state): State<AppState>, request: Request) -> Result<Scim, ScimError> {
            list(state, request.into_parts().0, $kind).await
        }
        async fn $create(State(state): State<AppState>, request: Request) -> Result<Response, ScimError> {
            let (parts, bytes) = split(request).await?;
            create(state, parts, bytes, $kind).await
        }
        async fn $get(
            State(state): State<AppState>,
            Path(id): Path<String>,
            request: Request,
        ) -> Result<Scim, ScimError> {
            read(state, request.into_parts().0, id, $kind).await
        }
        async fn $replace(
            State(state): State<AppState>,
            Path(id): Path<String>,
            request: Request,
        ) -> Result<Scim, ScimError> {
            let (parts, bytes) = split(request).await?;
            change(state, parts, id, bytes, $kind, false).await
        }
        async fn $patch(
            State(state): State<AppState>,
            Path(id): Path<String>,
            request: Request,
        ) -> Result<Scim, ScimError> {
            let (parts, bytes) = split(request).await?;
            change(state, parts, id, bytes, $kind, true).await
        }
        async fn $delete(
            State(state): State<AppState>,
            Path(id): Path<String>,
            request: Request,
        ) -> Result<StatusCode, ScimError> {
            remove(state, request.into_parts().0, id, $kind).await
        }
    };
}

resource_handlers!(
    Kind::User,
    list_users,
    create_user,
    get_user,
    replace_user,
    patch_user,
    delete_user
);
resource_handlers!(
    Kind::Group,
    list_groups,
    create_group,
    get_group,
    replace_group,
    patch_group,
    delete_group
);

/// A request's head and its body (2 MB at most, axum's default).
async fn split(request: Request) -> Result<(axum::http::request::Parts, Bytes), ScimError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 2 * 1024 * 1024)
        .await
        .map_err(|_| ScimError::Scim {
            status: 413,
            scim_type: None,
            detail: "the body is over 2 MB, or it stalled".into(),
        })?;
    Ok((parts, bytes))
}

fn list_response(resources: Vec<Value>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

async fn get_service_provider_config(State(state): State<AppState>, request: Request) -> Scim {
    let call = call(&state, &request.into_parts().0);
    Scim(StatusCode::OK, discovery::service_provider_config(&call.base))
}

async fn list_resource_types(State(state): State<AppState>, request: Request) -> Scim {
    let call = call(&state, &request.into_parts().0);
    Scim(
        StatusCode::OK,
        list_response(discovery::resource_types(&call.base)),
    )
}

async fn get_resource_type(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Scim, ScimError> {
    let call = call(&state, &request.into_parts().0);
    discovery::resource_types(&call.base)
        .into_iter()
        .find(|t| t["id"] == id.as_str())
        .map(|t| Scim(StatusCode::OK, t))
        .ok_or_else(|| error(404, &format!("no resource type {id:?}")))
}

async fn list_schemas(State(state): State<AppState>, request: Request) -> Scim {
    let call = call(&state, &request.into_parts().0);
    Scim(StatusCode::OK, list_response(discovery::schemas(&call.base)))
}

async fn get_schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Scim, ScimError> {
    let call = call(&state, &request.into_parts().0);
    discovery::schemas(&call.base)
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| Scim(StatusCode::OK, s))
        .ok_or_else(|| error(404, &format!("no schema {id:?}")))
}

/// Searching several resource types at once is not offered (RFC 7644 §3.4.3).
async fn search_everything() -> ScimError {
    error(
        501,
        "searching several resource types at once is not supported; use GET /Users or /Groups",
    )
}

async fn no_such_method(request: Request) -> ScimError {
    error(
        405,
        &format!("{} does not accept {}", request.uri().path(), request.method()),
    )
}

async fn no_such_endpoint(request: Request) -> ScimError {
    error(404, &format!("no SCIM endpoint at {}", request.uri().path()))
}
