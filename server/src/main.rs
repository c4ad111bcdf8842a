//! `mixtape`: MixTape's web server, and its commands for music data.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::{Config, Server};

mod commands;

/// MixTape: original music for your business, composed by a neural network.
#[derive(Debug, Parser)]
#[command(
    name = "mixtape",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no command, `mixtape` serves the web app with these settings.
    #[command(flatten)]
    serve: Config,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app (what `mixtape` does with no command).
    Serve(Box<Config>),
    /// Inspect MIDI corpora.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Train a model on folders of MIDI files.
    Train(commands::model::TrainArgs),
    /// Measure a model on folders of MIDI files, beside an n-gram baseline.
    Eval(commands::model::EvalArgs),
    /// Store the style of a trained model's training music (key profiles, melodic repeats) in its config; train does it too.
    Calibrate(commands::model::CalibrateArgs),
    /// Compose a piece with a trained model and write it as MIDI.
    Generate(commands::model::GenerateArgs),
    /// Render a MIDI file to a WAV file (and an Ogg Vorbis preview) with a SoundFont.
    Render(commands::render::RenderArgs),
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Read, quantise and encode every MIDI file of each folder; print a table per folder.
    Stats {
        /// Folders of MIDI files, one set each.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Fit the similarity rule's surprise table (how likely each interval
    /// follows another) on the training files of each folder and write it.
    FitSimilarity {
        /// Folders of MIDI files, one corpus each.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The JSON file to write (MixTape ships models/similarity.json).
        #[arg(long)]
        out: PathBuf,
        /// Share of each folder's files held out, as training holds them out.
        #[arg(long, default_value_t = 0.1)]
        validation_share: f64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(config)) => serve(*config),
        Some(Command::Data {
            command: DataCommand::Stats { dirs },
        }) => data_stats(&dirs),
        Some(Command::Data {
            command:
                DataCommand::FitSimilarity {
                    dirs,
                    out,
                    validation_share,
                },
        }) => fit_similarity(&dirs, &out, validation_share),
        Some(Command::Train(args)) => commands::model::train_command(args),
        Some(Command::Eval(args)) => commands::model::eval_command(args),
        Some(Command::Calibrate(args)) => commands::model::calibrate_command(args),
        Some(Command::Generate(args)) => commands::model::generate_command(args),
        Some(Command::Render(args)) => commands::render::render_command(args),
    }
}

fn fit_similarity(dirs: &[PathBuf], out: &std::path::Path, share: f64) -> ExitCode {
    let written = models::training::collisions::fit_surprise(dirs, share)
        .map_err(|err| err.to_string())
        .and_then(|table| serde_json::to_string(&table).map_err(|err| err.to_string()))
        .and_then(|json| std::fs::write(out, json + "\n").map_err(|err| err.to_string()));
    match written {
        Ok(()) => {
            println!(
                "{}: the surprise table of {} folders",
                out.display(),
                dirs.len()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("mixtape: {err}");
            ExitCode::FAILURE
        }
    }
}

fn data_stats(dirs: &[PathBuf]) -> ExitCode {
    let mut sets = Vec::with_capacity(dirs.len());
    for dir in dirs {
        match models::training::corpus::set_stats(dir) {
            Ok(stats) => sets.push(stats),
            Err(err) => {
                eprintln!("mixtape: {}: {err}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    print!("{}", models::training::corpus::stats_table(&sets));
    ExitCode::SUCCESS
}

#[tokio::main]
async fn serve(config: Config) -> ExitCode {
    let (log_filter, database_url) = match config.validate() {
        Ok(valid) => valid,
        Err(err) => {
            eprintln!("mixtape: {err}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt().with_env_filter(log_filter).init();
    // Installed before anything else, so that a signal during start-up is not lost.
    let shutdown = match shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(err) => {
            eprintln!("mixtape: cannot install signal handlers: {err}");
            return ExitCode::FAILURE;
        }
    };

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
    if let Err(err) = server.serve(shutdown).await {
        tracing::error!(%err, "server stopped with an error");
        return ExitCode::FAILURE;
    }
    tracing::info!("shut down cleanly");
    ExitCode::SUCCESS
}

/// Installs the Ctrl-C (SIGINT) and SIGTERM handlers, returning a future that
/// completes on the first of them.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("Ctrl-C received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}
