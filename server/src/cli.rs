//! The command line: `muster serve` and friends. Every option can also be set
//! by an environment variable (`MUSTER_...`), for containers and CI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::db::{Db, Target};
use crate::{AppState, Settings};

/// Muster: governs the keys, tokens and roles that AI agents use.
#[derive(Debug, Parser)]
#[command(name = "muster", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, global = true, env = "MUSTER_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// The format of log lines on standard error.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// The subcommands of `muster`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the JSON API.
    Serve(ServeArgs),
}

/// Where the database is; shared by every subcommand that opens it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// An SQLite file (created on first start) or a `postgres://` URL.
    #[arg(long, env = "MUSTER_DATABASE", default_value = "data/muster.sqlite")]
    pub database: Target,
}

/// Options of `muster serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "MUSTER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The built web app (Trunk's output folder).
    #[arg(long, env = "MUSTER_DIST", default_value = "dist")]
    pub dist: PathBuf,
}

/// Sets up logging to standard error; `RUST_LOG` overrides the default level.
pub fn init_tracing(format: &LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.compact().init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args).await.map(|()| ExitCode::SUCCESS),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let db = Db::open(&args.database.database).await?;
    tracing::info!(database = %args.database.database.redacted(), "database ready");
    let state = AppState {
        db: db.clone(),
        settings: Arc::new(Settings { dist: args.dist }),
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    println!("Muster is running at http://{address}/  (Ctrl-C to stop)");
    axum::serve(listener, crate::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped with an error")?;
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
