//! Watching what VRRP instances track — interfaces, `vrrp_script`s,
//! `vrrp_track_file`s and the split-brain guard's reference address — and
//! turning it into each instance's effective priority.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::check::ping::ping;
use crate::check::rise_fall::RiseFall;
use crate::config::{Config, Tracks, VrrpInstance, VrrpScript, VrrpSyncGroup, VrrpTrackProcess};
use crate::netlink::announcements::Announcements;
use crate::script;
use crate::vrrp::priority::{effective, Effective, Tracked};

/// How often interfaces and files are looked at.
const POLL: Duration = Duration::from_millis(100);
/// With link or file announcements, how often interfaces and files are
/// re-read anyway.
const LINK_RECHECK: Duration = Duration::from_secs(5);

/// A change in something tracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackEvent {
    /// An interface went up or down.
    Interface {
        /// Interface name.
        name: String,
        /// Running or not.
        up: bool,
    },
    /// A script's verdict changed (after rise/fall).
    Script {
        /// `vrrp_script` name.
        name: String,
        /// Succeeding or not.
        ok: bool,
    },
    /// A tracked file's number changed.
    File {
        /// `vrrp_track_file` name.
        name: String,
        /// The number now in it (0 when unreadable).
        value: i64,
    },
    /// An instance's reference address answered or stopped answering.
    Reference {
        /// The instance's name.
        instance: String,
        /// Answering or not.
        ok: bool,
    },
    /// A tracked process's verdict changed (quorum, `reverse`, delays).
    Process {
        /// `vrrp_track_process` name.
        name: String,
        /// Counts as up.
        ok: bool,
    },
    /// A watched virtual address appeared on this host or left it.
    Address {
        /// The address.
        address: IpAddr,
        /// On one of this host's interfaces or not.
        present: bool,
    },
}

/// The last known state of everything tracked.
#[derive(Debug, Clone, Default)]
pub struct TrackState {
    interfaces: HashMap<String, bool>,
    scripts: HashMap<String, bool>,
    files: HashMap<String, i64>,
    processes: HashMap<String, bool>,
}

impl TrackState {
    /// Forget what a script or process watcher reported (its definition
    /// changed, or it is gone): until its new watcher reports, it counts
    /// as at start.
    pub fn forget(&mut self, monitor: &Monitor) {
        match monitor {
            Monitor::Script(script) => {
                self.scripts.remove(&script.name);
            }
            Monitor::Process(process) => {
                self.processes.remove(&process.name);
            }
            _ => {}
        }
    }

    /// Take one event; returns whether anything changed.
    pub fn update(&mut self, event: &TrackEvent) -> bool {
        match event {
            TrackEvent::Interface { name, up } => {
                self.interfaces.insert(name.clone(), *up) != Some(*up)
            }
            TrackEvent::Script { name, ok } => self.scripts.insert(name.clone(), *ok) != Some(*ok),
            TrackEvent::File { name, value } => {
                self.files.insert(name.clone(), *value) != Some(*value)
            }
            TrackEvent::Process { name, ok } => {
                self.processes.insert(name.clone(), *ok) != Some(*ok)
            }
            TrackEvent::Reference { .. } | TrackEvent::Address { .. } => false,
        }
    }

    /// The effective priority of `instance` now. Unknown objects count as
    /// healthy (interfaces up, scripts ok unless `init_fail`, files 0), as
    /// keepalived starts them.
    pub fn effective(&self, config: &Config, instance: &VrrpInstance) -> Effective {
        let mut tracked = Vec::new();
        if tracks_primary(instance) {
            tracked.push(Tracked::Interface {
                name: instance.interface.clone(),
                up: *self.interfaces.get(&instance.interface).unwrap_or(&true),
                weight: 0,
            });
        }
        // A sync group's tracking counts for each member as its own does.
        let group = config
            .vrrp_sync_groups
            .iter()
            .find(|g| g.group.contains(&instance.name));
        for tracks in std::iter::once(instance.tracks()).chain(group.map(|g| g.tracks())) {
            self.push_tracked(config, tracks, &mut tracked);
        }
        effective(instance.priority.0, &tracked)
    }

