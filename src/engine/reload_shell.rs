//! Carrying out a reload: re-read the file off the engine task (a large
//! keepalived.conf with includes takes a while to read and parse, and the
//! engine keeps serving meanwhile), plan it (`reload::plan`), make ready
//! everything that can fail (sockets of new and restarted instances, the
//! addresses of changed ones, the data plane's new sockets), and only then
//! change the running engine. A reload that cannot be made ready is
//! refused whole and nothing changes. Reloads asked for while a file is
//! being read wait and are served together by one more read, so a burst
//! of SIGHUPs ends on the file as it was last written.

use tokio::sync::{mpsc, oneshot};

use super::command::{Answer, Reply};
use super::journal::EventKind;
use super::reload::{self, InstanceStep, Plan, ServiceStep};
use super::run_loop::Engine;
use super::state::{params, sync_group, InstanceRuntime};
use super::vrrp_shell::{ManagedAddress, VrrpShell};
use crate::config::Config;
use crate::ipvs::model::Prepared;
use crate::vrrp::instance::{Input, State};

/// A reload asked for, waiting for its answer.
pub(super) struct Asked {
    origin: String,
    reply: oneshot::Sender<Reply>,
}

/// A configuration file read and parsed off the engine task, for the
/// reloads that were waiting on it.
pub(super) struct Read {
    config: Result<Config, String>,
    waiting: Vec<Asked>,
}

/// The reloads of one engine: at most one file read at a time.
pub(super) struct Reloads {
    reading: bool,
    queued: Vec<Asked>,
    done: mpsc::Sender<Read>,
}

impl Reloads {
    /// No reload yet; reads finished are announced on the receiver.
    pub(super) fn new() -> (Reloads, mpsc::Receiver<Read>) {
        let (done, reads) = mpsc::channel(1);
        let reloads = Reloads {
            reading: false,
            queued: Vec::new(),
            done,
        };
        (reloads, reads)
    }
}

/// What a reload needs that could fail, made ready before anything changes.
struct Ready {
    /// Per instance of the new configuration: its new shell, when it is
    /// added or restarted.
    opened: Vec<Option<VrrpShell>>,
    /// Per instance of the new configuration: its resolved addresses, when
    /// it changes in place.
    resolved: Vec<Option<Vec<ManagedAddress>>>,
    /// The data plane's sockets for added services.
    plane: Prepared,
}

/// How many instances each kind of step touched.
#[derive(Default)]
struct InstanceCounts {
    changed: usize,
    restarted: usize,
    added: usize,
    removed: usize,
}

impl Engine {
    /// A reload is asked for: read the file off the engine task (or wait
    /// for the read under way to finish, then read again).
    pub(super) fn ask_reload(
        &mut self,
        reloads: &mut Reloads,
        origin: String,
        reply: oneshot::Sender<Reply>,
    ) {
        if self.config_path.is_none() {
            let _ = reply.send(Err(
                "this engine was not started from a file; nothing to reload".into(),
            ));
            return;
        }
        reloads.queued.push(Asked { origin, reply });
        self.read_for_reload(reloads);
    }

    /// Start reading the file for the queued reloads, unless a read is
    /// under way.
    fn read_for_reload(&self, reloads: &mut Reloads) {
        let Some(path) = self.config_path.clone() else {
            return;
        };
        if reloads.reading || reloads.queued.is_empty() {
            return;
        }
        reloads.reading = true;
        let waiting = std::mem::take(&mut reloads.queued);
        let done = reloads.done.clone();
        tokio::task::spawn_blocking(move || {
            let config = crate::config::load_file(&path)
                .map(|loaded| loaded.config)
                .map_err(|problems| {
                    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    text.join("; ")
                });
            let _ = done.blocking_send(Read { config, waiting });
        });
    }

    /// A file was read: apply it (or refuse it whole), answer every reload
    /// that waited on it, and read again for those that came meanwhile.
    pub(super) fn finish_reload(&mut self, reloads: &mut Reloads, read: Read) {
        reloads.reading = false;
        let shown = self
            .config_path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let answer = match read.config.and_then(|new| self.apply_reload(new)) {
            Ok(summary) => Ok(format!("reloaded {shown}: {summary}")),
            Err(why) => Err(format!("reload of {shown} refused, nothing changed: {why}")),
        };
        let text = match &answer {
            Ok(text) | Err(text) => text.clone(),
        };
        for asked in &read.waiting {
            self.state
                .journal
                .record(EventKind::Operator, format!("{}: {text}", asked.origin));
        }
        // Whoever is answered sees the reloaded engine in its snapshots.
        self.publish();
        for asked in read.waiting {
            let _ = asked.reply.send(answer.clone().map(Answer::Done));
        }
        self.read_for_reload(reloads);
    }

