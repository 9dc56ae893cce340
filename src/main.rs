//! The `director` binary: parse the command line and dispatch.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use director::cli::{
    AgentCommand, Cli, ConfigCommand, ConsoleArgs, ExportFormat, LabArgs, Subcommands,
};
use director::config::diagnostic::Severity;
use director::control::{client::attach, DEFAULT_SOCKET};
use director::lab::{agents, Lab, LabOptions};
use director::{config, daemon, tui};

fn main() -> ExitCode {
    unblock_stop_signals();
    raise_file_limit();
    let cli = Cli::parse();
    // `run` is one engine loop: a single-threaded runtime, with the
    // userspace plane's proxy on threads of its own. The console and the
    // lab drive several engines and a terminal: every core.
    let runtime = match &cli.command {
        Some(Subcommands::Run(_)) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    match runtime {
        Ok(runtime) => runtime.block_on(dispatch(cli)),
        Err(e) => {
            eprintln!("director: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> ExitCode {
    let code = match cli.command {
        None => console(&cli.attach, &cli.config, settings(&cli.console)).await,
        Some(Subcommands::Run(args)) => {
            director::log::init(args.log_format);
            let fin = Duration::from_secs(args.tcp_fin_timeout);
            let plane = director::engine::dataplane::PlaneOptions {
                choice: args.dataplane,
                flush_on_stop: args.flush_on_stop,
                threads: usize::from(args.plane_threads),
            };
            let state = args.state_file.as_deref();
            report(daemon::run(&args.config, &args.control, args.metrics, fin, plane, state).await)
        }
        Some(Subcommands::Lab(args)) => {
            let console = settings(&args.console);
            lab(args, console).await
        }
        Some(Subcommands::Config(ConfigCommand::Check { file, json })) => check(&file, json),
        Some(Subcommands::Config(ConfigCommand::Import { file })) => import(&file),
        Some(Subcommands::Config(ConfigCommand::Export { file, format })) => export(&file, format),
        Some(Subcommands::Ctl(args)) => director::ctl::run(args).await,
        Some(Subcommands::List(args)) => {
            let ctl = director::cli::CtlArgs {
                socket: args.socket,
                json: args.json,
                command: director::cli::CtlCommand::List(args.list),
            };
            director::ctl::run(ctl).await
        }
        Some(Subcommands::Completions { shell }) => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "director", &mut std::io::stdout());
            0
        }
        Some(Subcommands::Man) => {
            use clap::CommandFactory;
            let page = clap_mangen::Man::new(Cli::command());
            match page.render(&mut std::io::stdout()) {
                Ok(()) => 0,
                Err(e) => report(Err((1, format!("cannot write the manual page: {e}")))),
            }
        }
        Some(Subcommands::Agent(agent)) => run_agent(agent).await,
    };
    ExitCode::from(code as u8)
}

/// A proxy holds two descriptors per connection: use all the descriptors
/// the hard limit allows, not the soft default (often 1024).
fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit on a zeroed struct we own.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// A parent may hand over a blocked SIGTERM/SIGINT/SIGHUP (the mask survives
/// exec); director must still hear them to stop gracefully.
fn unblock_stop_signals() {
    // SAFETY: plain signal-mask calls on a zeroed sigset_t.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

fn report(result: Result<(), (i32, String)>) -> i32 {
    match result {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("director: {message}");
            code
        }
    }
}

fn origin() -> String {
    // SAFETY: getuid has no preconditions.
    format!("console (uid {})", unsafe { libc::getuid() })
}

/// The console's settings from the command line and the environment.
fn settings(args: &ConsoleArgs) -> tui::Settings {
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
async fn console(attach_to: &[PathBuf], config: &Path, settings: tui::Settings) -> i32 {
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

async fn lab(args: LabArgs, settings: tui::Settings) -> i32 {
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

/// `director config check`: 0 when clean, 1 on errors, 2 on warnings only
/// (as `keepalived -t` separates them).
fn check(file: &Path, json: bool) -> i32 {
    let diagnostics = match config::load_file(file) {
        Ok(loaded) => loaded.warnings,
        Err(diagnostics) => diagnostics,
    };
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&diagnostics).unwrap_or_default()
        );
    } else {
        for d in &diagnostics {
            eprint!("{}", d.render());
        }
        match (errors, warnings) {
            (0, 0) => println!("{}: ok", file.display()),
            (0, w) => eprintln!("{}: usable, with {w} warning(s)", file.display()),
            (e, w) => eprintln!("{}: {e} error(s), {w} warning(s)", file.display()),
        }
    }
    match (errors, warnings) {
        (0, 0) => 0,
        (0, _) => 2,
        _ => 1,
    }
}

fn print_all(diagnostics: &[config::Diagnostic]) {
    for d in diagnostics {
        eprint!("{}", d.render());
    }
}

fn import(file: &Path) -> i32 {
    match config::import(file) {
        Ok((toml, warnings)) => {
            print_all(&warnings);
            print!("{toml}");
            0
        }
        Err(diagnostics) => {
            print_all(&diagnostics);
            1
        }
    }
}

fn export(file: &Path, format: ExportFormat) -> i32 {
    match config::load_file(file) {
        Ok(loaded) => {
            print_all(&loaded.warnings);
            match format {
                ExportFormat::Keepalived => {
                    print!("{}", config::keepalived::to_keepalived(&loaded.config))
                }
                ExportFormat::Toml => match toml::to_string(&loaded.config) {
                    Ok(text) => print!("{text}"),
                    Err(e) => {
                        eprintln!("director: cannot write TOML: {e}");
                        return 1;
                    }
                },
            }
            0
        }
        Err(diagnostics) => {
            print_all(&diagnostics);
            1
        }
    }
}

async fn run_agent(agent: AgentCommand) -> i32 {
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
