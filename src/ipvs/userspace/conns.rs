//! The connection table of one service, and the one place where a
//! connection's state moves the ActiveConn/InActConn counters, so the two
//! always agree.
//!
//! States and how long an entry may sit in each, as IPVS keeps them:
//! SYN_SENT while the real server is being connected (inactive), ESTABLISHED
//! while both directions are open (active; dropped after the `tcp` timeout
//! idle), FIN_WAIT from the first FIN (inactive; the `tcpfin` timeout idle),
//! TIME_WAIT after both sides closed (inactive, 120 s by default), CLOSE after a failed
//! connect (inactive, 10 s), and UDP for a datagram flow (inactive; the `udp`
//! timeout idle).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::persistence::TemplateKey;
use super::threshold::Thresholds;
use crate::config::values::Seconds;
use crate::config::{LvsTimeouts, Protocol};
use crate::ipvs::model::{ConnRow, DestStats};

/// A connection's IPVS state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Connecting to the real server.
    SynSent,
    /// Both directions open.
    Established,
    /// One side has closed.
    FinWait,
    /// Both sides closed; lingering.
    TimeWait,
    /// The connect to the real server failed; lingering.
    Close,
    /// A UDP flow.
    Udp,
}

impl ConnState {
    /// The name ipvsadm prints.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::SynSent => "SYN_SENT",
            ConnState::Established => "ESTABLISHED",
            ConnState::FinWait => "FIN_WAIT",
            ConnState::TimeWait => "TIME_WAIT",
            ConnState::Close => "CLOSE",
            ConnState::Udp => "UDP",
        }
    }

    /// How long an entry may sit idle in this state.
    pub fn limit(self, timeouts: &Timeouts) -> Duration {
        match self {
            // The connect has its own timeout; the entry outlives it briefly.
            ConnState::SynSent => timeouts.connect + Duration::from_secs(1),
            ConnState::Established => timeouts.tcp,
            ConnState::FinWait => timeouts.tcp_fin,
            ConnState::TimeWait => timeouts.time_wait,
            ConnState::Close => CLOSE,
            ConnState::Udp => timeouts.udp,
        }
    }

    fn is_active(self) -> bool {
        self == ConnState::Established
    }
}

/// Connection-state timeouts (`ipvsadm --set tcp tcpfin udp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// An idle established TCP connection is dropped after this long.
    pub tcp: Duration,
    /// A half-closed TCP connection idle this long is dropped.
    pub tcp_fin: Duration,
    /// A UDP flow idle this long is forgotten.
    pub udp: Duration,
    /// A closed TCP connection stays counted (TIME_WAIT) this long.
    pub time_wait: Duration,
    /// How long a backend connect may take before the client is closed.
    pub connect: Duration,
}

impl Timeouts {
    /// These, with what the configuration sets (`lvs_timeouts`) in place
    /// of the plane's own; `tcpfin` also sets how long a closed connection
    /// stays counted (TIME_WAIT).
    pub fn with(self, set: &LvsTimeouts) -> Timeouts {
        let or = |value: Option<Seconds>, own: Duration| value.map_or(own, |s| s.0);
        Timeouts {
            tcp: or(set.tcp, self.tcp),
            tcp_fin: or(set.tcpfin, self.tcp_fin),
            time_wait: or(set.tcpfin, self.time_wait),
            udp: or(set.udp, self.udp),
            connect: self.connect,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            tcp: Duration::from_secs(900),
            tcp_fin: Duration::from_secs(120),
            udp: Duration::from_secs(300),
            time_wait: Duration::from_secs(120),
            connect: Duration::from_secs(5),
        }
    }
}

/// IPVS's fixed CLOSE linger.
pub const CLOSE: Duration = Duration::from_secs(10);

/// What a connection's task shares with the table: the last time it moved
/// data, and whether the table has dropped it.
#[derive(Debug, Default)]
pub struct Activity {
    /// Milliseconds on the plane's clock of the last data carried.
    pub last_ms: AtomicU64,
    /// Set when the table expired the connection.
    pub closed: AtomicBool,
    /// Wakes the connection's task when the table drops it.
    pub stop: Notify,
}

/// Where a new connection goes, as the table records it.
#[derive(Debug, Clone)]
pub struct Binding {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// The client.
    pub client: SocketAddr,
    /// The virtual service.
    pub virtual_address: SocketAddr,
    /// The real server.
    pub dest: SocketAddr,
    /// Its counters.
    pub stats: Arc<DestStats>,
    /// Its thresholds.
    pub thresholds: Thresholds,
    /// The persistence template it was placed through.
    pub template: Option<TemplateKey>,
}

#[derive(Debug)]
struct Conn {
    binding: Binding,
    state: ConnState,
    since_ms: u64,
    /// Shared with the connection's task while it runs; dropped once the
    /// connection only lingers.
    activity: Option<Arc<Activity>>,
}

