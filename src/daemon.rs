//! `director run` and the console's in-process engine: load the
//! configuration, start the engine, serve the control socket.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::config::load_file;
use crate::control::server::{serve, ControlServer};
use crate::engine::dataplane::PlaneOptions;
use crate::engine::task::{start, EngineFiles, RunningEngine};
use crate::ipvs::userspace::Timeouts;
use crate::systemd;

/// Exit code for a configuration that does not load.
pub const EXIT_BAD_CONFIG: i32 = 2;
/// Exit code when the engine cannot start (a missing interface, a port in use).
pub const EXIT_CANNOT_START: i32 = 3;
/// Exit code when a capability the configuration needs is missing
/// (sysexits' EX_NOPERM).
pub const EXIT_NO_CAPABILITY: i32 = 77;

/// This host's name, for a configuration without `router_id`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "director".into())
}

/// Load `config` and start an engine on it; errors carry the exit code.
pub async fn start_engine(
    path: &Path,
    tcp_fin: Duration,
    plane: PlaneOptions,
    state_file: Option<&Path>,
) -> Result<RunningEngine, (i32, String)> {
    let loaded = load_file(path).map_err(|diagnostics| {
        let text: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        (EXIT_BAD_CONFIG, text.join("\n"))
    })?;
    for warning in &loaded.warnings {
        crate::log::warn(None, &warning.to_string());
    }
    require_capabilities(&loaded.config, plane)?;
    let config = loaded.config;
    if config.global.lock_memory {
        match crate::memory_lock::lock_all() {
            Ok(()) => crate::log::emit(None, "lock_memory: every page stays in memory"),
            Err(e) => crate::log::warn(
                None,
                &format!(
                    "lock_memory: cannot lock memory: {e} (it needs CAP_IPC_LOCK or a \
                     large enough RLIMIT_MEMLOCK; under systemd, LimitMEMLOCK=infinity)"
                ),
            ),
        }
    }
    let node = config.global.router_id.clone().unwrap_or_else(hostname);
    let timeouts = Timeouts {
        tcp_fin,
        time_wait: tcp_fin,
        ..Timeouts::default()
    };
    let files = EngineFiles {
        config: Some(path.to_path_buf()),
        state: state_file.map(Path::to_path_buf),
    };
    start(config, node, timeouts, plane, files)
        .await
        .map_err(|e| (EXIT_CANNOT_START, e))
}

/// Refuse to start, naming what is missing, when the configuration needs
/// capabilities this process lacks: VRRP needs CAP_NET_RAW (its sockets) and
/// CAP_NET_ADMIN (the VIPs); the kernel plane needs CAP_NET_ADMIN.
fn require_capabilities(
    config: &crate::config::Config,
    plane: PlaneOptions,
) -> Result<(), (i32, String)> {
    use crate::capabilities::{effective, missing, NET_ADMIN, NET_RAW};
    let mut needed = Vec::new();
    if !config.vrrp_instances.is_empty() {
        needed.extend([(NET_ADMIN, "CAP_NET_ADMIN"), (NET_RAW, "CAP_NET_RAW")]);
    } else if plane.choice == crate::engine::dataplane::Choice::Kernel {
        needed.push((NET_ADMIN, "CAP_NET_ADMIN"));
    }
    let Some(mask) = effective() else {
        return Ok(());
    };
    let lacking = missing(mask, &needed);
    if lacking.is_empty() {
        return Ok(());
    }
    Err((
        EXIT_NO_CAPABILITY,
        format!(
            "missing {}: run as root, or grant them (the systemd unit does: \
             AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE)",
            lacking.join(" and ")
        ),
    ))
}

/// Run headless until SIGTERM or SIGINT, then stop gracefully.
pub async fn run(
    config: &Path,
    control: &Path,
    metrics: Option<SocketAddr>,
    tcp_fin: Duration,
    plane: PlaneOptions,
    state_file: Option<&Path>,
) -> Result<(), (i32, String)> {
    // Listen for SIGTERM/SIGINT before anything starts: a stop that arrives
    // while the engine is still starting is graceful too.
    let stop = stop_signals();
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let engine = start_engine(config, tcp_fin, plane, state_file).await?;
    let exporter = match metrics {
        Some(address) => Some(
            crate::metrics::serve(address, engine.handle.clone())
                .await
                .map_err(|e| (EXIT_CANNOT_START, format!("metrics on {address}: {e}")))?,
        ),
        None => None,
    };
    let server: ControlServer = serve(control, engine.handle.clone()).await.map_err(|e| {
        (
            EXIT_CANNOT_START,
            format!("control socket {}: {e}", control.display()),
        )
    })?;
    crate::log::emit(
        None,
        &format!("serving control socket {}", control.display()),
    );
    // Ready means the engine loop runs: it has published its first snapshot.
    let mut snapshots = engine.handle.snapshots.clone();
    let first =
        tokio::time::timeout(Duration::from_secs(5), snapshots.wait_for(Option::is_some)).await;
    let node = match first {
        Ok(Ok(snapshot)) => snapshot
            .as_ref()
            .map(|s| s.node.clone())
            .unwrap_or_default(),
        _ => {
            return Err((
                EXIT_CANNOT_START,
                "the engine did not start within 5 s".into(),
            ))
        }
    };
    if let Err(e) = systemd::notify(&format!("READY=1\nSTATUS=running on {node}")) {
        crate::log::warn(None, &format!("cannot notify systemd: {e}"));
    }
    let reloads = tokio::spawn(reload_on_sighup(engine.handle.clone(), hangups));
    let watchdog = systemd::watchdog_interval()
        .map(|every| tokio::spawn(keep_watchdog_fed(engine.handle.clone(), every)));
    stop.await;
    let _ = systemd::notify("STOPPING=1");
    if let Some(watchdog) = watchdog {
        watchdog.abort();
    }
    reloads.abort();
    drop(server);
    if let Some(exporter) = exporter {
        exporter.abort();
    }
    engine.shutdown().await;
    Ok(())
}

/// Ping the systemd watchdog while the engine loop answers; a stalled
/// engine stops the pings and systemd restarts the service.
async fn keep_watchdog_fed(engine: crate::engine::EngineHandle, every: Duration) {
    loop {
        let ping = crate::engine::Request {
            command: crate::engine::Command::Ping,
            origin: "watchdog".into(),
        };
        if tokio::time::timeout(every, engine.request(ping))
            .await
            .is_ok_and(|r| r.is_ok())
        {
            let _ = systemd::notify("WATCHDOG=1");
        }
        tokio::time::sleep(every).await;
    }
}

/// Reload the configuration on every SIGHUP, as keepalived does.
/// (`hangups` is created before the engine starts, so that a SIGHUP during
/// start-up is held for it instead of killing the daemon.)
async fn reload_on_sighup(
    engine: crate::engine::EngineHandle,
    hangups: std::io::Result<tokio::signal::unix::Signal>,
) {
    let Ok(mut hangups) = hangups else {
        crate::log::warn(
            None,
            "cannot listen for SIGHUP: reload with `director ctl reload`",
        );
        return;
    };
    while hangups.recv().await.is_some() {
        let request = crate::engine::Request {
            command: crate::engine::Command::Reload,
            origin: "SIGHUP".into(),
        };
        // The engine journals the outcome; a refusal is also an error here.
        if let Err(why) = engine.request(request).await {
            crate::log::warn(None, &format!("SIGHUP: {why}"));
        }
    }
}

/// A future that completes on SIGTERM or SIGINT; the handlers are
/// installed when this is called, not when it is first polled.
fn stop_signals() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            std::future::pending::<()>().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
}
