//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::control::DEFAULT_SOCKET;

/// director: VRRP, virtual servers, health checks and an operations console
/// for an LVS director, in one binary. With no subcommand it opens the
/// console: attached to a running daemon if there is one, otherwise on an
/// engine of its own.
#[derive(Debug, Parser)]
#[command(name = "director", version)]
pub struct Cli {
    /// What to do; the console when absent.
    #[command(subcommand)]
    pub command: Option<Subcommands>,
    /// Attach the console to the daemon listening on this control socket;
    /// repeat it to watch several directors side by side (both of a pair).
    #[arg(long, value_name = "SOCKET")]
    pub attach: Vec<PathBuf>,
    /// How the console looks and behaves.
    #[command(flatten)]
    pub console: ConsoleArgs,
    /// Configuration for an in-process engine when no daemon is running.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/etc/director/director.toml"
    )]
    pub config: PathBuf,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Subcommands {
    /// Run the engine headless in the foreground, logging to stderr.
    Run(RunArgs),
    /// Start a throwaway lab in network namespaces and open the console on it (root).
    Lab(LabArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Query and command a running director through its control socket.
    Ctl(CtlArgs),
    /// The virtual-server table of the running director, in `ipvsadm -Ln`'s
    /// formats (same as `ctl list`).
    List(ListTopArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `director man > director.1`.
    Man,
    /// Helpers the lab runs inside its namespaces.
    #[command(subcommand, hide = true)]
    Agent(AgentCommand),
}

/// `director ctl`.
#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    /// The daemon's control socket (before or after the subcommand).
    #[arg(long, value_name = "SOCKET", default_value = DEFAULT_SOCKET, global = true)]
    pub socket: PathBuf,
    /// Print JSON instead of text (before or after the subcommand).
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: CtlCommand,
}

/// `director ctl` subcommands. Exit codes: 0 done, 1 refused by the engine,
/// 69 no daemon answering on the socket.
#[derive(Debug, Subcommand)]
pub enum CtlCommand {
    /// VRRP instances and services at a glance.
    Status,
    /// The virtual-server table, as `ipvsadm -Ln` prints it.
    List(ListArgs),
    /// The event log.
    Events {
        /// Keep printing new events until interrupted.
        #[arg(long)]
        follow: bool,
    },
    /// What the engine carries out: its commands are the subcommands.
    #[command(flatten)]
    Engine(crate::engine::Command),
}

/// Which of ipvsadm's listings `list` prints; ipvsadm's own flags.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct ListArgs {
    /// Numeric output; accepted for ipvsadm's sake, output is always numeric.
    #[arg(short = 'n', long)]
    pub numeric: bool,
    /// Cumulative counters: Conns, InPkts, OutPkts, InBytes, OutBytes.
    #[arg(long, group = "columns")]
    pub stats: bool,
    /// Rates: CPS, InPPS, OutPPS, InBPS, OutBPS.
    #[arg(long, group = "columns")]
    pub rate: bool,
    /// Upper and lower connection thresholds.
    #[arg(long, group = "columns")]
    pub thresholds: bool,
    /// PersistConn next to ActiveConn and InActConn.
    #[arg(long, group = "columns")]
    pub persistent_conn: bool,
    /// The connection entries, persistence templates included.
    #[arg(short = 'c', long, group = "columns")]
    pub connection: bool,
    /// Rules that rebuild the table with `ipvsadm -R`.
    #[arg(short = 'S', long, group = "columns")]
    pub save: bool,
    /// The connection timeouts: `Timeout (tcp tcpfin udp): …`.
    #[arg(long, group = "columns")]
    pub timeout: bool,
    /// Exact numbers instead of K/M/G suffixes.
    #[arg(long)]
    pub exact: bool,
}

/// `director list`: `ctl list` under the name operators type.
#[derive(Debug, clap::Args)]
pub struct ListTopArgs {
    /// The daemon's control socket.
    #[arg(long, value_name = "SOCKET", default_value = DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Which listing.
    #[command(flatten)]
    pub list: ListArgs,
}

