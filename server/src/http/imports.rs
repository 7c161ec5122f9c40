//! `POST /api/v1/imports/{kind}` (admins): a secret scanner's report or a
//! CloudTrail log, sent as the request body (plain or gzip), read into the
//! inventory (see [`crate::import`]); `GET /api/v1/imports`, the last ones.
//! Several files (a platform's pages) may come as one `multipart/form-data`
//! upload. The body is spooled to a temporary file as it arrives (in Muster's own
//! spool folder, emptied at start), then read as a stream, so that neither
//! a large report nor a slow client holds memory.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use futures::StreamExt;
use model::api::{self as json, ImportKind};
use tokio::io::AsyncWriteExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::audit::{Actor, Source};
use crate::auth::Admin;
use crate::db::imports;
use crate::import::{self, ReportFile};
use crate::{ApiError, AppState};

/// The largest report (or upload of several) accepted in one request.
pub const MAX_REPORT_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The most files one multipart upload may hold (a platform's pages).
pub const MAX_FILES: usize = 10_000;

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_report))
        .routes(routes!(list_imports))
}

/// The last 50 imports, newest first, each with what it read and changed.
#[utoipa::path(get, path = "/imports", tag = "imports",
    responses((status = 200, body = Vec<json::ImportSummary>), (status = 403, body = json::ErrorBody)))]
async fn list_imports(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::ImportSummary>>, ApiError> {
    Ok(Json(imports::recent(&state.db, 50).await?))
}

/// Imports a report: `gitleaks` (its JSON array), `trufflehog` (its JSON
/// lines), `cloudtrail` (a log file, `{"Records":[...]}`), the AWS IAM
/// reports, an inventory file, an endpoint scan, or a platform's pages
/// (`google_workspace`, `entra`, `okta`, `github`, `bedrock`, `vertex`), as
/// the request body, plain or gzip; or several files at once as
/// `multipart/form-data`, each part a file (its file name names it). All or nothing: a bad record anywhere is a
/// 422 naming where, and nothing is kept. The same report twice changes
/// nothing the second time.
#[utoipa::path(post, path = "/imports/{kind}", tag = "imports",
    params(("kind" = String, Path, description = "gitleaks, trufflehog, cloudtrail, aws_iam, aws_credential_report, \
        inventory, endpoint, google_workspace, entra, okta, github, bedrock or vertex"), json::ImportQuery),
    request_body(content = String, description = "The report, as the tool wrote it; or several files as \
        multipart/form-data, each part a file"),
    responses((status = 200, body = json::ImportSummary), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 422, body = json::ErrorBody)))]
async fn import_report(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(kind): Path<String>,
    origin: Source,
    ApiQuery(query): ApiQuery<json::ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<json::ImportSummary>, ApiError> {
    let kind: ImportKind = kind
        .parse()
        .map_err(|e: json::UnknownValue| ApiError::NotFound(e.to_string()))?;
    let source = match query.source.as_deref().map(str::trim) {
        None => None,
        Some(s) if (1..=200).contains(&s.chars().count()) => Some(s.to_owned()),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "source must have 1 to 200 characters".into(),
            ));
        }
    };
    let spool = match &state.settings.spool {
        Some(folder) => tempfile::Builder::new()
            .prefix(import::UPLOAD_PREFIX)
            .tempdir_in(folder),
        None => tempfile::tempdir(),
    }
    .map_err(|e| ApiError::Internal(e.into()))?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
        .map(|v| {
            multer::parse_boundary(v)
                .map_err(|e| ApiError::BadRequest(format!("a multipart upload without a boundary: {e}")))
        })
        .transpose()?;
    let reports = match boundary {
        // Several pages at once (a platform's export): each part a file.
        Some(boundary) => {
            // The whole body counts, headers and boundaries too.
            let limits = multer::Constraints::new()
                .size_limit(multer::SizeLimit::new().whole_stream(MAX_REPORT_BYTES));
            let mut parts = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
            let mut reports = Vec::new();
            let mut total = 0_u64;
            while let Some(part) = parts
                .next_field()
                .await
                .map_err(|e| ApiError::BadRequest(format!("the upload broke off: {e}")))?
            {
                if reports.len() >= MAX_FILES {
                    return Err(ApiError::BadRequest(format!(
                        "an upload may hold at most {MAX_FILES} files; import the rest in another"
                    )));
                }
                // A part's file name names it in messages (and, for a platform's
                // per-user pages, says whose they are); its path is Muster's own.
                let Some(name) = part.file_name().map(|n| {
                    n.chars()
                        .filter(|c| !c.is_control() && !is_format_char(*c))
                        .take(200)
                        .collect::<String>()
                }) else {
                    return Err(ApiError::BadRequest(format!(
                        "part {} of the upload is not a file: send each report as a file part",
                        reports.len() + 1
                    )));
                };
                let path = spool.path().join(format!("report-{}", reports.len()));
                total += spool_part(part.map(|c| c.map_err(|e| e.to_string())), &path, total).await?;
                reports.push(ReportFile { name, path });
            }
            if reports.is_empty() {
                return Err(ApiError::BadRequest("the upload holds no file".into()));
            }
            reports
        }
        None => {
            let path = spool.path().join("report");
            let size = spool_part(
                body.into_data_stream().map(|c| c.map_err(|e| e.to_string())),
                &path,
                0,
            )
            .await?;
            if size == 0 {
                return Err(ApiError::BadRequest(
                    "the report is empty: send it as the request body".into(),
                ));
            }
            vec![ReportFile {
                name: format!("the uploaded {} report", kind.as_str()),
                path,
            }]
        }
    };
    let request = import::Request {
        kind,
        source,
        full: query.full.unwrap_or(true),
        actor: Actor::Person(caller.0.email.clone()),
        origin,
    };
    Ok(Json(
        import::run(&state.db, &state.settings.fingerprinter, &request, &reports).await?,
    ))
}

/// Unicode's invisible formatting characters (bidirectional overrides,
/// zero-width joiners), which could make a file name in a message read as
/// another.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Writes an uploaded file to `path` as it arrives; answers its size. The
/// upload as a whole (`before` bytes so far) may have at most
/// [`MAX_REPORT_BYTES`].
async fn spool_part(
    mut chunks: impl futures::Stream<Item = Result<axum::body::Bytes, String>> + Unpin,
    path: &std::path::Path,
    before: u64,
) -> Result<u64, ApiError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut size = 0_u64;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the upload broke off: {e}")))?;
        size += chunk.len() as u64;
        if before + size > MAX_REPORT_BYTES {
            return Err(ApiError::BadRequest(format!(
                "a report may have at most {MAX_REPORT_BYTES} bytes; split it"
            )));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
    }
    file.flush().await.map_err(|e| ApiError::Internal(e.into()))?;
    Ok(size)
}