    /// The state of each object in `tracks`, onto `tracked`.
    fn push_tracked(&self, config: &Config, tracks: Tracks<'_>, tracked: &mut Vec<Tracked>) {
        for track in tracks.interfaces {
            tracked.push(Tracked::Interface {
                name: track.name.clone(),
                up: *self.interfaces.get(&track.name).unwrap_or(&true),
                weight: track.weight,
            });
        }
        for track in tracks.scripts {
            let declared = config.vrrp_scripts.iter().find(|s| s.name == track.name);
            tracked.push(Tracked::Script {
                name: track.name.clone(),
                ok: self
                    .scripts
                    .get(&track.name)
                    .copied()
                    .unwrap_or(!declared.is_some_and(|s| s.init_fail)),
                weight: track.weight.or(declared.map(|s| s.weight)).unwrap_or(0),
            });
        }
        for track in tracks.files {
            let declared = config
                .vrrp_track_files
                .iter()
                .find(|f| f.name == track.name);
            tracked.push(Tracked::File {
                name: track.name.clone(),
                value: *self.files.get(&track.name).unwrap_or(&0),
                weight: track.weight.or(declared.map(|f| f.weight)).unwrap_or(1),
            });
        }
        for track in tracks.processes {
            let declared = config
                .vrrp_track_processes
                .iter()
                .find(|p| p.name == track.name);
            tracked.push(Tracked::Process {
                name: track.name.clone(),
                ok: *self.processes.get(&track.name).unwrap_or(&true),
                weight: track.weight.or(declared.map(|p| p.weight)).unwrap_or(1),
            });
        }
    }
}

/// Whether the instance's own interface faults it while down, as
/// keepalived does unless `dont_track_primary`, or unless `track_interface`
/// lists it (its weight then governs).
fn tracks_primary(instance: &VrrpInstance) -> bool {
    !instance.dont_track_primary
        && !instance
            .track_interface
            .iter()
            .any(|t| t.name == instance.interface)
}

/// Whether an interface is running (operstate up, or unknown for links
/// without carrier reporting such as loopback).
pub fn interface_up(name: &str) -> bool {
    match std::fs::read_to_string(format!("/sys/class/net/{name}/operstate")) {
        Ok(state) => matches!(state.trim(), "up" | "unknown"),
        Err(_) => false,
    }
}

/// The number a tracked file holds; 0 when it is missing or not a number.
pub fn file_value(path: &str) -> i64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|w| w.parse().ok()))
        .unwrap_or(0)
}

/// One watcher of tracked objects, as configured; two equal specs watch
/// the same thing the same way.
#[derive(Debug, Clone, PartialEq)]
pub enum Monitor {
    /// The tracked interfaces.
    Links(Vec<String>),
    /// The tracked files: (name, path).
    Files(Vec<(String, String)>),
    /// One tracked `vrrp_script`.
    Script(VrrpScript),
    /// An instance's split-brain reference address.
    Reference {
        /// The instance's name.
        instance: String,
        /// The address pinged.
        address: IpAddr,
        /// How often.
        every: Duration,
    },
    /// The addresses of `ha_suspend` services: on this host or not.
    Addresses(Vec<IpAddr>),
    /// One tracked `vrrp_track_process`.
    Process(VrrpTrackProcess),
}

/// What every instance and sync group tracks.
fn all_tracks(config: &Config) -> impl Iterator<Item = Tracks<'_>> {
    let instances = config.vrrp_instances.iter().map(VrrpInstance::tracks);
    instances.chain(config.vrrp_sync_groups.iter().map(VrrpSyncGroup::tracks))
}

