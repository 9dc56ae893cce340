//! `director lab` and the agents it runs inside its namespaces.

use super::{origin, report};
use crate::cli::{AgentCommand, LabArgs};
use crate::control::client::attach;
use crate::lab::{agents, Lab, LabOptions};
use crate::tui;

/// Build the lab, run the console on it, and tear it down on every exit.
pub async fn run(args: LabArgs, settings: tui::Settings) -> i32 {
    let binary = match std::env::current_exe() {
        Ok(path) => path,
        Err(e) => return report(Err((1, format!("cannot find my own binary: {e}")))),
    };
    let options = LabOptions {
        prefix: args.prefix,
        binary,
        advert_int: args.advert_int,
        tcp_fin_timeout: 120,
    };
    eprintln!("director lab: building namespaces {}-* …", options.prefix);
    // Listen for signals before building, so one that arrives mid-build
    // still leads to a teardown instead of killing the process.
    let mut stop = match StopSignals::install() {
        Ok(stop) => stop,
        Err(e) => return report(Err((1, format!("cannot install signal handlers: {e}")))),
    };
    let mut lab = match Lab::up(options) {
        Ok(lab) => lab,
        Err(e) => {
            return report(Err((
                1,
                format!(
                    "lab: {e}\nThe lab needs root and network namespaces. Run it as root \
                     (sudo cargo run --release -- lab), or on a real director run \
                     `director --config FILE`."
                ),
            )))
        }
    };
    if args.rate > 0 {
        if let Err(e) = lab.start_load(args.rate) {
            return report(Err((1, e)));
        }
    }
    // The console watches both directors; actions go to d1 until `n`.
    let mut engines = Vec::new();
    for index in 0..2 {
        match attach(&lab.socket(index)).await {
            Ok(handle) => engines.push((format!("d{}", index + 1), handle)),
            Err(e) => {
                lab.teardown();
                return report(Err((
                    1,
                    format!("cannot attach to director {}: {e}", index + 1),
                )));
            }
        }
    }
    let result = tokio::select! {
        r = tui::run(engines, origin(), settings) => r.map_err(|e| (1, e.to_string())),
        () = stop.wait() => Ok(()),
    };
    lab.teardown();
    report(result)
}

/// SIGTERM, SIGHUP and SIGINT, caught from the moment of `install`.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// Run one of the lab's agents.
pub async fn run_agent(agent: AgentCommand) -> i32 {
    match agent {
        AgentCommand::HttpServer { name, listen } => report(
            agents::http::serve(name, listen)
                .await
                .map_err(|e| (1, e.to_string())),
        ),
        AgentCommand::Load {
            target,
            rate,
            max_seconds,
        } => {
            agents::load::run(target, rate, max_seconds).await;
            0
        }
        AgentCommand::Get { target, count } => {
            agents::get::run(target, count).await;
            0
        }
    }
}
