//! The `hearth` server: configuration, telemetry, the app, and serving until
//! SIGTERM or Ctrl-C.

use hearth::server::{self, config::Config, listen::Server};

#[tokio::main]
async fn main() {
    // Everything Hearth creates (database, journal, pictures, backups) is
    // for its own user only.
    // SAFETY: umask only sets the process's file-creation mask.
    unsafe { libc::umask(0o077) };
    server::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => run().await,
        [cmd, file] if cmd == "backup" => backup(file).await,
        [cmd, flag, room, file] if cmd == "export" && flag == "--room" => export(room, file).await,
        _ => Err(USAGE.into()),
    };
    if let Err(e) = result {
        tracing::error!("{e}");
        eprintln!("hearth: {e}");
        std::process::exit(1);
    }
}

const USAGE: &str = "usage: hearth                           serve (see Leptos.toml)
       hearth backup <file>              copy the database while it runs
       hearth export --room <id> <file>  a room's messages and files as a zip";

/// `hearth export --room <id> <file>`: the room's export, as its admin's
/// `Export room` makes it.
async fn export(room: &str, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load()?;
    let written = server::export::to_file(&config, room, std::path::Path::new(file)).await?;
    println!(
        "exported {} messages and {} files from room {room} to {file}",
        written.messages, written.files
    );
    Ok(())
}

/// `hearth backup <file>`: a consistent copy of the running server's database.
async fn backup(file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load()?;
    server::backup::backup_configured(&config, std::path::Path::new(file)).await?;
    println!("backed up {} to {file}", config.database_path().display());
    Ok(())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::build(Config::load()?).await?;
    server.run(shutdown_signal()).await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