/// Every watcher `config`'s instances need, each under a name that stays
/// the same across reloads ("links", "files", "script NAME", "addresses",
/// "process NAME", "reference INSTANCE").
pub fn monitors(config: &Config) -> Vec<(String, Monitor)> {
    let mut monitors = Vec::new();
    let primaries = config
        .vrrp_instances
        .iter()
        .filter(|i| tracks_primary(i))
        .map(|i| i.interface.clone());
    let mut interfaces: Vec<String> = all_tracks(config)
        .flat_map(|t| t.interfaces.iter().map(|i| i.name.clone()))
        .chain(primaries)
        .collect();
    interfaces.sort();
    interfaces.dedup();
    let files: Vec<(String, String)> = config
        .vrrp_track_files
        .iter()
        .filter(|f| all_tracks(config).any(|t| t.files.iter().any(|r| r.name == f.name)))
        .map(|f| (f.name.clone(), f.file.clone()))
        .collect();
    if !interfaces.is_empty() {
        monitors.push(("links".to_string(), Monitor::Links(interfaces)));
    }
    if !files.is_empty() {
        monitors.push(("files".to_string(), Monitor::Files(files)));
    }
    for script in &config.vrrp_scripts {
        if all_tracks(config).any(|t| t.scripts.iter().any(|r| r.name == script.name)) {
            monitors.push((
                format!("script {}", script.name),
                Monitor::Script(script.clone()),
            ));
        }
    }
    let mut suspending: Vec<IpAddr> = config
        .virtual_servers
        .iter()
        .filter(|s| s.ha_suspend)
        .map(|s| s.address)
        .collect();
    suspending.sort();
    suspending.dedup();
    if !suspending.is_empty() {
        monitors.push(("addresses".to_string(), Monitor::Addresses(suspending)));
    }
    for process in &config.vrrp_track_processes {
        if all_tracks(config).any(|t| t.processes.iter().any(|r| r.name == process.name)) {
            monitors.push((
                format!("process {}", process.name),
                Monitor::Process(process.clone()),
            ));
        }
    }
    for instance in &config.vrrp_instances {
        if let Some(address) = instance.check_reference {
            monitors.push((
                format!("reference {}", instance.name),
                Monitor::Reference {
                    instance: instance.name.clone(),
                    address,
                    every: instance.advert_int.0.max(Duration::from_millis(100)),
                },
            ));
        }
    }
    monitors
}

/// Start watching what `monitor` names, reporting to `events`.
pub fn spawn(monitor: Monitor, events: mpsc::Sender<TrackEvent>) -> JoinHandle<()> {
    match monitor {
        Monitor::Links(interfaces) => tokio::spawn(watch_links(interfaces, events)),
        Monitor::Files(files) => tokio::spawn(watch_files(files, events)),
        Monitor::Script(script) => tokio::spawn(run_script(script, events)),
        Monitor::Reference {
            instance,
            address,
            every,
        } => tokio::spawn(watch_reference(instance, address, every, events)),
        Monitor::Addresses(addresses) => tokio::spawn(watch_addresses(addresses, events)),
        Monitor::Process(process) => tokio::spawn(super::process_watch::watch(process, events)),
    }
}

/// Wait for the next reason to look again: an announcement from `changed`
/// (or `LINK_RECHECK` without one); without announcements at all, `POLL`.
async fn next_look(
    changed: Option<impl std::future::Future<Output = std::io::Result<()>>>,
    what: &str,
) {
    let Some(changed) = changed else {
        return tokio::time::sleep(POLL).await;
    };
    tokio::select! {
        result = changed => {
            if let Err(e) = result {
                crate::log::warn(None, &format!("{what} failed: {e}"));
                tokio::time::sleep(POLL).await;
            }
        }
        () = tokio::time::sleep(LINK_RECHECK) => {}
    }
}

/// Report each tracked interface's state at start and whenever the kernel
/// announces a link change.
async fn watch_links(interfaces: Vec<String>, events: mpsc::Sender<TrackEvent>) {
    let subscription = Announcements::links();
    let look = |names: &[String]| names.iter().map(|n| interface_up(n)).collect();
    let event = |name, up| TrackEvent::Interface { name, up };
    watch_states(interfaces, (subscription, "link"), look, event, events).await;
}

/// Report whether each of `addresses` is on this host at start and
/// whenever the kernel announces an address change.
async fn watch_addresses(addresses: Vec<IpAddr>, events: mpsc::Sender<TrackEvent>) {
    let subscription = Announcements::addresses();
    let look = |addresses: &[IpAddr]| {
        let local = crate::netlink::link::local_addresses();
        addresses.iter().map(|a| local.contains(a)).collect()
    };
    let event = |address, present| TrackEvent::Address { address, present };
    watch_states(addresses, (subscription, "address"), look, event, events).await;
}

