//! `mixtape`: starts MixTape's web server.

use std::process::ExitCode;

use clap::Parser;
use server::{Config, Server};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let (log_filter, database_url) = match config.validate() {
        Ok(valid) => valid,
        Err(err) => {
            eprintln!("mixtape: {err}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt().with_env_filter(log_filter).init();

    let server = match Server::start(&config, &database_url).await {
        Ok(server) => server,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("mixtape: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        address = %server.local_addr(),
        models_dir = %config.models_dir.display(),
        "MixTape is listening on http://{}",
        server.local_addr()
    );
    if let Err(err) = server.serve(shutdown_signal()).await {
        tracing::error!(%err, "server stopped with an error");
        return ExitCode::FAILURE;
    }
    tracing::info!("shut down cleanly");
    ExitCode::SUCCESS
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
