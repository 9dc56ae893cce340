//! The engine task: the loop that owns `EngineState`, feeds it inputs from
//! sockets, timers, checks and clients, carries out what it decides, and
//! publishes snapshots.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::handle::{EngineHandle, Envelope};
use super::journal::EventKind;
use super::notify::Notifier;
use super::state::EngineState;
use super::vrrp_shell::{execute, VrrpShell};
use crate::check::policy::PolicyParams;
use crate::check::runner::{self, CheckReport, CheckSpec};
use crate::config::Config;
use crate::ipvs::userspace::{self, PlaneTable, Timeouts};
use crate::netlink::address::Addresses;
use crate::vrrp::instance::{Action, Input, State};
use crate::vrrp::net::Received;
use crate::vrrp::receive::{check, Verdict};

/// How often rates are sampled and a snapshot is published without other cause.
const PUBLISH_EVERY: Duration = Duration::from_millis(500);

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

/// Open every socket, start the data plane and the checks, and run the engine.
pub async fn start(
    config: Config,
    node: String,
    timeouts: Timeouts,
) -> Result<RunningEngine, String> {
    let shells = config
        .vrrp_instances
        .iter()
        .map(VrrpShell::open)
        .collect::<Result<Vec<_>, _>>()?;
    let addresses = Addresses::connect().map_err(|e| e.to_string())?;
    let own: Vec<_> = shells.iter().map(|s| s.own_address).collect();
    let state = EngineState::new(&config, node, &own);

    let (table_tx, table_rx) = watch::channel(Arc::new(state.plane_table()));
    let mut background = userspace::start(table_rx, timeouts).map_err(|e| e.to_string())?;

    let (packet_tx, packet_rx) = mpsc::channel(256);
    for (index, shell) in shells.iter().enumerate() {
        background.push(spawn_receiver(index, shell, packet_tx.clone()));
    }
    let (check_tx, check_rx) = mpsc::channel(256);
    for (s, service) in config.virtual_servers.iter().enumerate() {
        for (r, real) in service.real_servers.iter().enumerate() {
            if let Some(check) = &real.tcp_check {
                let port = check.connect_port.unwrap_or(real.port).0;
                let spec = CheckSpec {
                    service: s,
                    server: r,
                    target: std::net::SocketAddr::new(real.address, port),
                    connect_timeout: check.connect_timeout.0,
                    policy: PolicyParams {
                        retry: check.retry,
                        delay_before_retry: check.delay_before_retry.0,
                        delay_loop: service.delay_loop.0,
                    },
                };
                background.push(runner::spawn(spec, check_tx.clone()));
            }
        }
    }

    let (command_tx, command_rx) = mpsc::channel(64);
    let (snapshot_tx, snapshot_rx) = watch::channel(None);
    let (stop_tx, stop_rx) = oneshot::channel();
    let notifier = Notifier {
        fifo: config.global.notify_fifo.clone().map(Into::into),
        timeout: config.global.script_timeout.0,
    };
    let engine = Engine {
        state,
        shells,
        addresses,
        notifier,
        table: table_tx,
        snapshots: snapshot_tx,
    };
    let task = tokio::spawn(engine.run(command_rx, packet_rx, check_rx, stop_rx, background));
    Ok(RunningEngine {
        handle: EngineHandle {
            commands: command_tx,
            snapshots: snapshot_rx,
        },
        stop: stop_tx,
        task,
    })
}

fn spawn_receiver(
    index: usize,
    shell: &VrrpShell,
    packets: mpsc::Sender<(usize, std::io::Result<Received>)>,
) -> JoinHandle<()> {
    let socket = shell.socket.clone();
    tokio::spawn(async move {
        loop {
            let received = socket.recv().await;
            if packets.send((index, received)).await.is_err() {
                return;
            }
        }
    })
}

