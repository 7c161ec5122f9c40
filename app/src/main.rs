//! Muster's web app: a Leptos single-page application, rendered in the browser
//! from WebAssembly, that reads the JSON API through a typed client.
#![forbid(unsafe_code)]

mod api;
mod app;
mod auth;
mod components;
mod format;
mod pages;
mod routes;

fn main() {
    // A panic in the app reaches the browser console with its message, not as
    // an opaque `unreachable` trap.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