/// `director run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The configuration file (native TOML).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Where to serve the control socket.
    #[arg(long, value_name = "SOCKET", default_value = DEFAULT_SOCKET)]
    pub control: PathBuf,
    /// Serve Prometheus metrics at this address (off unless given), e.g. 127.0.0.1:9550.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Userspace plane: seconds a closing (FIN_WAIT) or closed (TIME_WAIT)
    /// connection stays counted in InActConn (ipvsadm --set tcpfin), unless
    /// `[global] lvs_timeouts` sets `tcpfin`.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub tcp_fin_timeout: u64,
    /// The data plane: the kernel's IPVS when it is there (auto), always
    /// the kernel (refusing to start without it), or the embedded proxy.
    #[arg(long, value_enum, default_value = "auto")]
    pub dataplane: crate::engine::dataplane::Choice,
    /// Kernel plane: delete every IPVS service on stop. By default the
    /// table stays, so established connections keep flowing while director
    /// restarts.
    #[arg(long)]
    pub flush_on_stop: bool,
    /// Userspace plane: the threads the proxy runs on (by default one per
    /// core). The engine itself (VRRP, checks, control) is one thread.
    #[arg(long, value_name = "N", default_value_t = default_plane_threads(), value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub plane_threads: u16,
    /// Keep operator overrides (drains, weights, servers added or removed,
    /// disabled services) in this file and restore them on start. The
    /// systemd unit uses /var/lib/director/state.json; none when absent.
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// How to log on stderr: text lines for journald, or JSON lines.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: crate::log::Format,
}

/// One proxy thread per core the process may run on.
fn default_plane_threads() -> u16 {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(1024) as u16)
}

/// `director lab`.
#[derive(Debug, clap::Args)]
pub struct LabArgs {
    /// Prefix of the lab's namespace names; a stale lab with it is removed first.
    #[arg(long, default_value = "dlab")]
    pub prefix: String,
    /// VRRP advertisement interval in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub advert_int: f64,
    /// Client connections per second against the VIP (0 = no load).
    #[arg(long, default_value_t = 4)]
    pub rate: u32,
    /// How the console looks and behaves.
    #[command(flatten)]
    pub console: ConsoleArgs,
}

/// The console's options (plain `director` and `director lab`).
#[derive(Debug, Clone, clap::Args)]
pub struct ConsoleArgs {
    /// Show everything, change nothing: every action is refused on screen.
    #[arg(long)]
    pub read_only: bool,
    /// Built-in keymap: default (arrows, hjkl) or emacs. A keymap.toml in
    /// $XDG_CONFIG_HOME/director/ overrides single actions.
    #[arg(long, default_value = "default")]
    pub keymap: String,
    /// Built-in theme: dark, light, high-contrast or mono (NO_COLOR forces
    /// mono). A theme.toml in $XDG_CONFIG_HOME/director/ overrides single roles.
    #[arg(long, default_value = "dark")]
    pub theme: String,
    /// Seconds between redraws of counters and rates (state changes show at once).
    #[arg(long, default_value_t = 1.0, value_parser = parse_tick)]
    pub tick: f64,
    /// Leave the mouse to the terminal (for selecting text) instead of
    /// click-to-select and wheel scrolling.
    #[arg(long)]
    pub no_mouse: bool,
}

fn parse_tick(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if (0.1..=60.0).contains(&secs) => Ok(secs),
        _ => Err(format!("tick must be 0.1..=60 seconds, not {text:?}")),
    }
}

/// `director config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file (director TOML for *.toml, keepalived.conf
    /// otherwise); exit 0 when clean, 1 on errors, 2 on warnings only.
    Check {
        /// The file.
        file: PathBuf,
        /// Print the diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a keepalived.conf or an ldirectord.cf as native TOML, noting
    /// where each part came from.
    Import {
        /// The keepalived.conf or ldirectord.cf.
        file: PathBuf,
    },
    /// Print a configuration (either syntax) in another syntax.
    Export {
        /// The configuration.
        file: PathBuf,
        /// Output syntax.
        #[arg(long, value_enum, default_value = "keepalived")]
        format: ExportFormat,
    },
}

/// Syntaxes `config export` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// keepalived.conf.
    Keepalived,
    /// director's native TOML.
    Toml,
}

/// Lab helpers; not for operators.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// An HTTP server that answers every request with its own name.
    HttpServer {
        /// The name to answer with.
        #[arg(long)]
        name: String,
        /// Address and port to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
    /// A gentle, bounded client load.
    Load {
        /// Where to connect.
        #[arg(long)]
        target: std::net::SocketAddr,
        /// Connections per second.
        #[arg(long, default_value_t = 4)]
        rate: u32,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 86_400)]
        max_seconds: u64,
    },
    /// Fetch `count` responses and print each body on a line.
    Get {
        /// Where to connect.
        #[arg(long)]
        target: std::net::SocketAddr,
        /// How many requests.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
}

/// `nat`, `dr` or `tun` (also ipvsadm's `masq`, `route`, `tunnel`).
pub fn parse_forwarding(text: &str) -> Result<crate::config::Forwarding, String> {
    use crate::config::Forwarding;
    match text.to_ascii_lowercase().as_str() {
        "nat" | "masq" | "m" => Ok(Forwarding::Nat),
        "dr" | "route" | "g" => Ok(Forwarding::Dr),
        "tun" | "tunnel" | "i" => Ok(Forwarding::Tun),
        other => Err(format!("forwarding must be nat, dr or tun, not {other:?}")),
    }
}
