//! Hosting the built web app (`dist/`): static files, the `index.html`
//! fallback for client-side routes, and the security headers of every
//! response, with a Content-Security-Policy derived from the built page.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::services::{ServeDir, ServeFile};

/// The built web app as found at start-up.
#[derive(Debug, Clone)]
pub struct WebApp {
    dist: PathBuf,
    index_html: Option<String>,
}

impl WebApp {
    /// Reads `dist/index.html`; a missing build is logged, not fatal, so the
    /// API still serves (and says so) while the front end is being built.
    pub fn load(dist: &Path) -> Self {
        let index = dist.join("index.html");
        let index_html = match std::fs::read_to_string(&index) {
            Ok(html) => Some(html),
            Err(error) => {
                tracing::warn!(
                    path = %index.display(),
                    %error,
                    "no built web app; the API still serves (build it with `make dist`)"
                );
                None
            }
        };
        Self {
            dist: dist.to_owned(),
            index_html,
        }
    }

    /// Serves the files of `dist/`, and `index.html` for any other path so
    /// that the app's own router can resolve client-side URLs. A file's
    /// gzipped copy (`<file>.gz`, made by the build) is sent instead of it
    /// to a browser that accepts gzip.
    pub fn service(&self) -> ServeDir<ServeFile> {
        ServeDir::new(&self.dist)
            .precompressed_gzip()
            .fallback(ServeFile::new(self.dist.join("index.html")))
    }

    /// The security headers to put on every response.
    pub fn security_headers(&self) -> Arc<SecurityHeaders> {
        let csp = content_security_policy(self.index_html.as_deref());
        Arc::new(SecurityHeaders {
            csp: HeaderValue::from_str(&csp).expect("the policy is ASCII"),
        })
    }
}

/// Headers computed once at start-up and added to every response.
#[derive(Debug)]
pub struct SecurityHeaders {
    csp: HeaderValue,
}

/// Middleware body: adds the security headers to a response.
pub async fn add_security_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    mut response: Response,
) -> Response {
    let out: &mut HeaderMap = response.headers_mut();
    out.insert(header::CONTENT_SECURITY_POLICY, headers.csp.clone());
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    out.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    response
}

/// Middleware: the build names every code and style file after its content
/// (Trunk's hash in the name, or in the name of the folder of the app's
/// chunks), so a browser may keep those for good and not ask again on every
/// visit (the split app is a few hundred files). Everything else, `index.html`
/// above all, is asked for again as usual, and so is the `index.html` sent in
/// place of a hashed file that is not there (one of an earlier build's): it
/// must not stay in the browser under that name.
pub async fn cache_built_files(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let immutable = content_named(request.uri().path());
    let mut response = next.run(request).await;
    let page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if immutable && !page && response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

/// Whether a path's first part carries a build hash: `name-<16 hex digits>…`
/// (`/muster-app-0123456789abcdef_bg.wasm`, `/main-0123456789abcdef.css`,
/// `/muster-app-0123456789abcdef/chunk_1.wasm`).
fn content_named(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    first
        .rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 16 && hash.bytes().take(16).all(|b| b.is_ascii_hexdigit()))
}

/// The Content-Security-Policy for the app. Scripts come only from our own
/// origin, plus the inline loader that Trunk writes into `index.html`, which
/// is allowed by its SHA-256 hash (not by `'unsafe-inline'`). WebAssembly
/// needs `'wasm-unsafe-eval'`, which allows compiling wasm and nothing else.
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for script in index_html.map(inline_scripts).unwrap_or_default() {
        let digest = Sha256::digest(script.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        script_src.push_str(&format!(" 'sha256-{hash}'"));
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// The bodies of the `<script>` elements without a `src`, exactly as written
/// (the browser hashes the exact text between the tags).
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after_tag_name = &rest[start..];
        let Some(open_end) = after_tag_name.find('>') else {
            break;
        };
        let attributes = &after_tag_name[..open_end];
        let body_and_rest = &after_tag_name[open_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else {
            break;
        };
        if !attributes.contains("src=") {
            scripts.push(&body_and_rest[..close]);
        }
        rest = &body_and_rest[close..];
    }
    scripts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_inline_scripts_by_hash_only() {
        let html = "<head><script type=\"module\">init();</script>\
                    <script src=\"/app.js\"></script></head>";
        let policy = content_security_policy(Some(html));
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init();"));
        assert!(policy.contains(&format!("'sha256-{expected}'")), "{policy}");
        assert_eq!(policy.matches("'sha256-").count(), 1, "{policy}");
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"));
    }

    #[test]
    fn only_files_named_after_their_content_are_kept_for_good() {
        assert!(content_named("/muster-app-bc6ac878f1bc50f1_bg.wasm"));
        assert!(content_named("/muster-app-bc6ac878f1bc50f1/chunk_12.wasm"));
        assert!(content_named("/main-12eaf427dd9ade38.css"));
        for path in [
            "/",
            "/index.html",
            "/favicon.svg",
            "/inventory/credentials/5",
            "/api/v1/overview",
            "/revocations/new",
        ] {
            assert!(!content_named(path), "{path}");
        }
    }

    #[test]
    fn without_a_build_the_policy_is_still_strict() {
        let policy = content_security_policy(None);
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{policy}"
        );
        assert!(policy.contains("object-src 'none'") && policy.contains("frame-ancestors 'none'"));
    }
}
