//! What the console remembers between snapshots: recent rates for the
//! sparklines, and the check results it has seen, per real server.

use std::collections::{HashMap, VecDeque};

use crate::engine::Snapshot;
use crate::ipvs::model::Health;

/// Samples kept per server (at the engine's 0.5 s publish, 30 s).
pub const SAMPLES: usize = 60;
/// Check results kept per server.
pub const CHECKS: usize = 20;

/// One rate sample.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    /// Connections per second.
    pub cps: f32,
    /// Bytes per second in (client to server).
    pub in_bps: f32,
    /// Bytes per second out.
    pub out_bps: f32,
}

/// One check result as the console saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    /// When it ran, ms since the epoch.
    pub unix_ms: u64,
    /// Its text ("ok", "connect: refused", …).
    pub text: String,
    /// The server's health after it.
    pub health: Health,
}

/// One server's memory.
#[derive(Debug, Clone, Default)]
pub struct ServerHistory {
    /// Oldest first.
    pub samples: VecDeque<Sample>,
    /// Oldest first.
    pub checks: VecDeque<CheckRecord>,
    active: u64,
}

/// Memory for every server of every attached director.
#[derive(Debug, Default)]
pub struct History {
    nodes: Vec<NodeHistory>,
}

#[derive(Debug, Default)]
struct NodeHistory {
    last_publish: u64,
    /// By service name, then server name: looked up by `&str`, so a
    /// snapshot of known servers allocates no keys.
    services: HashMap<String, HashMap<String, ServerHistory>>,
}

impl History {
    /// Take in a snapshot of director `node`; returns what an operator
    /// should be told (a drained server that just became empty).
    pub fn observe(&mut self, node: usize, snapshot: &Snapshot) -> Vec<String> {
        if self.nodes.len() <= node {
            self.nodes.resize_with(node + 1, NodeHistory::default);
        }
        let history = &mut self.nodes[node];
        if history.last_publish == snapshot.unix_ms {
            return Vec::new();
        }
        history.last_publish = snapshot.unix_ms;
        let mut notices = Vec::new();
        for service in &snapshot.services {
            if !history.services.contains_key(&service.name) {
                history
                    .services
                    .insert(service.name.clone(), HashMap::new());
            }
            let Some(servers) = history.services.get_mut(&service.name) else {
                continue;
            };
            for server in &service.servers {
                if !servers.contains_key(&server.name) {
                    servers.insert(server.name.clone(), ServerHistory::default());
                }
                let Some(memory) = servers.get_mut(&server.name) else {
                    continue;
                };
                if memory.samples.len() == SAMPLES {
                    memory.samples.pop_front();
                }
                memory.samples.push_back(Sample {
                    cps: server.cps as f32,
                    in_bps: server.in_bps as f32,
                    out_bps: server.out_bps as f32,
                });
                if let (Some(text), Some(at)) = (&server.last_check, server.last_check_unix_ms) {
                    if memory.checks.back().is_none_or(|last| last.unix_ms != at) {
                        if memory.checks.len() == CHECKS {
                            memory.checks.pop_front();
                        }
                        memory.checks.push_back(CheckRecord {
                            unix_ms: at,
                            text: text.clone(),
                            health: server.health,
                        });
                    }
                }
                if server.drained && memory.active > 0 && server.active == 0 {
                    notices.push(format!(
                        "{}/{} is drained and empty: no active connections left",
                        service.name, server.name
                    ));
                }
                memory.active = server.active;
            }
        }
        notices
    }

    /// What is remembered of a server.
    pub fn server(&self, node: usize, service: &str, server: &str) -> Option<&ServerHistory> {
        self.nodes.get(node)?.services.get(service)?.get(server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::snapshot;

    #[test]
    fn samples_and_checks_accumulate_once_per_publish() {
        let mut history = History::default();
        let mut snap = snapshot();
        history.observe(0, &snap);
        history.observe(0, &snap);
        snap.unix_ms += 500;
        snap.services[0].servers[0].last_check_unix_ms = Some(2_000);
        snap.services[0].servers[0].last_check = Some("connect: refused".into());
        history.observe(0, &snap);
        let rs1 = history.server(0, "web", "rs1").unwrap();
        assert_eq!(rs1.samples.len(), 2);
        let texts: Vec<_> = rs1.checks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["ok", "connect: refused"]);
        for _ in 0..SAMPLES * 2 {
            snap.unix_ms += 500;
            history.observe(0, &snap);
        }
        assert_eq!(
            history.server(0, "web", "rs1").unwrap().samples.len(),
            SAMPLES
        );
    }

    #[test]
    fn a_drained_server_reaching_zero_active_is_announced_once() {
        let mut history = History::default();
        let mut snap = snapshot();
        snap.services[0].servers[0].drained = true;
        assert!(history.observe(0, &snap).is_empty());
        snap.unix_ms += 500;
        snap.services[0].servers[0].active = 0;
        assert_eq!(
            history.observe(0, &snap),
            ["web/rs1 is drained and empty: no active connections left"]
        );
        snap.unix_ms += 500;
        assert!(history.observe(0, &snap).is_empty());
    }
}
