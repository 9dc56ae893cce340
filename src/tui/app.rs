//! The console's own state (selection, prompts) and what each key does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::snapshot::ServerView;
use crate::engine::{Command, Snapshot};
use crate::vrrp::instance::State;

/// What the console is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys act directly.
    #[default]
    Normal,
    /// Typing a new weight for the selected server.
    Weight {
        /// Digits typed so far.
        input: String,
    },
    /// Asking whether to hand the VIP to the peer.
    ConfirmFailover {
        /// The instance to fail over.
        instance: String,
    },
}

/// What the run loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Just draw again.
    Redraw,
    /// Send this command to the engine.
    Send(Command),
    /// Leave the console.
    Quit,
}

/// Console state that is not engine state.
#[derive(Debug, Clone, Default)]
pub struct App {
    /// Index into the flattened list of real servers.
    pub selected: usize,
    /// Current input mode.
    pub mode: Mode,
    /// The last command's result, or a hint.
    pub status: Option<String>,
}

/// The selected (service name, server) pair, if any.
pub fn selected_server(snapshot: &Snapshot, index: usize) -> Option<(&str, &ServerView)> {
    snapshot
        .services
        .iter()
        .flat_map(|s| s.servers.iter().map(move |r| (s.name.as_str(), r)))
        .nth(index)
}

fn server_count(snapshot: Option<&Snapshot>) -> usize {
    snapshot.map_or(0, |s| s.services.iter().map(|v| v.servers.len()).sum())
}

impl App {
    /// Handle one key press.
    pub fn on_key(&mut self, key: KeyEvent, snapshot: Option<&Snapshot>) -> Outcome {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Outcome::Quit;
        }
        match std::mem::take(&mut self.mode) {
            Mode::Normal => self.normal_key(key.code, snapshot),
            Mode::Weight { input } => self.weight_key(key.code, input, snapshot),
            Mode::ConfirmFailover { instance } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.status = Some(format!("failing over {instance}…"));
                    Outcome::Send(Command::Failover { instance })
                }
                _ => {
                    self.status = Some("failover cancelled".into());
                    Outcome::Redraw
                }
            },
        }
    }

    fn normal_key(&mut self, code: KeyCode, snapshot: Option<&Snapshot>) -> Outcome {
        let count = server_count(snapshot);
        match code {
            KeyCode::Char('q') | KeyCode::Esc => return Outcome::Quit,
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(count.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Char('d') => {
                if let Some((service, server)) =
                    snapshot.and_then(|s| selected_server(s, self.selected))
                {
                    let (service, name) = (service.to_string(), server.name.clone());
                    return Outcome::Send(if server.drained {
                        Command::Undrain {
                            service,
                            server: name,
                        }
                    } else {
                        Command::Drain {
                            service,
                            server: name,
                        }
                    });
                }
                self.status = Some("no real server selected".into());
            }
            KeyCode::Char('w') => {
                if snapshot
                    .and_then(|s| selected_server(s, self.selected))
                    .is_some()
                {
                    self.mode = Mode::Weight {
                        input: String::new(),
                    };
                } else {
                    self.status = Some("no real server selected".into());
                }
            }
            KeyCode::Char('f') => {
                match snapshot.and_then(|s| s.instances.iter().find(|i| i.state == State::Master)) {
                    Some(instance) => {
                        self.mode = Mode::ConfirmFailover {
                            instance: instance.name.clone(),
                        }
                    }
                    None => self.status = Some("no VRRP instance is master on this node".into()),
                }
            }
            KeyCode::Char('t') => {
                match snapshot.and_then(|s| s.instances.iter().find(|i| i.state == State::Backup)) {
                    Some(instance) => {
                        return Outcome::Send(Command::Takeover {
                            instance: instance.name.clone(),
                        })
                    }
                    None => self.status = Some("no VRRP instance is backup on this node".into()),
                }
            }
            KeyCode::Char('r') => {
                match snapshot.and_then(|s| s.instances.iter().find(|i| i.held)) {
                    Some(instance) => {
                        return Outcome::Send(Command::Release {
                            instance: instance.name.clone(),
                        })
                    }
                    None => self.status = Some("no VRRP instance is held on this node".into()),
                }
            }
            _ => {}
        }
        Outcome::Redraw
    }

    fn weight_key(
        &mut self,
        code: KeyCode,
        mut input: String,
        snapshot: Option<&Snapshot>,
    ) -> Outcome {
        match code {
            KeyCode::Char(c) if c.is_ascii_digit() && input.len() < 5 => input.push(c),
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Esc => {
                self.status = Some("reweight cancelled".into());
                return Outcome::Redraw;
            }
            KeyCode::Enter => {
                let Some((service, server)) =
                    snapshot.and_then(|s| selected_server(s, self.selected))
                else {
                    self.status = Some("the selected server is gone".into());
                    return Outcome::Redraw;
                };
                match input.parse::<u32>() {
                    Ok(weight) if weight <= 65535 => {
                        return Outcome::Send(Command::SetWeight {
                            service: service.to_string(),
                            server: server.name.clone(),
                            weight,
                        })
                    }
                    _ => {
                        self.status = Some(format!("weight must be 0..=65535, not {input:?}"));
                        self.mode = Mode::Weight { input };
                        return Outcome::Redraw;
                    }
                }
            }
            _ => {}
        }
        self.mode = Mode::Weight { input };
        Outcome::Redraw
    }
}

#[cfg(test)]
mod tests;
