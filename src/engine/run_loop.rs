//! The engine loop: the one owner of `EngineState`. It feeds the state
//! inputs from clients, sockets, timers, checks and trackers, carries out
//! what it decides, and publishes snapshots.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::check_specs::server_specs;
use super::command::{Answer, Command, Request};
use super::handle::Envelope;
use super::journal::EventKind;
use super::notify::Notifier;
use super::overrides::{overrides, StateFile};
use super::state::EngineState;
use super::tracking::{Monitor, TrackEvent, TrackState};
use super::vrrp_shell::{ShellReport, ShellReports, VrrpShell};
use super::Snapshot;
use crate::check::reports::{ReportReceiver, ReportSender};
use crate::check::runner::{self, CheckReport};
use crate::config::Config;
use crate::ids::{CheckerRun, ServerId};
use crate::ipvs::model::DataPlane;
use crate::ipvs::table::PlaneTable;
use crate::netlink::address::Addresses;
use crate::vrrp::instance::Input;
use crate::vrrp::pacer::PacerEvent;

/// How often rates are sampled and, while someone watches live, a snapshot
/// is published without other cause; also how long counters alone (adverts
/// sent and received, drops) may wait to be published to a live watcher.
const PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// Everything that feeds the engine.
pub struct Inputs {
    /// Client commands.
    pub commands: mpsc::Receiver<Envelope>,
    /// VRRP packets and advert send failures, tagged with their
    /// instance's shell key.
    pub packets: mpsc::Receiver<(u64, ShellReport)>,
    /// Health-check results.
    pub checks: ReportReceiver,
    /// Tracked-object changes.
    pub tracking: mpsc::Receiver<TrackEvent>,
    /// Graceful stop.
    pub stop: oneshot::Receiver<()>,
}

/// The engine's state and the shells it drives.
pub struct Engine {
    /// The configuration it runs.
    pub config: Config,
    /// All runtime state.
    pub state: EngineState,
    /// One per VRRP instance.
    pub shells: Vec<VrrpShell>,
    /// Route netlink, for the addresses.
    pub addresses: Addresses,
    /// Where state changes are announced.
    pub notifier: Notifier,
    /// What tracking last reported.
    pub track: TrackState,
    /// The (priority, fault) last given to each instance's state machine.
    pub applied: Vec<Option<(u8, bool)>>,
    /// The data-plane table.
    pub table: watch::Sender<Arc<PlaneTable>>,
    /// The running data plane.
    pub plane: Box<dyn DataPlane>,
    /// Published snapshots.
    pub snapshots: watch::Sender<Option<Arc<Snapshot>>>,
    /// Who watches the snapshots live: counters alone are published only
    /// while someone does.
    pub live: super::live::LiveWatchers,
    /// Where checkers report.
    pub check_reports: ReportSender,
    /// The buffer the check reports are taken into, kept between turns.
    pub check_batch: Vec<CheckReport>,
    /// The running checkers of each (service, server).
    pub checkers: HashMap<ServerId, Vec<JoinHandle<()>>>,
    /// The threads the checkers run on (one per core), so that ten
    /// thousand checks a second never queue behind the engine loop.
    pub check_threads: crate::workers::Workers,
    /// The thread the next checker goes to (round robin).
    pub next_check_thread: usize,
    /// The check threads could not be started (journaled once); checkers
    /// run on the engine's thread instead.
    pub check_threads_failed: bool,
    /// Where tracking watchers report.
    pub track_events: mpsc::Sender<TrackEvent>,
    /// The running tracking watchers, by their stable names.
    pub monitors: Vec<(String, Monitor, JoinHandle<()>)>,
    /// Where VRRP receive tasks hand packets, and pacers their failures.
    pub packet_sender: ShellReports,
    /// The key the next new shell's packets are tagged with.
    pub next_key: u64,
    /// The nftables rules of instances with accept mode off.
    pub accept_rules: super::accept_mode::AcceptRules,
    /// The least time between announcements on one interface, shared by
    /// every instance's shell.
    pub garp_spacing: Arc<super::garp_spacing::Spacing>,
    /// When the VRRP instances start, while `startup_delay` holds them.
    pub startup_at: Option<std::time::Instant>,
    /// Where operator overrides are kept across restarts.
    pub state_file: Option<StateFile>,
    /// Whether the state file's overrides have been replayed: until then
    /// the file is not written.
    pub overrides_restored: bool,
    /// The configuration file, for reloads.
    pub config_path: Option<PathBuf>,
}

