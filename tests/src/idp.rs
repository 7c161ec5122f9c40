//! A real OpenID Connect provider for the tests: the npm package
//! `oidc-provider` (`tests/idp/provider.cjs`), started on loopback for one
//! test, with Muster registered as its client. [`TestIdp::sign_in`] walks
//! its login form over HTTP as a browser would.

use std::process::Stdio;
use std::sync::Arc;

use muster_server::identity::oidc::{OidcConfig, Provider};
use muster_server::identity::roles::{RoleMap, RoleMapping};
use muster_server::{Settings, identity::PasswordSignIn};
use tokio::io::AsyncBufReadExt;

/// The client secret the provider knows Muster by.
pub const CLIENT_SECRET: &str = "muster-test-secret";

/// A running provider; killed when dropped.
pub struct TestIdp {
    /// Its issuer, `http://127.0.0.1:<port>`.
    pub issuer: String,
    process: tokio::process::Child,
    /// How many times it rotated its signing key.
    rotations: tokio::sync::watch::Receiver<usize>,
}

impl TestIdp {
    /// Starts the provider with Muster at `muster` (its base URL) as client.
    pub async fn start(muster: &str) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/idp/provider.cjs");
        let mut process = tokio::process::Command::new("node")
            .arg(script)
            .arg(muster)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/idp/provider.cjs (make test installs its packages)");
        let stdout = process.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("the provider starts within 20 s")
            .unwrap()
            .expect("the provider prints its issuer");
        let issuer = first
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("not an issuer line: {first}"))
            .to_owned();
        // Keep reading what it prints: a closed pipe would end the provider
        // at its next line of output.
        let (rotated, rotations) = tokio::sync::watch::channel(0);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "rotated" {
                    rotated.send_modify(|n| *n += 1);
                }
            }
        });
        Self {
            issuer,
            process,
            rotations,
        }
    }

    /// Makes the provider sign with a new key from now on, publishing only
    /// that one (a key rotation); returns once it has.
    pub async fn rotate_keys(&mut self) {
        let before = *self.rotations.borrow();
        let pid = self.process.id().expect("the provider runs").to_string();
        let status = tokio::process::Command::new("kill")
            .args(["-USR2", &pid])
            .status()
            .await
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            self.rotations.wait_for(|n| *n > before),
        )
        .await
        .expect("the provider rotates its key within 10 s")
        .unwrap();
    }

    /// Muster's configuration for this provider: `muster-admins` gives
    /// admin, `staff` gives viewer.
    pub fn config(&self, muster: &str) -> OidcConfig {
        OidcConfig {
            issuer: self.issuer.clone(),
            client_id: "muster".into(),
            client_secret: Some(CLIENT_SECRET.into()),
            roles_claim: "groups".into(),
            role_map: RoleMap(
                ["muster-admins=admin", "staff=viewer"]
                    .iter()
                    .map(|line| line.parse::<RoleMapping>().unwrap())
                    .collect(),
            ),
            scopes: vec!["openid".into(), "email".into(), "profile".into(), "groups".into()],
            public_url: format!("{muster}/").parse().unwrap(),
            name: "Test IdP".into(),
            link_local_accounts: false,
        }
    }

    /// Settings of a Muster that signs people in with this provider, with
    /// local passwords for `passwords`.
    pub fn settings(&self, muster: &str, passwords: PasswordSignIn) -> Settings {
        Settings {
            oidc: Some(Provider::new(self.config(muster)).unwrap()),
            passwords,
            ..Settings::default()
        }
    }

    /// Signs `login` in at the provider from a browser-like client (its
    /// own cookie jar, no automatic redirects): Muster's start URL, the
    /// provider's login form, and back. Answers Muster's last response (the
    /// callback's redirect into the app) and the client.
    pub async fn sign_in(&self, muster: &str, login: &str) -> (reqwest::Response, reqwest::Client) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let browser = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let start = browser
            .get(format!("{muster}/api/v1/session/oidc/start?return_to=/agents"))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303, "Muster sends the browser to the provider");
        let mut next = location(&start, muster);
        assert!(next.starts_with(&self.issuer), "{next}");
        // Follow the provider's redirects to its login form, post it, and
        // follow on until the provider sends the browser back to Muster.
        let mut posted = false;
        loop {
            let response = browser.get(&next).send().await.unwrap();
            if response.status().is_redirection() {
                next = location(&response, &self.issuer);
                if next.starts_with(muster) {
                    return (browser.get(&next).send().await.unwrap(), browser);
                }
                continue;
            }
            assert!(!posted, "the provider showed a second form after the login");
            let page = response.text().await.unwrap();
            let action = page
                .split("action=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("no form on the provider's page: {page}"))
                .to_owned();
            let action = if action.starts_with('/') {
                format!("{}{action}", self.issuer)
            } else {
                action
            };
            let posted_to = browser
                .post(action)
                .form(&[("prompt", "login"), ("login", login), ("password", "any")])
                .send()
                .await
                .unwrap();
            posted = true;
            next = location(&posted_to, &self.issuer);
        }
    }
}

/// The absolute `Location` of a redirect (relative ones against `base`).
pub fn location(response: &reqwest::Response, base: &str) -> String {
    let to = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("{} has no Location", response.status()))
        .to_str()
        .unwrap()
        .to_owned();
    if to.starts_with('/') {
        format!("{base}{to}")
    } else {
        to
    }
}