/// Report each key's state (from `look`) at start and whenever it changes,
/// looking again at each announcement (and slowly without one, in case
/// announcements are lost). Without the subscription (`kind` names it in
/// the warning), polls every 100 ms.
async fn watch_states<K: Clone + Eq + std::hash::Hash>(
    keys: Vec<K>,
    (subscription, kind): (std::io::Result<Announcements>, &str),
    look: impl Fn(&[K]) -> Vec<bool>,
    event: impl Fn(K, bool) -> TrackEvent,
    events: mpsc::Sender<TrackEvent>,
) {
    let subscription = subscription
        .map_err(|e| crate::log::warn(None, &format!("no {kind} announcements ({e}); polling")))
        .ok();
    let mut last: HashMap<K, bool> = HashMap::new();
    loop {
        for (key, state) in keys.iter().zip(look(&keys)) {
            if last.insert(key.clone(), state) != Some(state)
                && events.send(event(key.clone(), state)).await.is_err()
            {
                return;
            }
        }
        let what = format!("{kind} announcements");
        next_look(subscription.as_ref().map(|a| a.changed()), &what).await;
    }
}

/// Report each tracked file's number at start and whenever inotify says
/// its directory changed (with a slow re-read in case of a missed event).
/// Without inotify, polls every 100 ms and says so.
async fn watch_files(files: Vec<(String, String)>, events: mpsc::Sender<TrackEvent>) {
    let watch = match super::file_events::FileEvents::watch(files.iter().map(|(_, p)| p.as_str())) {
        Ok(watch) => Some(watch),
        Err(e) => {
            crate::log::warn(
                None,
                &format!("cannot watch tracked files ({e}); polling them"),
            );
            None
        }
    };
    let mut last_value: HashMap<String, i64> = HashMap::new();
    loop {
        for (name, path) in &files {
            let value = file_value(path);
            if last_value.insert(name.clone(), value) != Some(value)
                && events
                    .send(TrackEvent::File {
                        name: name.clone(),
                        value,
                    })
                    .await
                    .is_err()
            {
                return;
            }
        }
        next_look(watch.as_ref().map(|w| w.changed()), "tracked-file events").await;
    }
}

