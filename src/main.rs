//! The `director` binary: parse the command line and dispatch.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use director::cli::{Cli, ConfigCommand, Subcommands};
use director::commands::{config, console, lab, process, report};
use director::daemon;

fn main() -> ExitCode {
    process::unblock_stop_signals();
    process::raise_file_limit();
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
        None => console::console(&cli.attach, &cli.config, console::settings(&cli.console)).await,
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
            let console = console::settings(&args.console);
            lab::run(args, console).await
        }
        Some(Subcommands::Config(ConfigCommand::Check { file, json })) => {
            config::check(&file, json)
        }
        Some(Subcommands::Config(ConfigCommand::Import { file })) => config::import(&file),
        Some(Subcommands::Config(ConfigCommand::Export { file, format })) => {
            config::export(&file, format)
        }
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
        Some(Subcommands::Agent(agent)) => lab::run_agent(agent).await,
    };
    ExitCode::from(code as u8)
}
