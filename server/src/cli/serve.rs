//! `muster serve`: prepares the database (the demo organisation, risk
//! scores of a new model), starts the workers and serves the dashboard and
//! the API until Ctrl-C or SIGTERM.

use anyhow::Context;

use crate::db::Db;
use crate::demo::{self, ScaleName};
use crate::{AppState, Settings};

use super::{ServeArgs, demo_anchor};

/// `muster serve`: runs the server until it is told to stop.
pub(super) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let webhook = args.webhook.config()?;
    let smtp = args.smtp.config()?;
    let oidc = args
        .oidc
        .config()?
        .map(crate::identity::oidc::Provider::new)
        .transpose()?;
    let passwords = args.oidc.passwords(oidc.is_some())?;
    let approval_key = crate::approval::DecisionKey::load_or_create(&args.approval_key_file)?;
    crate::import::prepare_spool(&args.spool)
        .with_context(|| format!("cannot empty the spool folder {}", args.spool.display()))?;
    let db = Db::open(&args.database.database).await?;
    tracing::info!(database = %args.database.database.redacted(), "database ready");
    if args.demo {
        if demo::is_empty(&db).await? {
            let fingerprinter = args.key.fingerprinter()?;
            let summary = demo::generate(
                &db,
                ScaleName::Small.scale(),
                1,
                demo_anchor(),
                &fingerprinter,
                |_, _, _| {},
            )
            .await?;
            tracing::info!(rows = ?summary.rows, "filled the empty database with the small demo organisation");
        } else {
            tracing::info!("the database already holds an inventory; --demo leaves it as it is");
        }
        let password = match args.demo_password.clone() {
            Some(password) => password,
            None => crate::auth::random_secret(),
        };
        crate::demo::create_accounts(&db, &password).await?;
        println!("Demo accounts (password {password}):");
        for role in model::api::Role::ALL {
            println!("  {role}@demo.test");
        }
    }
    if crate::db::risk::stored_version(&db).await?.as_deref() != Some(crate::risk::MODEL_VERSION) {
        // Replicas starting together on a new version: one of them rescores.
        // The period names the scores replaced too, so that going back to an
        // older version rescores again.
        let now = chrono::Utc::now();
        let replaced = crate::db::risk::stored_at(&db).await?.unwrap_or_default();
        let done = crate::schedule::run_once(
            &db,
            &crate::schedule::holder(),
            crate::schedule::MODEL_RECOMPUTE,
            &format!("{} over {replaced}", crate::risk::MODEL_VERSION),
            now,
            || crate::scoring::recompute(&db, now, "muster serve"),
        )
        .await?;
        if let Some(done) = done {
            tracing::info!(
                credentials = done.scores.credentials(),
                agents = done.scores.agents(),
                version = crate::risk::MODEL_VERSION,
                "scored the inventory with a new risk model"
            );
        }
    }
    if crate::db::coverage::rehome_if_never(&db).await? {
        tracing::info!("stored the team each agent and credential counts against for owner coverage");
    }
    let state = AppState::new(
        db.clone(),
        Settings {
            dist: args.dist,
            demo: args.demo,
            webhook,
            approval_key,
            clock: crate::clock::Clock::default(),
            fingerprinter: args.key.fingerprinter()?,
            spool: Some(args.spool),
            trusted_proxies: args.trusted_proxies,
            max_requests: Some(args.max_requests),
            body_idle_timeout: None,
            oidc,
            passwords,
            public_url: args.oidc.public_url.clone(),
            scim_group_teams: args.scim_group_teams,
            schedule: Some(crate::schedule::TICK),
            import_takeover: Some(std::time::Duration::from_secs(args.import_takeover_seconds)),
            notify: crate::notify::Config {
                // Without --public-url, links lead to the address Muster listens on.
                base: url::Url::parse(&format!("http://{}/", args.bind))?,
                smtp,
                ..crate::notify::Config::default()
            },
        },
    );
    if args.demo {
        let made = crate::approval::demo::seed(&state).await?;
        tracing::info!(made, "demo approval requests waiting for approvers");
    }
    state.spawn_workers();
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    println!("Muster is running at http://{address}/  (Ctrl-C to stop)");
    crate::serve::run(
        listener,
        crate::app(state),
        crate::serve::Limits::default(),
        shutdown_signal(),
    )
    .await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("the Ctrl-C handler installs");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("the SIGTERM handler installs")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