impl Engine {
    /// Run until stopped, then shut every instance down and stop every
    /// checker and watcher.
    pub async fn run(mut self, mut inputs: Inputs) {
        self.stamp();
        let node = self.state.node.clone();
        self.state
            .journal
            .record(EventKind::Engine, format!("engine started on {node}"));
        for id in self.state.server_ids() {
            self.start_checkers(id);
        }
        for line in super::track_files::initialise(&self.config.vrrp_track_files) {
            self.state.journal.record(EventKind::Engine, line);
        }
        self.reconcile_monitors();
        // The services' quorums start from the configured table, silently.
        self.state.refresh_quorums();
        let now = self.state.now().at;
        self.apply_tracking(now);
        let delay = self.config.global.startup_delay;
        if delay.is_zero() {
            self.start_instances(now);
        } else if !self.shells.is_empty() {
            self.startup_at = Some(now + delay.0);
            self.state.journal.record(
                EventKind::Engine,
                format!("VRRP instances start in {delay} s (startup_delay)"),
            );
        }
        self.restore_overrides();
        let mut publish = tokio::time::interval(PUBLISH_EVERY);
        publish.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Counters that changed without an event to journal (an advert sent
        // or received) wait for the next publish, at most PUBLISH_EVERY
        // later, while someone watches live: a backup at 10 ms adverts does
        // not build a snapshot per packet, and with nobody watching an idle
        // master builds none at all (a command publishes fresh counters).
        let mut stale = false;
        let mut timer = super::deadline::Deadline::new();
        let (mut reloads, mut reads) = super::reload_shell::Reloads::new();
        self.publish();
        loop {
            // Without virtual services (a reload may add or remove them)
            // nothing changes between events, so there is no periodic
            // wake-up, only the one that publishes stale counters.
            let periodic = !self.state.services.is_empty();
            // A pacer's adverts count without waking the engine: while
            // someone watches live, they are published as other counters.
            let paced = self.live.any()
                && self
                    .state
                    .instances
                    .iter()
                    .any(|i| i.fsm.advert_schedule().is_some());
            let deadline = self
                .state
                .instances
                .iter()
                .filter_map(|i| i.fsm.next_deadline())
                .chain(self.startup_at)
                .min();
            // What clients see at once: commands, transitions, health flips.
            // Counters and rates wait for the next periodic publish.
            let events_before = self.state.journal.recorded();
            tokio::select! {
                Some((request, reply)) = inputs.commands.recv() => {
                    self.stamp();
                    // What the answer and the snapshot show includes every
                    // check that has finished.
                    self.take_check_reports(&inputs.checks);
                    if request.command == Command::Reload {
                        self.ask_reload(&mut reloads, request.origin, reply);
                        continue;
                    }
                    if request.command == Command::Connections {
                        // Read (the kernel's from /proc) and written as
                        // JSON off the engine task: ten thousand rows take
                        // milliseconds the engine does not wait for.
                        let reading = self.plane.connections();
                        tokio::task::spawn_blocking(move || {
                            let _ = reply.send(reading().map(Answer::Connections));
                        });
                        continue;
                    }
                    let (mut answer, effects) = self.state.apply(&request, self.state.now().at);
                    if effects.table_changed {
                        self.push_table();
                    }
                    if let Some((service, protocol, dest)) = effects.close {
                        if let Err(note) = self.plane.close_connections(service, protocol, dest) {
                            answer = answer.map(|text| Answer::Done(format!("{text} ({note})")));
                        }
                    }
                    self.restart_checks(&effects);
                    if let Some((index, actions)) = effects.vrrp {
                        self.carry_out(index, actions);
                    }
                    if answer.is_ok() && !request.command.is_read_only() {
                        self.keep_overrides();
                    }
                    self.publish();
                    let _ = reply.send(answer);
                }
                Some((key, received)) = inputs.packets.recv() => {
                    self.stamp();
                    self.on_packet_from(key, received);
                }
                Some(read) = reads.recv() => {
                    self.stamp();
                    // It publishes before it answers.
                    self.finish_reload(&mut reloads, read);
                    continue;
                }
                () = inputs.checks.urgent() => {
                    self.stamp();
                    self.take_check_reports(&inputs.checks);
                }
                Some(event) = inputs.tracking.recv() => {
                    self.stamp();
                    self.on_tracking(event);
                }
                () = timer.until(deadline) => {
                    self.stamp();
                    let now = self.state.now().at;
                    if self.startup_at.is_some_and(|at| at <= now) {
                        self.startup_at = None;
                        self.state
                            .journal
                            .record(EventKind::Engine, "VRRP instances start (startup_delay over)".into());
                        self.start_instances(now);
                    }
                    for index in 0..self.shells.len() {
                        self.feed(index, Input::Tick, now);
                    }
                }
                _ = publish.tick(), if periodic || stale || paced => {
                    self.stamp();
                    self.take_check_reports(&inputs.checks);
                    if periodic {
                        self.state.sample_rates(self.state.now().at);
                    }
                    // A health change taken here (its wake-up still on the
                    // way) is published as any other event.
                    if self.live.any() || self.state.journal.recorded() != events_before {
                        self.publish();
                    }
                    stale = false;
                    continue;
                }
                _ = &mut inputs.stop => break,
            }
            if self.state.journal.recorded() != events_before {
                self.publish();
                stale = false;
            } else {
                stale = !periodic && self.live.any();
            }
        }
        self.stamp();
        self.hand_over(&mut inputs).await;
        self.stamp();
        let now = self.state.now().at;
        for index in 0..self.shells.len() {
            self.feed(index, Input::Shutdown, now);
        }
        // omega: a service that had its quorum says it is gone.
        for line in self.state.omega_scripts() {
            self.notifier.script_now(&line).await;
        }
        self.notifier.finish().await;
        self.state
            .journal
            .record(EventKind::Engine, "engine stopped".into());
        self.publish();
        for task in self.checkers.values().flatten() {
            task.abort();
        }
        for (_, _, task) in &self.monitors {
            task.abort();
        }
    }

    /// A stopping master hands over hitlessly, as an operator failover
    /// does: it advertises priority 0 but keeps its addresses until the new
    /// master's first advert (at most Master_Down_Interval), so no packet
    /// to a VIP finds nobody holding it.
    async fn hand_over(&mut self, inputs: &mut Inputs) {
        let now = self.state.now().at;
        let mut longest = Duration::ZERO;
        for index in 0..self.shells.len() {
            let fsm = &mut self.state.instances[index].fsm;
            if fsm.state() != crate::vrrp::instance::State::Master {
                continue;
            }
            longest = longest.max(fsm.master_down_interval());
            if let Ok(actions) = fsm.hand_over_on_shutdown(now) {
                self.carry_out(index, actions);
            }
        }
        if longest.is_zero() {
            return;
        }
        let deadline = Instant::now() + longest;
        while self.state.instances.iter().any(|i| i.fsm.releasing()) {
            tokio::select! {
                Some((key, received)) = inputs.packets.recv() => {
                    self.stamp();
                    self.on_packet_from(key, received);
                }
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
    }

    /// Replay the overrides the state file keeps, journaling what could not
    /// be replayed (a server or service the configuration no longer has).
    fn restore_overrides(&mut self) {
        self.overrides_restored = true;
        let Some(file) = &self.state_file else {
            return;
        };
        let path = file.path().display().to_string();
        let commands = match file.load() {
            Ok(commands) => commands,
            Err(why) => {
                self.state.journal.record(EventKind::Engine, why);
                return;
            }
        };
        if commands.is_empty() {
            return;
        }
        let now = self.state.now().at;
        let (mut kept, mut dropped) = (0, Vec::new());
        for command in commands {
            let request = Request {
                command,
                origin: format!("state file {path}"),
            };
            let (answer, effects) = self.state.apply(&request, now);
            match answer {
                Ok(_) => kept += 1,
                Err(why) => dropped.push(why),
            }
            self.restart_checks(&effects);
        }
        self.push_table();
        let mut text = format!("restored {kept} operator override(s) from {path}");
        if !dropped.is_empty() {
            text.push_str(&format!(
                "; dropped {}: {}",
                dropped.len(),
                dropped.join("; ")
            ));
        }
        self.state.journal.record(EventKind::Engine, text);
        self.keep_overrides();
    }

    /// Write the current overrides to the state file, if there is one.
    pub(super) fn keep_overrides(&mut self) {
        let Some(file) = &self.state_file else {
            return;
        };
        if let Err(e) = file.save(&overrides(&self.state)) {
            let text = format!("cannot keep overrides in {}: {e}", file.path().display());
            self.state.journal.record(EventKind::Engine, text);
        }
    }

    /// Start every VRRP instance's state machine.
    fn start_instances(&mut self, now: std::time::Instant) {
        for index in 0..self.shells.len() {
            self.feed(index, Input::Startup, now);
        }
    }

    /// Start (or start again) the checkers of real server `id`.
    /// Nothing starts while the service's checks are suspended (`ha_suspend`).
    pub(super) fn start_checkers(&mut self, id: ServerId) {
        self.stop_checkers(id);
        let Some((service, server)) = self.state.locate(id) else {
            return;
        };
        let vs = &self.state.services[service];
        if vs.checks_suspended {
            return;
        }
        let real = &vs.servers[server];
        let specs = server_specs(
            &self.config.vrrp_track_files,
            &vs.config,
            &real.config,
            |slot| real.checker(slot),
        );
        let mut tasks = Vec::with_capacity(specs.len());
        for spec in specs {
            // Round robin over the check threads: the engine's own thread
            // only takes their reports.
            let thread = self.next_check_thread;
            self.next_check_thread = self.next_check_thread.wrapping_add(1);
            let probes = runner::probe_loop(spec, self.check_reports.clone());
            let task = match self.check_threads.runtime(thread) {
                Ok(runtime) => runtime.spawn(probes),
                Err(e) => {
                    if !std::mem::replace(&mut self.check_threads_failed, true) {
                        let text = format!(
                            "cannot start the check threads: {e}; checks run on the engine's thread"
                        );
                        self.state.journal.record(EventKind::Engine, text);
                    }
                    tokio::spawn(probes)
                }
            };
            tasks.push(task);
        }
        self.checkers.insert(id, tasks);
    }

    /// Stop the checkers of real server `id`. A new run begins with it:
    /// whatever the stopped checkers left queued is stale from here,
    /// whether or not new ones start.
    pub(super) fn stop_checkers(&mut self, id: ServerId) {
        if let Some((service, server)) = self.state.locate(id) {
            self.state.services[service].servers[server].checkers_run = CheckerRun::fresh();
        }
        for task in self.checkers.remove(&id).into_iter().flatten() {
            task.abort();
        }
    }

    /// Stop and start the checkers a command's effects name.
    pub(super) fn restart_checks(&mut self, effects: &super::operator::Effects) {
        if let Some(id) = effects.stop_checks {
            self.stop_checkers(id);
        }
        if let Some(id) = effects.start_checks {
            self.start_checkers(id);
        }
    }

    /// Take every queued check report, in order, then push the table (and
    /// publish) once: thousands of checkers finishing together cost one
    /// table, not one each.
    fn take_check_reports(&mut self, checks: &ReportReceiver) {
        let mut batch = std::mem::take(&mut self.check_batch);
        checks.take(&mut batch);
        let mut changed = false;
        for report in batch.drain(..) {
            changed |= self.state.on_check(report);
        }
        self.check_batch = batch;
        if changed {
            self.push_table();
        }
    }

    /// A report from the shell tagged `key`; one from a shell a reload
    /// replaced is dropped.
    fn on_packet_from(&mut self, key: u64, report: ShellReport) {
        let Some(index) = self.shells.iter().position(|s| s.key == key) else {
            return;
        };
        let event = match report {
            ShellReport::Packet(received) => return self.on_packet(index, received),
            ShellReport::Pacer(PacerEvent::Failing(e)) => format!(
                "send advert: {e} (periodic adverts keep trying; failures are not logged \
                 again until one is sent)"
            ),
            ShellReport::Pacer(PacerEvent::Recovered { failures }) => {
                format!("adverts are sent again after {failures} failed")
            }
        };
        let name = &self.state.instances[index].config.name;
        self.state
            .journal
            .record(EventKind::Engine, format!("{name}: {event}"));
    }

    /// Push the current table to the data plane.
    pub fn push_table(&mut self) {
        self.state.refresh_quorums();
        for line in self.state.take_scripts() {
            self.notifier.script(line);
        }
        self.table.send_replace(Arc::new(self.state.plane_table()));
    }

    /// Read the clocks once for the input about to be handled: the state
    /// (and its journal) take their time from here.
    fn stamp(&mut self) {
        self.state.set_clock(super::clock::Now::read());
    }

    /// Log what the state journaled since the last time, as the shell's
    /// one voice on stderr (the journal itself writes nothing).
    fn log_journal(&mut self) {
        for event in self.state.journal.take_unlogged() {
            let kind = format!("{:?}", event.kind).to_lowercase();
            crate::log::emit(Some(&kind), &event.text);
        }
    }

    pub(super) fn publish(&mut self) {
        for (shell, vr) in self.shells.iter().zip(&mut self.state.instances) {
            vr.adverts_sent += shell.take_paced_adverts();
        }
        let mut snapshot = self.state.snapshot();
        for problem in self.plane.take_problems() {
            let text = format!("{} plane refused: {problem}", self.plane.kind());
            self.state.journal.record(EventKind::Engine, text);
        }
        snapshot.unmanaged = self.plane.unmanaged();
        self.log_journal();
        self.snapshots.send_replace(Some(Arc::new(snapshot)));
    }
}
