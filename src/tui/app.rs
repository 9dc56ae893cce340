//! The console's own state (view, selection, filters, prompts) and what
//! each key or click does to it. Pure: keys and snapshots in, outcomes out.

mod actions;
pub mod form;
pub mod history;
mod mouse;
pub mod tree;

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::host::HostStats;
use super::keymap::{Action, Keymap};
use crate::engine::snapshot::ServerView;
use crate::engine::{Answer, Command, Reply, Snapshot};
use crate::ipvs::model::ConnRow;
use form::{AddForm, FormStep};
use history::History;
use tree::{SortKey, TreeRow};

/// The top-level views, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// VRRP instances, VIP owners, the host.
    #[default]
    Overview,
    /// Virtual services and their real servers.
    Services,
    /// The event timeline.
    Events,
}

/// Every view, in tab order.
pub const VIEWS: [View; 3] = [View::Overview, View::Services, View::Events];

impl View {
    /// Its tab label.
    pub fn label(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::Services => "services",
            View::Events => "events",
        }
    }
}

/// A real server, by name within its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKey {
    /// Virtual service name.
    pub service: String,
    /// Real server name.
    pub server: String,
}

/// An action waiting for the operator's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The director it goes to.
    pub node: usize,
    /// What is sent.
    pub command: Command,
    /// Exactly what will happen, in words.
    pub what: String,
}

/// What the console is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys act through the keymap.
    #[default]
    Normal,
    /// The help overlay is open.
    Help,
    /// Typing a filter for the current list.
    Filter,
    /// Typing a new weight.
    Weight {
        /// Whose.
        target: ServerKey,
        /// Its weight now.
        current: u32,
        /// Digits typed so far.
        input: String,
        /// Why the last value was refused.
        error: Option<String>,
    },
    /// Filling in the add-server form.
    Form(AddForm),
    /// Asking for confirmation.
    Confirm(Pending),
}

/// How a notice on the status line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A hint or progress.
    Info,
    /// The engine did it.
    Ok,
    /// Refused, failed, or not possible.
    Error,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What to say.
    pub text: String,
    /// How.
    pub tone: Tone,
}

/// The connection listing fetched for the open detail view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connections {
    /// The director asked.
    pub node: usize,
    /// The rows, or why there are none.
    pub rows: Result<Vec<ConnRow>, String>,
}

/// A scrollable list's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListState {
    /// The selected row.
    pub selected: usize,
    /// The first row on screen.
    pub top: usize,
}

impl ListState {
    fn select(&mut self, row: usize, count: usize, visible: usize) {
        self.selected = row.min(count.saturating_sub(1));
        let visible = visible.max(1);
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + visible {
            self.top = self.selected + 1 - visible;
        }
        self.top = self.top.min(count.saturating_sub(visible));
    }
}

/// What the run loop must do after an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Just draw again.
    Redraw,
    /// Send this command to director `node`.
    Send {
        /// Which attached director.
        node: usize,
        /// The command.
        command: Command,
    },
    /// Leave the console.
    Quit,
}

/// Console state that is not engine state.
#[derive(Debug)]
pub struct App {
    /// Keys to actions.
    pub keymap: Keymap,
    /// The view on screen.
    pub view: View,
    /// The real server whose detail is open, over the services view.
    pub detail: Option<ServerKey>,
    /// Input mode.
    pub mode: Mode,
    /// Refuse every action that changes the engine.
    pub read_only: bool,
    /// The director the services, events and actions are about.
    pub node: usize,
    /// Labels of the attached directors, in order.
    pub node_labels: Vec<String>,
    /// Position in the services tree.
    pub services: ListState,
    /// Position in the event timeline (follows the newest when at the end).
    pub events: ListState,
    /// Whether the timeline follows new events.
    pub follow_events: bool,
    /// The selected VRRP instance in the overview.
    pub instance: usize,
    /// Filter text of the services tree.
    pub service_filter: String,
    /// Filter text of the event timeline.
    pub event_filter: String,
    /// Services sort order.
    pub sort: SortKey,
    /// The status line's message.
    pub notice: Option<Notice>,
    /// Problems found at start (keymap, theme), shown in help.
    pub startup_problems: Vec<String>,
    /// Rates and checks remembered between snapshots.
    pub history: History,
    /// The connection listing for the detail view.
    pub connections: Option<Connections>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The host, when sampled.
    pub host: Option<HostStats>,
    /// Per attached director, why its connection is gone (if it is).
    pub node_errors: Vec<Option<String>>,
}

