//! The kernel data plane: each table the engine publishes is reconciled
//! into the kernel's IPVS (existing entries adopted, nothing flushed,
//! unmanaged services left alone), and the kernel's counters are copied
//! back into the table's stats every second. Netlink is synchronous, so
//! this runs on a thread of its own, which sleeps until something is to be
//! done: a new table (it wakes on the engine's publication, not on a poll),
//! the counters' second (the kernel announces no counter changes, and one
//! second is the granularity of its own rate estimator and of ipvsadm's
//! listings), or the plane being stopped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::client::{Ipvs, KernelError, Timeouts};
use super::proto::{Forward, KDest, KService, ServiceKey, Stats};
use super::reconcile::{reconcile, Entry};
use crate::config::values::Seconds;
use crate::config::{Forwarding, LvsTimeouts, Protocol};
use crate::ipvs::model::{ConnectionReading, DataPlane, DestStats, PlaneKind, Prepared};
use crate::ipvs::table::{PlaneService, PlaneTable};

/// How often the kernel's counters are read back.
const COUNTERS_EVERY: Duration = Duration::from_secs(1);

/// `expire_quiescent_template`: persistent clients of a drained server move.
const EXPIRE_QUIESCENT: &str = "/proc/sys/net/ipv4/vs/expire_quiescent_template";

/// How the kernel plane treats what it does not own, and the table on stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KernelOptions {
    /// Delete services the table does not name.
    pub remove_unmanaged: bool,
    /// Delete every service when director stops.
    pub flush_on_stop: bool,
}

/// The running kernel plane.
#[derive(Debug)]
pub struct KernelPlane {
    /// Dropping it stops the thread.
    stop: Option<oneshot::Sender<()>>,
    flush_on_stop: bool,
    thread: Option<JoinHandle<()>>,
    /// What the kernel refused, newest last, until taken for the journal.
    problems: Arc<Mutex<Vec<String>>>,
    /// Kernel services director does not manage, as of the last apply.
    unmanaged: Arc<Mutex<Vec<ServiceKey>>>,
}

impl DataPlane for KernelPlane {
    fn kind(&self) -> PlaneKind {
        PlaneKind::Kernel
    }

    /// There is no netlink dump of connections: they are read from
    /// /proc/net/ip_vs_conn when the reading is finished.
    fn connections(&self) -> ConnectionReading {
        Box::new(|| {
            let text = std::fs::read_to_string("/proc/net/ip_vs_conn")
                .map_err(|e| format!("/proc/net/ip_vs_conn: {e}"))?;
            Ok(super::conns::parse(&text))
        })
    }

    fn close_connections(
        &self,
        _: SocketAddr,
        _: Protocol,
        _: SocketAddr,
    ) -> Result<(), &'static str> {
        Err("the kernel plane cannot close connections: they finish or expire on their own")
    }

    /// Nothing to get ready: the plane follows the table.
    fn prepare(
        &self,
        _: &[(SocketAddr, Protocol)],
        _: &[(SocketAddr, Protocol)],
    ) -> Result<Prepared, String> {
        Ok(Prepared::nothing())
    }

    fn adopt(&mut self, _: Prepared) {}

    /// What the kernel refused since the last call.
    fn take_problems(&self) -> Vec<String> {
        std::mem::take(&mut *self.problems.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Kernel services left alone, as ipvsadm names them ("TCP 203.0.113.1:80").
    fn unmanaged(&self) -> Vec<String> {
        let keys = self.unmanaged.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter().map(super::client::key_text).collect()
    }
}

impl Drop for KernelPlane {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if self.flush_on_stop {
            match Ipvs::connect().and_then(|mut ipvs| ipvs.flush()) {
                Ok(()) => crate::log::emit(None, "kernel IPVS table flushed (--flush-on-stop)"),
                Err(e) => crate::log::warn(None, &format!("--flush-on-stop: {e}")),
            }
        }
    }
}

fn key_of(service: &PlaneService) -> ServiceKey {
    match service.protocol {
        Protocol::Tcp => ServiceKey::Tcp(service.address),
        Protocol::Udp => ServiceKey::Udp(service.address),
    }
}

fn forward_of(forwarding: Forwarding) -> Forward {
    match forwarding {
        Forwarding::Nat => Forward::Masq,
        Forwarding::Dr => Forward::Route,
        Forwarding::Tun => Forward::Tunnel,
    }
}

/// The kernel entries `table` asks for.
pub fn desired(table: &PlaneTable) -> Vec<Entry> {
    table
        .services
        .iter()
        .map(|service| {
            let ipv6 = service.address.is_ipv6();
            let mut flags = 0;
            if service.flags.fallback {
                flags |= 0x8;
            }
            if service.flags.port {
                flags |= 0x10;
            }
            let (timeout, bits) = match &service.persistence {
                Some(p) => {
                    flags |= 0x1;
                    (p.timeout.as_secs() as u32, p.granularity)
                }
                None => (0, if ipv6 { 128 } else { 32 }),
            };
            let netmask = if ipv6 {
                u32::from(bits.min(128))
            } else {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(bits.min(32)))
                    .unwrap_or(0);
                u32::from_ne_bytes(mask.to_be_bytes())
            };
            let kservice = KService {
                key: key_of(service),
                scheduler: service.scheduler.name().into(),
                flags,
                timeout,
                netmask,
                pe_name: None,
                stats: Stats::default(),
            };
            let dests = service
                .dests
                .iter()
                .map(|d| KDest {
                    upper: d.thresholds.upper,
                    lower: d.thresholds.lower,
                    ..KDest::new(d.address, forward_of(d.forwarding), d.weight)
                })
                .collect();
            (kservice, dests)
        })
        .collect()
}