    fn apply_reload(&mut self, new: Config) -> Result<String, String> {
        let plan = reload::plan(&self.config, &new)
            .map_err(|blocked| format!("a restart is needed to change {}", blocked.join(", ")))?;
        if plan.is_empty() && new == self.config {
            return Ok("nothing to change".into());
        }
        let ready = self.make_ready(&new, &plan)?;
        Ok(self.commit(new, plan, ready))
    }

    fn make_ready(&self, new: &Config, plan: &Plan) -> Result<Ready, String> {
        let mut ready = Ready {
            opened: Vec::new(),
            resolved: Vec::new(),
            plane: Prepared::nothing(),
        };
        for (step, config) in plan.instances.iter().zip(&new.vrrp_instances) {
            let (opened, resolved) = match *step {
                InstanceStep::Add | InstanceStep::Restart(_) => (
                    Some(VrrpShell::open(config, self.garp_spacing.clone())?),
                    None,
                ),
                InstanceStep::Update(old) => (None, Some(self.shells[old].resolve(config)?)),
                InstanceStep::Keep(_) => (None, None),
            };
            ready.opened.push(opened);
            ready.resolved.push(resolved);
        }
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for step in &plan.services {
            match step {
                ServiceStep::Add(service) => {
                    let key = reload::ServiceKey::of(service);
                    added.push((key.address, key.protocol));
                }
                ServiceStep::Remove(key) => removed.push((key.address, key.protocol)),
                ServiceStep::Update { .. } => {}
            }
        }
        ready.plane = self.plane.prepare(&added, &removed)?;
        Ok(ready)
    }

    fn commit(&mut self, new: Config, plan: Plan, ready: Ready) -> String {
        let now = self.state.now().at;
        let mut counts = InstanceCounts {
            removed: plan.removed_instances.len(),
            ..InstanceCounts::default()
        };
        // What goes away or starts afresh stops first, through its old shell:
        // a master resigns with priority 0 and gives up its addresses.
        let restarted = plan.instances.iter().filter_map(|step| match step {
            InstanceStep::Restart(old) => Some(*old),
            _ => None,
        });
        let stopping: Vec<usize> = plan
            .removed_instances
            .iter()
            .copied()
            .chain(restarted)
            .collect();
        for index in stopping {
            self.feed(index, Input::Shutdown, now);
        }

        let mut old_instances: Vec<Option<InstanceRuntime>> =
            std::mem::take(&mut self.state.instances)
                .into_iter()
                .map(Some)
                .collect();
        let mut old_shells: Vec<Option<VrrpShell>> = std::mem::take(&mut self.shells)
            .into_iter()
            .map(Some)
            .collect();
        let old_applied = std::mem::take(&mut self.applied);
        let (mut started, mut updated) = (Vec::new(), Vec::new());
        let steps = plan.instances.iter().zip(&new.vrrp_instances);
        let prepared = ready.opened.into_iter().zip(ready.resolved);
        for (index, ((step, config), (opened, resolved))) in steps.zip(prepared).enumerate() {
            let (runtime, shell, applied) = match (*step, opened) {
                (InstanceStep::Keep(old) | InstanceStep::Update(old), _) => (
                    old_instances[old]
                        .take()
                        .expect("instance names are unique, so each is taken once"),
                    old_shells[old]
                        .take()
                        .expect("instance names are unique, so each is taken once"),
                    old_applied[old],
                ),
                (_, Some(mut shell)) => {
                    if matches!(step, InstanceStep::Restart(_)) {
                        counts.restarted += 1;
                    } else {
                        counts.added += 1;
                    }
                    shell.listen(self.next_key, self.packet_sender.clone());
                    self.next_key += 1;
                    started.push(index);
                    let runtime = InstanceRuntime::new(config.clone(), shell.own_address, &new);
                    (runtime, shell, None)
                }
                (_, None) => {
                    unreachable!("make_ready opens a shell for every added or restarted instance")
                }
            };
            if let Some(resolved) = resolved {
                updated.push((index, resolved));
            }
            self.state.instances.push(runtime);
            self.shells.push(shell);
            self.applied.push(applied);
        }
        // The old shells left over (removed and restarted instances) close
        // as they drop here.
        drop(old_shells);

        for (index, resolved) in updated {
            counts.changed += 1;
            self.change_in_place(index, &new, resolved, now);
        }
        for instance in &mut self.state.instances {
            instance.sync_group = sync_group(&new, &instance.config.name);
        }
        self.take_global(&new);
        let brought = new
            .vrrp_track_files
            .iter()
            .filter(|f| !self.config.vrrp_track_files.contains(f));
        for line in super::track_files::initialise(brought) {
            self.state.journal.record(EventKind::Engine, line);
        }
        self.config = new;
        if let Err(why) = self.accept_rules.update(&self.config) {
            self.state.journal.record(EventKind::Engine, why);
        }
        self.reconcile_monitors();
        self.apply_tracking(now);
        // Held by startup_delay, they start with the rest when it is over.
        if self.startup_at.is_none() {
            for index in started {
                self.feed(index, Input::Startup, now);
            }
        }

        let applied = self.state.apply_service_steps(plan.services);
        for id in applied.stop_checks {
            self.stop_checkers(id);
        }
        for id in applied.start_checks {
            self.start_checkers(id);
        }
        self.apply_suspensions();
        self.push_table();
        self.plane.adopt(ready.plane);
        self.keep_overrides();

        let mut summary = instance_summary(&counts);
        summary.extend(applied.summary);
        if summary.is_empty() {
            "nothing to change".into()
        } else {
            summary.join(", ")
        }
    }

