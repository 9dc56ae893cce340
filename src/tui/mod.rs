//! The console: renders snapshots, sends commands, and nothing else. It
//! may watch several directors at once (both of a pair); actions go to the
//! focused one.

pub mod app;
pub mod host;
pub mod keymap;
mod settings;
pub mod terminal;
pub mod theme;
pub mod view;

/// Fixed snapshots: for the console's tests and its frame-time benchmark.
#[doc(hidden)]
pub mod fixture;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc;

use crate::engine::{Command, EngineHandle, Request, Snapshot};
use app::{App, Outcome, Tone};
use host::HostSampler;
pub use settings::{load_looks, Settings};

/// What reaches the console loop besides terminal input.
enum Update {
    /// Director `node` published a snapshot.
    Snapshot(usize, Option<Arc<Snapshot>>),
    /// Director `node`'s connection is gone.
    Gone(usize, String),
    /// The answer to an action sent to `node`.
    Reply(usize, crate::engine::Reply),
    /// The connection table of `node`.
    Connections(usize, crate::engine::Reply),
}

/// Forward every snapshot of `engine` as `Update`s for `node`.
fn watch(node: usize, engine: &EngineHandle, updates: mpsc::Sender<Update>) {
    let engine = engine.clone();
    tokio::spawn(async move {
        let _live = engine.watch_live("console").await;
        let mut snapshots = engine.snapshots.clone();
        loop {
            let snapshot = snapshots.borrow_and_update().clone();
            if updates
                .send(Update::Snapshot(node, snapshot))
                .await
                .is_err()
            {
                return;
            }
            if snapshots.changed().await.is_err() {
                let why = "the director closed the connection".to_string();
                let _ = updates.send(Update::Gone(node, why)).await;
                return;
            }
        }
    });
}

/// Send `command` to `engine` and report the answer as an `Update`.
fn send(engine: EngineHandle, node: usize, request: Request, updates: mpsc::Sender<Update>) {
    tokio::spawn(async move {
        let listing = request.command == Command::Connections;
        let reply = engine.request(request).await;
        let update = if listing {
            Update::Connections(node, reply)
        } else {
            Update::Reply(node, reply)
        };
        let _ = updates.send(update).await;
    });
}

/// Terminal input, read on a thread of its own.
fn read_input(input: mpsc::Sender<Event>) {
    std::thread::spawn(move || {
        while !input.is_closed() {
            if event::poll(Duration::from_millis(200)).unwrap_or(false) {
                match event::read() {
                    Ok(Event::Key(key)) if key.kind == KeyEventKind::Release => {}
                    Ok(event) => {
                        if input.blocking_send(event).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        }
    });
}

/// Whether a new snapshot changes what matters now (state, not counters):
/// such a snapshot is drawn at once, others at the next tick.
fn urgent(old: Option<&Snapshot>, new: Option<&Snapshot>) -> bool {
    match (old, new) {
        (Some(old), Some(new)) => {
            old.events.last() != new.events.last()
                || old.instances.iter().zip(&new.instances).any(|(a, b)| {
                    (a.state, a.priority, &a.owner) != (b.state, b.priority, &b.owner)
                })
        }
        _ => true,
    }
}

/// Run the console on this terminal until the operator quits.
/// `engines` are (label, handle) per attached director.
pub async fn run(
    engines: Vec<(String, EngineHandle)>,
    origin: String,
    settings: Settings,
) -> io::Result<()> {
    let (keymap, theme, problems) = load_looks(&settings);
    let labels = engines.iter().map(|(label, _)| label.clone()).collect();
    let mut app = App::new(keymap, labels);
    app.read_only = settings.read_only;
    app.startup_problems = problems.iter().map(ToString::to_string).collect();
    if !problems.is_empty() {
        app.tell(
            Tone::Error,
            format!(
                "{} problem(s) in the keymap/theme files: {} (more in help)",
                problems.len(),
                problems[0]
            ),
        );
    }
    let (update_tx, mut updates) = mpsc::channel(64);
    for (node, (_, engine)) in engines.iter().enumerate() {
        watch(node, engine, update_tx.clone());
    }
    let mut nodes: Vec<Option<Arc<Snapshot>>> = vec![None; engines.len()];
    app.node_errors = vec![None; engines.len()];
    let mut terminal = terminal::enter(settings.mouse)?;
    let (input_tx, mut input) = mpsc::channel(64);
    read_input(input_tx);
    let mut sampler = HostSampler::new();
    let mut tick = tokio::time::interval(settings.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    loop {
        if dirty {
            let size = terminal.size()?;
            app.size = (size.width, size.height);
            terminal.draw(|frame| view::draw(frame, &app, &nodes, &theme))?;
            dirty = false;
        }
        tokio::select! {
            Some(event) = input.recv() => {
                let outcome = match event {
                    Event::Key(key) => app.on_key(key, &nodes),
                    Event::Mouse(mouse) => app.on_mouse(mouse, &nodes),
                    _ => Outcome::Redraw,
                };
                match outcome {
                    Outcome::Quit => break,
                    Outcome::Send { node, command } => {
                        let request = Request { command, origin: origin.clone() };
                        send(engines[node].1.clone(), node, request, update_tx.clone());
                    }
                    Outcome::Redraw => {}
                }
                dirty = true;
            }
            Some(update) = updates.recv() => match update {
                Update::Snapshot(node, snapshot) => {
                    dirty |= urgent(nodes[node].as_deref(), snapshot.as_deref());
                    if let Some(snapshot) = &snapshot {
                        app.observe(node, snapshot);
                    }
                    nodes[node] = snapshot;
                }
                Update::Gone(node, why) => {
                    app.node_errors[node] = Some(why.clone());
                    nodes[node] = None;
                    app.tell(Tone::Error, format!("{}{why}", app.node_prefix(node)));
                    dirty = true;
                }
                Update::Reply(node, reply) => {
                    app.on_reply(node, reply);
                    dirty = true;
                }
                Update::Connections(node, reply) => {
                    app.on_connections(node, reply);
                    dirty = true;
                }
            },
            _ = tick.tick() => {
                app.host = Some(sampler.sample());
                if let Some(node) = app.wants_connections() {
                    let request = Request { command: Command::Connections, origin: origin.clone() };
                    send(engines[node].1.clone(), node, request, update_tx.clone());
                }
                dirty = true;
            }
        }
    }
    drop(input);
    terminal::leave()
}
