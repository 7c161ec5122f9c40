//! Drives headless Chromium through chromedriver (WebDriver), for tests that
//! look at the real page: it waits for elements, saves screenshots under
//! `target/screenshots/`, and collects the browser console's errors (which
//! include Content-Security-Policy violations and WebAssembly panics).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// How long to wait for the page before a test fails.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A headless Chromium session, with the chromedriver that runs it.
pub struct Browser {
    client: Client,
    _driver: Child,
    downloads: PathBuf,
    /// The browser's own profile, removed when the test ends. Each session
    /// has a new one: a profile named after the driver's port was reused when
    /// the port came round again, and a Chromium still closing on it made the
    /// next one exit at start ("Chrome instance exited", seen once in CI).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium.
    ///
    /// `CHROMEDRIVER` and `CHROMIUM` override the programs' paths.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path} (install chromium-driver): {e}"));
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile_dir = tempfile::Builder::new()
            .prefix("muster-chromium-")
            .tempdir()
            .expect("a temporary directory for the browser's profile");
        let profile = profile_dir.path().to_path_buf();
        let downloads = profile.join("downloads");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--window-size=1440,900",
                    // Every page stays on loopback (the test identity
                    // provider's own pages import a web font).
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                    format!("--user-data-dir={}", profile.display()),
                ],
                // Downloads go to the profile, without asking, for tests to read.
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::native()
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(error) if tokio::time::Instant::now() > deadline => {
                    panic!("chromedriver at {url} did not start a session: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Browser {
            client,
            _driver: driver,
            downloads,
            _profile: profile_dir,
        }
    }

    /// The file the page saved as `name` (a download), once it is complete:
    /// there, not empty, and the same on two reads 100 ms apart.
    pub async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.join(name);
        // Chromium writes `<name>.crdownload` and renames it when done; but
        // a file the page makes itself (a blob, as the graph's SVG export)
        // can appear under its name before all of it is written.
        let partial = self.downloads.join(format!("{name}.crdownload"));
        let deadline = tokio::time::Instant::now() + PAGE_TIMEOUT;
        let mut last: Option<Vec<u8>> = None;
        loop {
            let read = std::fs::read(&path)
                .ok()
                .filter(|bytes| !bytes.is_empty() && !partial.exists());
            if read.is_some() && read == last {
                return read.unwrap_or_default();
            }
            last = read;
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} was not downloaded to {}",
                self.downloads.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The WebDriver client, for anything the helpers here do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Waits until an element matches `css`, then returns it.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element matched `{css}` within {PAGE_TIMEOUT:?}: {e}"))
    }

    /// Waits until the element matching `css` has text containing `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + PAGE_TIMEOUT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(expected) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                // What the page showed instead, for whoever reads the failure.
                let shot = self.screenshot("failed-wait").await;
                panic!(
                    "`{css}` never showed {expected:?}; last text: {text:?} (screenshot: {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let folder = crate::workspace_root().join("target/screenshots");
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// The console entries of level SEVERE since the last call (the browser
    /// log is drained by reading it).
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self.client.issue_cmd(BrowserLog).await.expect("the browser log");
        entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|entry| entry["level"] == "SEVERE")
                    .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fails the test if the console has any error. Chromium also logs every
    /// HTTP error answer as a console error; a 401 is how the API says
    /// "nobody is signed in" (or "wrong password"), so those are expected.
    pub async fn assert_no_console_errors(&self) {
        self.assert_no_console_errors_but(&[]).await;
    }

    /// Like [`Browser::assert_no_console_errors`], but errors that contain
    /// one of `others` are expected too (another site's pages the test
    /// went through, such as an identity provider's).
    pub async fn assert_no_console_errors_but(&self, others: &[&str]) {
        let errors: Vec<String> = self
            .console_errors()
            .await
            .into_iter()
            .filter(|e| !e.contains("the server responded with a status of 401"))
            .filter(|e| !others.iter().any(|other| e.contains(other)))
            .collect();
        assert!(
            errors.is_empty(),
            "the browser console has errors:\n{}",
            errors.join("\n")
        );
    }

    /// Ends the session and Chromium.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// chromedriver's log endpoint (`POST /session/{id}/se/log`), which W3C
/// WebDriver lacks and fantoccini therefore does not wrap.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