fn store(target: &DestStats, stats: &Stats, gauges: Option<(u32, u32, u32)>) {
    let set =
        |cell: &std::sync::atomic::AtomicU64, value: u64| cell.store(value, Ordering::Relaxed);
    set(&target.conns, stats.conns);
    set(&target.in_packets, stats.in_packets);
    set(&target.out_packets, stats.out_packets);
    set(&target.in_bytes, stats.in_bytes);
    set(&target.out_bytes, stats.out_bytes);
    if let Some((active, inactive, persistent)) = gauges {
        set(&target.active, u64::from(active));
        set(&target.inactive, u64::from(inactive));
        set(&target.persistent, u64::from(persistent));
    }
}

/// Copy the kernel's counters into the table's stats.
fn copy_counters(table: &PlaneTable, kernel: &[Entry]) {
    let by_key: HashMap<ServiceKey, &Entry> = kernel.iter().map(|e| (e.0.key, e)).collect();
    for service in &table.services {
        let Some((kservice, kdests)) = by_key.get(&key_of(service)).copied() else {
            continue;
        };
        store(&service.stats, &kservice.stats, None);
        let dests: HashMap<SocketAddr, &KDest> = kdests.iter().map(|d| (d.address, d)).collect();
        for dest in &service.dests {
            if let Some(k) = dests.get(&dest.address) {
                store(
                    &dest.stats,
                    &k.stats,
                    Some((k.active, k.inactive, k.persistent)),
                );
            }
        }
    }
}

struct Worker {
    ipvs: Ipvs,
    /// The `lvs_timeouts` last set in the kernel, or tried (none at first).
    timeouts_set: LvsTimeouts,
    remove_unmanaged: bool,
    tables: watch::Receiver<Arc<PlaneTable>>,
    problems: Arc<Mutex<Vec<String>>>,
    unmanaged: Arc<Mutex<Vec<ServiceKey>>>,
}

impl Worker {
    fn apply(&mut self, table: &PlaneTable) {
        let now = match self.ipvs.table() {
            Ok(now) => now,
            Err(e) => return self.report(vec![e.to_string()]),
        };
        let plan = reconcile(&desired(table), &now, self.remove_unmanaged);
        *self.unmanaged.lock().unwrap_or_else(|p| p.into_inner()) = plan.unmanaged.clone();
        let failures = self.ipvs.apply(&plan.ops);
        self.report(failures.into_iter().map(|(_, e)| e.to_string()).collect());
        self.set_timeouts(table.timeouts);
    }

    /// Set what the configuration sets of the kernel's timeouts, as
    /// `ipvsadm --set` does: one it leaves out is left as the kernel has
    /// it, so taking `lvs_timeouts` out of the configuration changes
    /// nothing.
    fn set_timeouts(&mut self, wanted: LvsTimeouts) {
        if wanted == self.timeouts_set || wanted.is_unset() {
            return;
        }
        let secs = |value: Option<Seconds>| value.map_or(0, |s| s.0.as_secs() as u32);
        let timeouts = Timeouts {
            tcp: secs(wanted.tcp),
            tcp_fin: secs(wanted.tcpfin),
            udp: secs(wanted.udp),
        };
        // Tried once per value: a refusal is reported, not retried on
        // every table.
        self.timeouts_set = wanted;
        if let Err(e) = self.ipvs.set_timeouts(timeouts) {
            self.report(vec![e.to_string()]);
        }
    }

    fn report(&self, problems: Vec<String>) {
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(problems);
    }

    /// Follow the tables until `stop` is dropped (or the engine is gone).
    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        let mut table = self.tables.borrow_and_update().clone();
        self.apply(&table);
        let mut counters = tokio::time::interval(COUNTERS_EVERY);
        counters.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                changed = self.tables.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    table = self.tables.borrow_and_update().clone();
                    self.apply(&table);
                }
                _ = counters.tick() => match self.ipvs.table() {
                    Ok(kernel) => copy_counters(&table, &kernel),
                    Err(e) => self.report(vec![e.to_string()]),
                },
                _ = &mut stop => return,
            }
        }
    }
}

/// Start driving the kernel's IPVS from `tables`. Fails when the kernel
/// has no IPVS; says (on stderr) when drained servers' persistent clients
/// cannot be moved.
pub fn start(
    tables: watch::Receiver<Arc<PlaneTable>>,
    options: KernelOptions,
) -> Result<KernelPlane, KernelError> {
    let ipvs = Ipvs::connect()?;
    if let Err(e) = std::fs::write(EXPIRE_QUIESCENT, "1") {
        crate::log::warn(
            None,
            &format!(
                "cannot set {EXPIRE_QUIESCENT} to 1 ({e}): persistent clients of a \
                 drained server stay on it until their templates expire"
            ),
        );
    }
    let (stop, stopped) = oneshot::channel();
    let problems = Arc::new(Mutex::new(Vec::new()));
    let unmanaged = Arc::new(Mutex::new(Vec::new()));
    let worker = Worker {
        ipvs,
        timeouts_set: LvsTimeouts::default(),
        remove_unmanaged: options.remove_unmanaged,
        tables,
        problems: problems.clone(),
        unmanaged: unmanaged.clone(),
    };
    let failed = |e: std::io::Error| KernelError {
        operation: "start the kernel plane".into(),
        errno: 0,
        reason: e.to_string(),
    };
    // The thread's own runtime only waits: for a table, the counters'
    // second, or the stop.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(failed)?;
    let thread = std::thread::Builder::new()
        .name("kernel-ipvs".into())
        .spawn(move || runtime.block_on(worker.run(stopped)))
        .map_err(failed)?;
    Ok(KernelPlane {
        stop: Some(stop),
        flush_on_stop: options.flush_on_stop,
        thread: Some(thread),
        problems,
        unmanaged,
    })
}