impl Conn {
    fn idle_since(&self) -> u64 {
        let last = self
            .activity
            .as_ref()
            .map_or(0, |a| a.last_ms.load(Ordering::Relaxed));
        self.since_ms.max(last)
    }

    fn row(&self, now_ms: u64, timeouts: &Timeouts) -> ConnRow {
        let limit = self.state.limit(timeouts).as_millis() as u64;
        let left = limit.saturating_sub(now_ms.saturating_sub(self.idle_since()));
        ConnRow {
            protocol: self.binding.protocol.name().into(),
            expires_secs: left / 1000,
            state: self.state.name().into(),
            source: self.binding.client,
            virtual_address: self.binding.virtual_address,
            destination: self.binding.dest,
        }
    }
}

/// How often live connections are checked for idleness; lingering ones
/// leave through their queues on every sweep.
const LIVE_SCAN_MS: u64 = 1_000;

/// The connections of one service. Live connections (connecting,
/// established, closing, UDP) are checked for idleness once a second;
/// lingering ones (TIME_WAIT, CLOSE) wait in queues ordered by deadline, so
/// a high connection rate does not make every sweep walk them all.
#[derive(Debug, Default)]
pub struct ConnTable {
    live: HashMap<u64, Conn>,
    lingering: HashMap<u64, Conn>,
    /// (deadline, id) of TIME_WAIT entries, oldest first.
    time_wait_queue: VecDeque<(u64, u64)>,
    /// (deadline, id) of CLOSE entries, oldest first.
    close_queue: VecDeque<(u64, u64)>,
    next_id: u64,
    live_scanned_ms: u64,
}

fn count(stats: &DestStats, state: ConnState) -> &AtomicU64 {
    if state.is_active() {
        &stats.active
    } else {
        &stats.inactive
    }
}

fn total(stats: &DestStats) -> u64 {
    stats.active.load(Ordering::Relaxed) + stats.inactive.load(Ordering::Relaxed)
}

fn lingers(state: ConnState) -> bool {
    matches!(state, ConnState::TimeWait | ConnState::Close)
}

impl ConnTable {
    /// Record a new connection in `state`; counts it and applies the upper
    /// threshold. Returns its id and the activity its task updates.
    pub fn open(
        &mut self,
        binding: Binding,
        state: ConnState,
        now_ms: u64,
    ) -> (u64, Arc<Activity>) {
        let stats = &binding.stats;
        stats.conns.fetch_add(1, Ordering::Relaxed);
        count(stats, state).fetch_add(1, Ordering::Relaxed);
        let over = binding
            .thresholds
            .after_bind(stats.overloaded.load(Ordering::Relaxed), total(stats));
        stats.overloaded.store(over, Ordering::Relaxed);
        let activity = Arc::new(Activity::default());
        activity.last_ms.store(now_ms, Ordering::Relaxed);
        self.next_id += 1;
        let id = self.next_id;
        self.live.insert(
            id,
            Conn {
                binding,
                state,
                since_ms: now_ms,
                activity: Some(activity.clone()),
            },
        );
        (id, activity)
    }

    /// Move connection `id` to `state`, moving its count between ActiveConn
    /// and InActConn when that changes. Unknown ids (already expired) and
    /// lingering connections are left alone.
    pub fn set_state(&mut self, id: u64, state: ConnState, now_ms: u64, timeouts: &Timeouts) {
        let Some(conn) = self.live.get_mut(&id) else {
            return;
        };
        if conn.state.is_active() != state.is_active() {
            count(&conn.binding.stats, conn.state).fetch_sub(1, Ordering::Relaxed);
            count(&conn.binding.stats, state).fetch_add(1, Ordering::Relaxed);
        }
        conn.state = state;
        conn.since_ms = now_ms;
        if !lingers(state) {
            return;
        }
        let Some(mut conn) = self.live.remove(&id) else {
            return;
        };
        conn.activity = None;
        let deadline = now_ms + state.limit(timeouts).as_millis() as u64;
        match state {
            ConnState::TimeWait => self.time_wait_queue.push_back((deadline, id)),
            _ => self.close_queue.push_back((deadline, id)),
        }
        self.lingering.insert(id, conn);
    }

    /// Drop connections whose time in their state has run out; stop their
    /// tasks. Returns the templates of the dropped connections, which the
    /// caller releases.
    pub fn expire(&mut self, now_ms: u64, timeouts: &Timeouts) -> Vec<TemplateKey> {
        let mut released = Vec::new();
        for queue in [&mut self.time_wait_queue, &mut self.close_queue] {
            while let Some(&(deadline, id)) = queue.front() {
                if deadline > now_ms {
                    break;
                }
                queue.pop_front();
                if let Some(mut conn) = self.lingering.remove(&id) {
                    unbind(&mut conn);
                    released.extend(conn.binding.template);
                }
            }
        }
        if now_ms.saturating_sub(self.live_scanned_ms) < LIVE_SCAN_MS {
            return released;
        }
        self.live_scanned_ms = now_ms;
        self.live.retain(|_, conn| {
            let limit = conn.state.limit(timeouts).as_millis() as u64;
            if now_ms.saturating_sub(conn.idle_since()) < limit {
                return true;
            }
            unbind(conn);
            released.extend(conn.binding.template);
            false
        });
        released
    }

