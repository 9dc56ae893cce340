//! The console (`director` with no subcommand): attach, or embed an engine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{origin, report};
use crate::cli::ConsoleArgs;
use crate::control::{client::attach, DEFAULT_SOCKET};
use crate::{daemon, tui};

/// The console's settings from the command line and the environment.
pub fn settings(args: &ConsoleArgs) -> tui::Settings {
    tui::Settings {
        read_only: args.read_only,
        keymap: args.keymap.clone(),
        theme: args.theme.clone(),
        tick: Duration::from_secs_f64(args.tick),
        mouse: !args.no_mouse,
        ..tui::Settings::default()
    }
}

/// The console: attach to the daemons named (or to the local one when it
/// listens), else embed an engine.
pub async fn console(attach_to: &[PathBuf], config: &Path, settings: tui::Settings) -> i32 {
    if !attach_to.is_empty() {
        let mut engines = Vec::new();
        for socket in attach_to {
            match attach(socket).await {
                Ok(handle) => engines.push((socket_label(socket), handle)),
                Err(e) => {
                    return report(Err((
                        1,
                        format!("cannot attach to {}: {e}", socket.display()),
                    )))
                }
            }
        }
        return report(
            tui::run(engines, origin(), settings)
                .await
                .map_err(|e| (1, e.to_string())),
        );
    }
    let socket = Path::new(DEFAULT_SOCKET);
    match attach(socket).await {
        Ok(handle) => report(
            tui::run(vec![(socket_label(socket), handle)], origin(), settings)
                .await
                .map_err(|e| (1, e.to_string())),
        ),
        Err(_) => {
            match daemon::start_engine(config, Duration::from_secs(120), Default::default(), None)
                .await
            {
                Ok(engine) => {
                    let engines = vec![("embedded".to_string(), engine.handle.clone())];
                    let result = tui::run(engines, origin(), settings).await;
                    engine.shutdown().await;
                    report(result.map_err(|e| (1, e.to_string())))
                }
                Err((code, message)) => report(Err((
                    code,
                    format!(
                    "no daemon at {DEFAULT_SOCKET}, and no engine could start on {}:\n{message}",
                    config.display()
                ),
                ))),
            }
        }
    }
}

/// A short name for a director attached through `socket`: the file stem
/// ("d1" for d1.sock), or the path when that says nothing.
fn socket_label(socket: &Path) -> String {
    match socket.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if !stem.is_empty() && stem != "control" && stem != "director" => stem.into(),
        _ => socket.display().to_string(),
    }
}
