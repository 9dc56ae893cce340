//! Starting an engine: open the sockets, start the data plane, the checks
//! and the trackers, and spawn the loop (`run_loop`) that owns the state.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::accept_mode::AcceptRules;
use super::dataplane::{Choice, PlaneOptions};
use super::garp_spacing::Spacing;
use super::handle::EngineHandle;
use super::notify::Notifier;
use super::overrides::StateFile;
use super::run_loop::{Engine, Inputs};
use super::state::EngineState;
use super::tracking::TrackState;
use super::vrrp_shell::VrrpShell;
use crate::config::Config;
use crate::ipvs::kernel::{plane as kernel_plane, Ipvs};
use crate::ipvs::model::DataPlane;
use crate::ipvs::userspace::{self, Timeouts};
use crate::netlink::address::Addresses;

/// A running engine: its client handle and the means to stop it.
#[derive(Debug)]
pub struct RunningEngine {
    /// Give this (or clones) to clients.
    pub handle: EngineHandle,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningEngine {
    /// Stop gracefully: masters resign with priority 0 and remove their addresses.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The files an engine reads and writes while it runs.
#[derive(Debug, Clone, Default)]
pub struct EngineFiles {
    /// The configuration, re-read on reload.
    pub config: Option<std::path::PathBuf>,
    /// Where operator overrides are kept.
    pub state: Option<std::path::PathBuf>,
}

/// Open every socket, start the data plane, checks and trackers, and run the engine.
pub async fn start(
    config: Config,
    node: String,
    timeouts: Timeouts,
    options: PlaneOptions,
    files: EngineFiles,
) -> Result<RunningEngine, String> {
    let garp_spacing = Arc::new(Spacing::new(
        config.global.garp_interval.0,
        config.global.gna_interval.0,
    ));
    let mut shells = config
        .vrrp_instances
        .iter()
        .map(|instance| VrrpShell::open(instance, garp_spacing.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let addresses = Addresses::connect().map_err(|e| e.to_string())?;
    let accept_rules = AcceptRules::install(&config)?;
    let own: Vec<_> = shells.iter().map(|s| s.own_address).collect();
    let mut state = EngineState::new(&config, node, &own, super::clock::Now::read());
    state.plane_timeouts = timeouts;

    let (table_tx, table_rx) = watch::channel(Arc::new(state.plane_table()));
    let kernel = kernel_plane::KernelOptions {
        remove_unmanaged: config.global.remove_unmanaged,
        flush_on_stop: options.flush_on_stop,
    };
    let plane = start_plane(options, table_rx, timeouts, kernel)?;
    state.dataplane = plane.kind();
    let (packet_sender, packets) = mpsc::channel(256);
    for (key, shell) in (0..).zip(shells.iter_mut()) {
        shell.listen(key, packet_sender.clone());
    }
    let (check_reports, checks) = crate::check::reports::queue();
    let (track_events, tracking) = mpsc::channel(64);

    let (command_tx, commands) = mpsc::channel(64);
    let (snapshot_tx, snapshot_rx) = watch::channel(None);
    let live = super::live::LiveWatchers::default();
    let (stop_tx, stop) = oneshot::channel();
    let next_key = shells.len() as u64;
    let engine = Engine {
        notifier: Notifier::new(
            config.global.notify_fifo.clone().map(Into::into),
            config.global.script_timeout.0,
        ),
        applied: vec![None; shells.len()],
        track: TrackState::default(),
        garp_spacing,
        config,
        state,
        shells,
        addresses,
        table: table_tx,
        plane,
        snapshots: snapshot_tx,
        live: live.clone(),
        check_reports,
        check_batch: Vec::new(),
        checkers: std::collections::HashMap::new(),
        check_threads: crate::workers::Workers::new("check", check_threads()),
        next_check_thread: 0,
        check_threads_failed: false,
        track_events,
        monitors: Vec::new(),
        next_key,
        accept_rules,
        packet_sender,
        state_file: files.state.map(|p| StateFile::new(&p)),
        overrides_restored: false,
        startup_at: None,
        config_path: files.config,
    };
    let inputs = Inputs {
        commands,
        packets,
        checks,
        tracking,
        stop,
    };
    let task = tokio::spawn(engine.run(inputs));
    Ok(RunningEngine {
        handle: EngineHandle {
            commands: command_tx,
            snapshots: snapshot_rx,
            live,
        },
        stop: stop_tx,
        task,
    })
}

/// One check thread per core the process may run on.
fn check_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Start the data plane `choice` asks for; `auto` takes the kernel's IPVS
/// when its netlink family resolves.
fn start_plane(
    options: PlaneOptions,
    tables: watch::Receiver<Arc<crate::ipvs::table::PlaneTable>>,
    timeouts: Timeouts,
    kernel_options: kernel_plane::KernelOptions,
) -> Result<Box<dyn DataPlane>, String> {
    let kernel = |tables| {
        crate::host_guard::check(format_args!("program the kernel's IPVS table"));
        kernel_plane::start(tables, kernel_options)
            .map(|plane| Box::new(plane) as Box<dyn DataPlane>)
            .map_err(|e| format!("kernel data plane: {e}"))
    };
    let userspace = |tables| {
        userspace::start(tables, timeouts, options.threads)
            .map(|plane| Box::new(plane) as Box<dyn DataPlane>)
            .map_err(|e| e.to_string())
    };
    match options.choice {
        Choice::Kernel => kernel(tables),
        Choice::Userspace => userspace(tables),
        Choice::Auto => match Ipvs::connect() {
            Ok(_) => kernel(tables),
            Err(_) => userspace(tables),
        },
    }
}
