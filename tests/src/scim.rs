//! The SCIM peers of the tests: a client with a SCIM token, and the real
//! PyPI tools (`scim2-tester`'s compliance checks, `scim2-cli`) that
//! `make test-peers` installs in a virtual environment.

use std::path::PathBuf;

use crate::TestApp;

/// The virtual environment holding `scim2-tester` and `scim2-cli`
/// (`MUSTER_SCIM_VENV` overrides where `make test-peers` puts it).
pub fn venv() -> PathBuf {
    std::env::var_os("MUSTER_SCIM_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".local/share/muster-tools/scim-venv")
        })
}

impl TestApp {
    /// A new SCIM token's secret, made as `muster scim-token create` makes one.
    pub async fn scim_token(&self, name: &str) -> String {
        muster_server::issued_tokens::create(
            &self.db,
            muster_server::db::issued_tokens::Issued::Scim,
            name,
            30,
            muster_server::audit::Actor::System("test".into()),
            &muster_server::audit::Source::default(),
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .secret
    }

    /// A client calling `/scim/v2` with a new SCIM token.
    pub async fn scim_client(&self) -> reqwest::Client {
        crate::bearer_client(&self.scim_token("test provisioning").await)
    }
}

/// Runs a program of the SCIM virtual environment (`python`, `scim2`) with
/// `SCIM_TOKEN` set; answers its exit status and output.
pub async fn run(program: &str, args: &[&str], token: &str) -> (bool, String) {
    let path = venv().join("bin").join(program);
    let output = tokio::process::Command::new(&path)
        .args(args)
        .env("SCIM_TOKEN", token)
        .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {token}"))
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {} (make test-peers installs it): {e}", path.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
