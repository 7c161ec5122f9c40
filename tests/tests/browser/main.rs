//! Browser tests: the built web app (`dist/`, made by `make dist`) served by
//! the real server, driven in headless Chromium. Screenshots go to
//! `target/screenshots/`.

mod shell;