impl App {
    /// A console on `node_labels` (one per attached director).
    pub fn new(keymap: Keymap, node_labels: Vec<String>) -> App {
        App {
            keymap,
            view: View::default(),
            detail: None,
            mode: Mode::Normal,
            read_only: false,
            node: 0,
            node_labels,
            services: ListState::default(),
            events: ListState::default(),
            follow_events: true,
            instance: 0,
            service_filter: String::new(),
            event_filter: String::new(),
            sort: SortKey::default(),
            notice: None,
            startup_problems: Vec::new(),
            history: History::default(),
            connections: None,
            size: (80, 24),
            host: None,
            node_errors: Vec::new(),
        }
    }

    /// Say something on the status line.
    pub fn tell(&mut self, tone: Tone, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            tone,
        });
    }

    /// Take in director `node`'s latest snapshot.
    pub fn observe(&mut self, node: usize, snapshot: &Snapshot) {
        for notice in self.history.observe(node, snapshot) {
            if node == self.node {
                self.tell(Tone::Ok, notice);
            }
        }
        if node == self.node && self.follow_events {
            let count = self.event_rows(snapshot).len();
            let visible = super::view::list_rows(View::Events, self.size.1);
            self.events.select(count.saturating_sub(1), count, visible);
        }
    }

    /// The engine's answer to a command sent to `node`.
    pub fn on_reply(&mut self, node: usize, reply: Reply) {
        let prefix = self.node_prefix(node);
        match reply {
            Ok(text) => self.tell(Tone::Ok, format!("{prefix}{text}")),
            Err(why) => self.tell(Tone::Error, format!("{prefix}refused: {why}")),
        }
    }

    /// The connection listing asked for the detail view.
    pub fn on_connections(&mut self, node: usize, reply: Reply) {
        let rows = reply.and_then(|answer| match answer {
            Answer::Connections(rows) => Ok(rows),
            other => Err(format!("not the connection table: {other}")),
        });
        self.connections = Some(Connections { node, rows });
    }

    /// The director whose connections the open detail needs, if any.
    pub fn wants_connections(&self) -> Option<usize> {
        self.detail.as_ref().map(|_| self.node)
    }

    /// "d2: " when more than one director is attached.
    pub fn node_prefix(&self, node: usize) -> String {
        match self.node_labels.get(node) {
            Some(label) if self.node_labels.len() > 1 => format!("{label}: "),
            _ => String::new(),
        }
    }

    /// The focused director's snapshot.
    pub fn focused<'a>(&self, nodes: &'a [Option<Arc<Snapshot>>]) -> Option<&'a Snapshot> {
        nodes.get(self.node)?.as_deref()
    }

    /// The services tree as the operator filtered and sorted it.
    pub fn tree(&self, snapshot: &Snapshot) -> Vec<TreeRow> {
        tree::rows(snapshot, &self.service_filter, self.sort)
    }

    /// Indices of the events that pass the filter, oldest first.
    pub fn event_rows(&self, snapshot: &Snapshot) -> Vec<usize> {
        let needle = self.event_filter.trim().to_lowercase();
        snapshot
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                needle.is_empty()
                    || e.text.to_lowercase().contains(&needle)
                    || format!("{:?}", e.kind).to_lowercase() == needle
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The real server the selection or the open detail is on.
    pub fn selected_server<'a>(&self, snapshot: &'a Snapshot) -> Option<(&'a str, &'a ServerView)> {
        if let Some(key) = &self.detail {
            let service = snapshot.services.iter().find(|s| s.name == key.service)?;
            let server = service.servers.iter().find(|r| r.name == key.server)?;
            return Some((&service.name, server));
        }
        match self.tree(snapshot).get(self.services.selected)? {
            TreeRow::Server(s, j) => {
                let service = &snapshot.services[*s];
                Some((&service.name, &service.servers[*j]))
            }
            TreeRow::Service(_) => None,
        }
    }

    /// The virtual service the selection is on or under.
    pub fn selected_service(&self, snapshot: &Snapshot) -> Option<usize> {
        if let Some(key) = &self.detail {
            return snapshot.services.iter().position(|s| s.name == key.service);
        }
        match self.tree(snapshot).get(self.services.selected)? {
            TreeRow::Service(s) | TreeRow::Server(s, _) => Some(*s),
        }
    }

    /// Handle one key press.
    pub fn on_key(&mut self, key: KeyEvent, nodes: &[Option<Arc<Snapshot>>]) -> Outcome {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Outcome::Quit;
        }
        match std::mem::take(&mut self.mode) {
            Mode::Normal => match self.keymap.action(key) {
                Some(action) => self.act(action, nodes),
                None => Outcome::Redraw,
            },
            Mode::Help => Outcome::Redraw,
            Mode::Filter => self.filter_key(key, nodes),
            Mode::Weight {
                target,
                current,
                input,
                ..
            } => self.weight_key(key, target, current, input),
            Mode::Form(mut form) => {
                match form.key(key) {
                    FormStep::Editing => self.mode = Mode::Form(form),
                    FormStep::Cancel => self.tell(Tone::Info, "add server cancelled"),
                    FormStep::Submit(command, what) => {
                        self.mode = Mode::Confirm(Pending {
                            node: self.node,
                            command,
                            what,
                        })
                    }
                }
                Outcome::Redraw
            }
            Mode::Confirm(pending) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.tell(Tone::Info, format!("sent: {}…", pending.what));
                    Outcome::Send {
                        node: pending.node,
                        command: pending.command,
                    }
                }
                _ => {
                    self.tell(Tone::Info, format!("cancelled: {}", pending.what));
                    Outcome::Redraw
                }
            },
        }
    }

    /// Carry out a keymap action in normal mode.
    fn act(&mut self, action: Action, nodes: &[Option<Arc<Snapshot>>]) -> Outcome {
        if action.changes_engine() && self.read_only {
            self.tell(
                Tone::Error,
                format!(
                    "read-only console (--read-only): {} is disabled",
                    action.describe()
                ),
            );
            return Outcome::Redraw;
        }
        match action {
            Action::Quit => return Outcome::Quit,
            Action::Help => self.mode = Mode::Help,
            Action::Up => self.step(nodes, -1),
            Action::Down => self.step(nodes, 1),
            Action::PageUp => self.step(nodes, -(self.page() as isize)),
            Action::PageDown => self.step(nodes, self.page() as isize),
            Action::Top => self.step(nodes, isize::MIN / 2),
            Action::Bottom => self.step(nodes, isize::MAX / 2),
            Action::NextView | Action::PreviousView => {
                let at = VIEWS.iter().position(|v| *v == self.view).unwrap_or(0);
                let step = if action == Action::NextView { 1 } else { 2 };
                self.show(VIEWS[(at + step) % VIEWS.len()]);
            }
            Action::Overview => self.show(View::Overview),
            Action::Services => self.show(View::Services),
            Action::Events => self.show(View::Events),
            Action::Open => self.open(nodes),
            Action::Back => self.back(),
            Action::Filter => {
                if self.view == View::Overview {
                    self.show(View::Services);
                }
                self.detail = None;
                self.mode = Mode::Filter;
            }
            Action::Sort => {
                self.sort = self.sort.next();
                self.tell(Tone::Info, format!("sorted by {}", self.sort.label()));
            }
            Action::NextNode => {
                if self.node_labels.len() > 1 {
                    self.node = (self.node + 1) % self.node_labels.len();
                    self.services = ListState::default();
                    self.detail = None;
                    self.instance = 0;
                    self.follow_events = true;
                    let label = self.node_labels[self.node].clone();
                    self.tell(Tone::Info, format!("focused on {label}"));
                } else {
                    self.tell(Tone::Info, "only one director is attached");
                }
            }
            _ => return self.operate(action, nodes),
        }
        Outcome::Redraw
    }

    fn show(&mut self, view: View) {
        self.view = view;
        self.detail = None;
    }

    fn page(&self) -> usize {
        super::view::list_rows(self.view, self.size.1).max(1)
    }

    /// Move the current list's selection by `delta` rows.
    fn step(&mut self, nodes: &[Option<Arc<Snapshot>>], delta: isize) {
        let Some(snapshot) = self.focused(nodes) else {
            return;
        };
        let visible = super::view::list_rows(self.view, self.size.1);
        let (list, count) = match self.view {
            View::Overview => {
                let count = snapshot.instances.len();
                self.instance = self
                    .instance
                    .saturating_add_signed(delta)
                    .min(count.saturating_sub(1));
                return;
            }
            View::Services if self.detail.is_none() => (
                &mut self.services,
                tree::rows(snapshot, &self.service_filter, self.sort).len(),
            ),
            View::Services => return,
            View::Events => {
                let count = self.event_rows(snapshot).len();
                (&mut self.events, count)
            }
        };
        let target = list.selected.saturating_add_signed(delta);
        list.select(target, count, visible);
        if self.view == View::Events {
            self.follow_events = self.events.selected + 1 >= count;
        }
    }

    fn open(&mut self, nodes: &[Option<Arc<Snapshot>>]) {
        let Some(snapshot) = self.focused(nodes) else {
            return;
        };
        match self.view {
            View::Overview => self.show(View::Services),
            View::Services => match self.selected_server(snapshot) {
                Some((service, server)) => {
                    self.detail = Some(ServerKey {
                        service: service.to_string(),
                        server: server.name.clone(),
                    });
                    self.connections = None;
                }
                None => self.tell(Tone::Info, "select a real server to see its detail"),
            },
            View::Events => {}
        }
    }

    fn back(&mut self) {
        if self.detail.take().is_some() {
            return;
        }
        let filter = match self.view {
            View::Events => &mut self.event_filter,
            _ => &mut self.service_filter,
        };
        if !filter.is_empty() {
            filter.clear();
            self.tell(Tone::Info, "filter cleared");
        }
    }

    fn filter_key(&mut self, key: KeyEvent, nodes: &[Option<Arc<Snapshot>>]) -> Outcome {
        let filter = match self.view {
            View::Events => &mut self.event_filter,
            _ => &mut self.service_filter,
        };
        match key.code {
            KeyCode::Enter => return Outcome::Redraw,
            KeyCode::Esc => {
                filter.clear();
                return Outcome::Redraw;
            }
            KeyCode::Backspace => {
                filter.pop();
            }
            KeyCode::Char(c) if !c.is_control() && filter.len() < 64 => filter.push(c),
            _ => {}
        }
        self.mode = Mode::Filter;
        // The list changed under the selection: start from its top.
        self.services = ListState::default();
        if self.view == View::Events {
            self.step(nodes, isize::MAX / 2);
        }
        Outcome::Redraw
    }

    fn weight_key(
        &mut self,
        key: KeyEvent,
        target: ServerKey,
        current: u32,
        mut input: String,
    ) -> Outcome {
        let mut error = None;
        match key.code {
            KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 6 => input.push(c),
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Esc => {
                self.tell(Tone::Info, "reweight cancelled");
                return Outcome::Redraw;
            }
            KeyCode::Enter => match input.parse::<u32>() {
                Ok(weight) if weight <= 65535 => {
                    let what = format!(
                        "set {}/{} weight {current} -> {weight}",
                        target.service, target.server
                    );
                    self.mode = Mode::Confirm(Pending {
                        node: self.node,
                        command: Command::SetWeight {
                            service: target.service,
                            server: target.server,
                            weight,
                        },
                        what,
                    });
                    return Outcome::Redraw;
                }
                _ => error = Some(format!("weight must be 0..=65535, not {input:?}")),
            },
            KeyCode::Char(c) => error = Some(format!("{c:?} is not a digit")),
            _ => {}
        }
        self.mode = Mode::Weight {
            target,
            current,
            input,
            error,
        };
        Outcome::Redraw
    }
}

#[cfg(test)]
mod tests;
