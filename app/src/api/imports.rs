//! Imports of scan reports and platform pages.

use model::api as json;

use super::{Answer, ApiError, CLIENT_HEADER, Get, decode, query_string};

/// `GET /api/v1/imports`: the last imports, newest first (admins).
pub fn imports() -> Get<Vec<json::ImportSummary>> {
    Get::new("/api/v1/imports".to_owned())
}

/// `POST /api/v1/imports/{kind}` with `files` (admins): one file as the
/// body, several as `multipart/form-data` (a platform's pages, joined in
/// one import). An XMLHttpRequest rather than `fetch`, since only it
/// reports how much of a large upload has gone: `progress(sent, total)` is
/// called as it goes, `done` once with the server's answer.
pub fn upload_report(
    kind: json::ImportKind,
    query: &json::ImportQuery,
    files: Vec<web_sys::File>,
    progress: impl Fn(f64, f64) + 'static,
    done: impl FnOnce(Result<json::ImportSummary, ApiError>) + 'static,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let failed = |message: String| ApiError {
        code: "network".into(),
        message,
    };
    let request = match web_sys::XmlHttpRequest::new() {
        Ok(request) => request,
        Err(_) => return done(Err(failed("this browser cannot upload files".into()))),
    };
    let url = format!("/api/v1/imports/{}{}", kind.as_str(), query_string(query));
    if request.open("POST", &url).is_err() || request.set_request_header(CLIENT_HEADER, "web").is_err() {
        return done(Err(failed("the upload could not start".into())));
    }
    if let Ok(upload) = request.upload() {
        let on_progress =
            Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
                progress(event.loaded(), event.total());
            });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        // The upload owns its handler from here on: it is dropped with the request.
        on_progress.forget();
    }
    let answered = request.clone();
    let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
    let finish = {
        let done = done.clone();
        move |result: Result<Answer, ApiError>| {
            if let Some(done) = done.borrow_mut().take() {
                done(result.and_then(decode));
            }
        }
    };
    let on_load = Closure::once_into_js({
        let finish = finish.clone();
        move || {
            let status = answered.status().unwrap_or(0);
            finish(Ok(Answer {
                ok: (200..300).contains(&status),
                status,
                body: answered.response_text().ok().flatten().unwrap_or_default(),
            }));
        }
    });
    let on_error = Closure::once_into_js(move || {
        finish(Err(failed(
            "the upload broke off before the server answered".into(),
        )));
    });
    request.set_onload(Some(on_load.unchecked_ref()));
    request.set_onerror(Some(on_error.unchecked_ref()));
    // A platform's pages go as files with their names (a name can say whose
    // page it is: tokens/alice@example.com.json); one report, as the body.
    let sent = match &files[..] {
        [file] if !is_platform(kind) => request.send_with_opt_blob(Some(file)),
        several => web_sys::FormData::new().and_then(|form| {
            for file in several {
                form.append_with_blob_and_filename("file", file, &file.name())?;
            }
            request.send_with_opt_form_data(Some(&form))
        }),
    };
    if sent.is_err()
        && let Some(done) = done.borrow_mut().take()
    {
        done(Err(failed("the upload could not start".into())));
    }
}

/// Whether `kind` is a platform's pages (SaaS and cloud discovery).
pub fn is_platform(kind: json::ImportKind) -> bool {
    use json::ImportKind::*;
    matches!(kind, GoogleWorkspace | Entra | Okta | Github | Bedrock | Vertex)
}