struct Engine {
    state: EngineState,
    shells: Vec<VrrpShell>,
    addresses: Addresses,
    notifier: Notifier,
    table: watch::Sender<Arc<PlaneTable>>,
    snapshots: watch::Sender<Option<Arc<super::Snapshot>>>,
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Envelope>,
        mut packets: mpsc::Receiver<(usize, std::io::Result<Received>)>,
        mut checks: mpsc::Receiver<CheckReport>,
        mut stop: oneshot::Receiver<()>,
        background: Vec<JoinHandle<()>>,
    ) {
        self.state.journal.record(
            EventKind::Engine,
            format!("engine started on {}", self.state.node),
        );
        let now = Instant::now().into_std();
        for index in 0..self.shells.len() {
            let actions = self.state.instances[index].fsm.handle(Input::Startup, now);
            self.carry_out(index, actions);
        }
        let mut publish = tokio::time::interval(PUBLISH_EVERY);
        loop {
            self.publish();
            let deadline = self
                .state
                .instances
                .iter()
                .filter_map(|i| i.fsm.next_deadline())
                .min()
                .map(Instant::from_std);
            tokio::select! {
                Some((request, reply)) = commands.recv() => {
                    let (answer, effects) = self.state.apply(&request, Instant::now().into_std());
                    if effects.table_changed {
                        self.push_table();
                    }
                    if let Some((index, actions)) = effects.vrrp {
                        self.carry_out(index, actions);
                    }
                    let _ = reply.send(answer);
                }
                Some((index, received)) = packets.recv() => self.on_packet(index, received),
                Some(report) = checks.recv() => {
                    if self.state.on_check(report) {
                        self.push_table();
                    }
                }
                () = sleep_until(deadline) => {
                    let now = Instant::now().into_std();
                    for index in 0..self.shells.len() {
                        let actions = self.state.instances[index].fsm.handle(Input::Tick, now);
                        self.carry_out(index, actions);
                    }
                }
                _ = publish.tick() => self.state.sample_rates(Instant::now().into_std()),
                _ = &mut stop => break,
            }
        }
        let now = Instant::now().into_std();
        for index in 0..self.shells.len() {
            let actions = self.state.instances[index].fsm.handle(Input::Shutdown, now);
            self.carry_out(index, actions);
        }
        self.state
            .journal
            .record(EventKind::Engine, "engine stopped".into());
        self.publish();
        for task in background {
            task.abort();
        }
    }

    fn on_packet(&mut self, index: usize, received: std::io::Result<Received>) {
        let vr = &mut self.state.instances[index];
        let received = match received {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                vr.drop_packet("malformed_ip");
                return;
            }
            Err(e) => {
                let text = format!("{}: receive failed: {e}", vr.config.name);
                self.state.journal.record(EventKind::Engine, text);
                return;
            }
        };
        match check(&received, &self.shells[index].expectation) {
            Verdict::Accept(advert, mismatches) => {
                vr.adverts_received += 1;
                for m in mismatches {
                    vr.raise(m.kind, received.source, m.detail);
                }
                let was_master = vr.fsm.state() == State::Master;
                let priority = advert.priority;
                let input = Input::Advert {
                    from: received.source,
                    advert,
                };
                let actions = vr.fsm.handle(input, Instant::now().into_std());
                if was_master && vr.fsm.state() == State::Master && priority > 0 {
                    let detail = format!(
                        "{} also advertises as master (priority {priority})",
                        received.source
                    );
                    vr.raise("split_brain", received.source, detail);
                }
                self.carry_out(index, actions);
            }
            Verdict::Drop(reason, mismatch) => {
                vr.drop_packet(reason);
                if let Some(m) = mismatch {
                    vr.raise(m.kind, received.source, m.detail);
                }
            }
        }
    }

    fn carry_out(&mut self, index: usize, actions: Vec<Action>) {
        execute(
            &mut self.state,
            &self.shells[index],
            &self.addresses,
            &self.notifier,
            index,
            actions,
        );
    }

    fn push_table(&self) {
        self.table.send_replace(Arc::new(self.state.plane_table()));
    }

    fn publish(&self) {
        self.snapshots
            .send_replace(Some(Arc::new(self.state.snapshot())));
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