    /// Give instance `index` its new configuration without restarting it.
    fn change_in_place(
        &mut self,
        index: usize,
        new: &Config,
        resolved: Vec<ManagedAddress>,
        now: std::time::Instant,
    ) {
        let config = &new.vrrp_instances[index];
        let shell = &mut self.shells[index];
        let vr = &mut self.state.instances[index];
        let had_reference = vr.config.check_reference.is_some();
        vr.config = config.clone();
        vr.fsm.reconfigure(params(config, shell.own_address));
        let holding = vr.fsm.state() == State::Master || vr.fsm.releasing();
        let mut failures = shell.update(config, resolved, &self.addresses, holding);
        // A master's periodic adverts carry the new settings from the next.
        failures.extend(shell.pace(&vr.fsm).err());
        for failure in failures {
            self.state
                .journal
                .record(EventKind::Engine, format!("{}: {failure}", config.name));
        }
        if had_reference && config.check_reference.is_none() {
            self.feed(index, Input::Reference(true), now);
        }
    }

    /// `[global]` settings that apply at run time: the node's name and the
    /// notification FIFO and script timeout.
    fn take_global(&mut self, new: &Config) {
        let (old, new) = (&self.config.global, &new.global);
        if old.router_id != new.router_id {
            self.state.node = new
                .router_id
                .clone()
                .unwrap_or_else(crate::daemon::hostname);
        }
        if (&old.notify_fifo, old.script_timeout) != (&new.notify_fifo, new.script_timeout) {
            self.notifier = self.notifier.reconfigured(
                new.notify_fifo.clone().map(Into::into),
                new.script_timeout.0,
            );
        }
        if (old.garp_interval, old.gna_interval) != (new.garp_interval, new.gna_interval) {
            self.garp_spacing
                .set(new.garp_interval.0, new.gna_interval.0);
            self.state.journal.record(
                EventKind::Engine,
                format!(
                    "announcements now at least {} s apart (gratuitous ARP) and {} s (NA) per interface",
                    new.garp_interval, new.gna_interval
                ),
            );
        }
        if old.lvs_timeouts != new.lvs_timeouts {
            // The table pushed after the reload carries them to the plane.
            self.state.lvs_timeouts = new.lvs_timeouts;
            self.state.journal.record(
                EventKind::Engine,
                format!(
                    "connection timeouts now {}",
                    describe_timeouts(&new.lvs_timeouts)
                ),
            );
        }
    }
}

/// `lvs_timeouts` in words: "tcp 7200 s, udp 60 s", or what unset means.
fn describe_timeouts(timeouts: &crate::config::LvsTimeouts) -> String {
    let set: Vec<String> = timeouts
        .named()
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name} {v} s")))
        .collect();
    if set.is_empty() {
        "the data plane's own (the kernel keeps the last ones set)".into()
    } else {
        set.join(", ")
    }
}

fn instance_summary(counts: &InstanceCounts) -> Vec<String> {
    reload::counted(&[
        (counts.changed, "VRRP instance(s) changed in place"),
        (counts.restarted, "VRRP instance(s) restarted"),
        (counts.added, "VRRP instance(s) added"),
        (counts.removed, "VRRP instance(s) removed"),
    ])
}