    /// Drop every connection to `dest` now, stopping their tasks (a forced
    /// removal). Returns their templates.
    pub fn close_all_to(&mut self, dest: SocketAddr) -> Vec<TemplateKey> {
        let mut released = Vec::new();
        for map in [&mut self.live, &mut self.lingering] {
            map.retain(|_, conn| {
                let same = conn.binding.dest == dest
                    || (dest.port() == 0 && conn.binding.dest.ip() == dest.ip());
                if !same {
                    return true;
                }
                unbind(conn);
                released.extend(conn.binding.template);
                false
            });
        }
        released
    }

    /// Rows for the connection listing.
    pub fn rows(&self, now_ms: u64, timeouts: &Timeouts) -> Vec<ConnRow> {
        self.live
            .values()
            .chain(self.lingering.values())
            .map(|conn| conn.row(now_ms, timeouts))
            .collect()
    }

    /// How many connections the table holds.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.live.len() + self.lingering.len()
    }

    /// Whether the table is empty.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn unbind(conn: &mut Conn) {
    let stats = &conn.binding.stats;
    count(stats, conn.state).fetch_sub(1, Ordering::Relaxed);
    let over = conn
        .binding
        .thresholds
        .after_unbind(stats.overloaded.load(Ordering::Relaxed), total(stats));
    stats.overloaded.store(over, Ordering::Relaxed);
    if let Some(activity) = conn.activity.take() {
        activity.closed.store(true, Ordering::Relaxed);
        activity.stop.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(stats: &Arc<DestStats>, upper: u32) -> Binding {
        Binding {
            protocol: Protocol::Tcp,
            client: "192.0.2.1:40000".parse().unwrap(),
            virtual_address: "203.0.113.10:80".parse().unwrap(),
            dest: "198.51.100.11:80".parse().unwrap(),
            stats: stats.clone(),
            thresholds: Thresholds { upper, lower: 0 },
            template: None,
        }
    }

    #[test]
    fn states_move_counts_between_active_and_inactive() {
        let stats = Arc::new(DestStats::default());
        let mut table = ConnTable::default();
        let timeouts = Timeouts::default();
        let (id, _) = table.open(binding(&stats, 0), ConnState::SynSent, 0);
        assert_eq!((stats.sample().active, stats.sample().inactive), (0, 1));
        table.set_state(id, ConnState::Established, 1, &timeouts);
        assert_eq!((stats.sample().active, stats.sample().inactive), (1, 0));
        table.set_state(id, ConnState::FinWait, 2, &timeouts);
        table.set_state(id, ConnState::TimeWait, 3, &timeouts);
        assert_eq!((stats.sample().active, stats.sample().inactive), (0, 1));
        let rows = table.rows(3, &timeouts);
        assert_eq!(
            (rows[0].state.as_str(), rows[0].expires_secs),
            ("TIME_WAIT", 120)
        );
        table.expire(3 + 119_999, &timeouts);
        assert_eq!(table.len(), 1);
        table.expire(3 + 120_000, &timeouts);
        assert!(table.is_empty());
        assert_eq!(
            stats.sample(),
            crate::ipvs::model::StatsSample {
                conns: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn an_idle_established_connection_expires_and_activity_keeps_it() {
        let stats = Arc::new(DestStats::default());
        let mut table = ConnTable::default();
        let timeouts = Timeouts {
            tcp: Duration::from_secs(10),
            ..Timeouts::default()
        };
        let (id, activity) = table.open(binding(&stats, 0), ConnState::Established, 0);
        activity.last_ms.store(9_000, Ordering::Relaxed);
        table.expire(15_000, &timeouts);
        assert_eq!(table.len(), 1);
        table.expire(19_000, &timeouts);
        assert!(table.is_empty());
        assert!(activity.closed.load(Ordering::Relaxed));
        table.set_state(id, ConnState::TimeWait, 20_000, &timeouts);
        assert_eq!(stats.sample().active, 0, "late state change is ignored");
    }

    #[test]
    fn upper_threshold_overloads_and_expiry_clears() {
        let stats = Arc::new(DestStats::default());
        let mut table = ConnTable::default();
        let timeouts = Timeouts::default();
        table.open(binding(&stats, 2), ConnState::Close, 0);
        assert!(!stats.overloaded.load(Ordering::Relaxed));
        table.open(binding(&stats, 2), ConnState::Close, 0);
        assert!(stats.overloaded.load(Ordering::Relaxed));
        table.expire(10_000, &timeouts);
        assert!(!stats.overloaded.load(Ordering::Relaxed));
    }
}