async fn run_script(script: VrrpScript, events: mpsc::Sender<TrackEvent>) {
    // Ok at start, as keepalived starts scripts, or failed (`init_fail`).
    let mut verdict = RiseFall::new(script.rise, script.fall, Some(!script.init_fail));
    let timeout = script
        .timeout
        .unwrap_or(script.interval)
        .0
        .max(Duration::from_millis(10));
    loop {
        let outcome = script::run(&script.script, &[], timeout).await;
        if let Some(ok) = verdict.observe(outcome.success()) {
            if events
                .send(TrackEvent::Script {
                    name: script.name.clone(),
                    ok,
                })
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::time::sleep(script.interval.0.max(Duration::from_millis(10))).await;
    }
}

async fn watch_reference(
    instance: String,
    reference: IpAddr,
    every: Duration,
    events: mpsc::Sender<TrackEvent>,
) {
    let mut last = None;
    loop {
        let ok = ping(reference, None, every).await.is_ok();
        if last != Some(ok) {
            last = Some(ok);
            if events
                .send(TrackEvent::Reference {
                    instance: instance.clone(),
                    ok,
                })
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_init_fail_script_starts_failed_until_it_rises() {
        let text = "vrrp_script chk_up {\n  script \"/bin/true\"\n  weight -20\n  init_fail\n}\nvrrp_script chk_ok {\n  script \"/bin/true\"\n  weight -5\n}\nvrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 51\n  priority 150\n  virtual_ipaddress {\n    192.0.2.50\n  }\n  track_script {\n    chk_up\n    chk_ok\n  }\n}\n";
        let (config, diagnostics) = crate::config::keepalived::load_str("k.conf", text);
        let config = config.unwrap_or_else(|| panic!("{diagnostics:?}"));
        let instance = &config.vrrp_instances[0];
        let mut track = TrackState::default();
        assert_eq!(
            track.effective(&config, instance).priority,
            130,
            "chk_up counts as failed before its first report; chk_ok as ok"
        );
        let up = TrackEvent::Script {
            name: "chk_up".into(),
            ok: true,
        };
        assert!(track.update(&up));
        assert_eq!(track.effective(&config, instance).priority, 150);
    }

    #[test]
    fn the_primary_interface_faults_unless_told_otherwise() {
        let instance = |name: &str, vrid: u8, extra: &str| {
            format!("vrrp_instance {name} {{\n  interface eth9\n  virtual_router_id {vrid}\n  priority 150\n  virtual_ipaddress {{\n    192.0.2.{vrid}\n  }}\n{extra}}}\n")
        };
        let text = [
            instance("PLAIN", 51, ""),
            instance("CROSS", 52, "  dont_track_primary\n"),
            instance(
                "WEIGHED",
                53,
                "  track_interface {\n    eth9 weight -30\n  }\n",
            ),
        ]
        .concat();
        let (config, diagnostics) = crate::config::keepalived::load_str("k.conf", &text);
        let config = config.unwrap_or_else(|| panic!("{diagnostics:?}"));
        assert_eq!(
            monitors(&config),
            [("links".to_string(), Monitor::Links(vec!["eth9".into()]))]
        );
        let mut track = TrackState::default();
        let seen = |track: &TrackState| priorities(&config, track);
        assert_eq!(seen(&track), [(150, false); 3]);
        let down = TrackEvent::Interface {
            name: "eth9".into(),
            up: false,
        };
        assert!(track.update(&down));
        assert_eq!(seen(&track), [(150, true), (150, false), (120, false)]);
    }

    /// Each instance's (effective priority, fault) under `track`.
    fn priorities(config: &Config, track: &TrackState) -> Vec<(u8, bool)> {
        config
            .vrrp_instances
            .iter()
            .map(|i| {
                let e = track.effective(config, i);
                (e.priority, e.fault)
            })
            .collect()
    }

    #[test]
    fn a_sync_groups_tracking_counts_for_every_member() {
        let instance = |name: &str, vrid: u8| {
            format!("vrrp_instance {name} {{\n  interface lo\n  virtual_router_id {vrid}\n  priority 150\n  virtual_ipaddress {{\n    192.0.2.{vrid}\n  }}\n}}\n")
        };
        let text = [
            "vrrp_track_file maint {\n  file /run/director-test-maint\n  weight 0\n}\n".to_string(),
            instance("VI_1", 51),
            instance("VI_2", 52),
            instance("LONE", 53),
            "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n  track_file {\n    maint\n  }\n  track_interface {\n    eth7 weight -30\n  }\n}\n".to_string(),
        ]
        .concat();
        let (config, diagnostics) = crate::config::keepalived::load_str("k.conf", &text);
        let config = config.unwrap_or_else(|| panic!("{diagnostics:?}"));
        let names: Vec<String> = monitors(&config).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["links", "files"]);
        let mut track = TrackState::default();
        let seen = |track: &TrackState| priorities(&config, track);
        track.update(&TrackEvent::Interface {
            name: "eth7".into(),
            up: false,
        });
        assert_eq!(seen(&track), [(120, false), (120, false), (150, false)]);
        track.update(&TrackEvent::File {
            name: "maint".into(),
            value: 1,
        });
        assert_eq!(seen(&track), [(120, true), (120, true), (150, false)]);
    }

    #[test]
    fn file_values_and_missing_files() {
        let path = std::env::temp_dir().join(format!("director-track-{}", std::process::id()));
        std::fs::write(&path, " -3\n").unwrap();
        assert_eq!(file_value(path.to_str().unwrap()), -3);
        std::fs::write(&path, "junk").unwrap();
        assert_eq!(file_value(path.to_str().unwrap()), 0);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(file_value(path.to_str().unwrap()), 0);
    }

    #[test]
    fn loopback_is_up_and_missing_interfaces_are_down() {
        assert!(interface_up("lo"));
        assert!(!interface_up("nosuchif0"));
    }
}
