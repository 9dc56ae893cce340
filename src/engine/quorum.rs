//! Service quorums: after every table change each service's live weight is
//! compared with its quorum; gaining or losing it is journaled and runs
//! `quorum_up` or `quorum_down`. Under `omega`, stopping director runs
//! `quorum_down` for services that still had their quorum.

use super::journal::EventKind;
use super::state::EngineState;
use crate::check::quorum::QuorumChange;

impl EngineState {
    /// Re-evaluate every service's quorum, queueing scripts for changes.
    pub fn refresh_quorums(&mut self) {
        for service in self.services.iter_mut() {
            let live = service.live_weight();
            let Some(change) = service.quorum.observe(live) else {
                continue;
            };
            let name = service.config.display_name();
            let (word, script) = match change {
                QuorumChange::Gained => ("gained", &service.config.quorum_up),
                QuorumChange::Lost => ("lost", &service.config.quorum_down),
            };
            let sorry = match (&service.config.sorry_server, service.sorry_active()) {
                (Some(s), true) => format!("; sorry server {}:{} stands in", s.address, s.port),
                _ => String::new(),
            };
            self.journal.record(
                EventKind::Health,
                format!(
                    "{name}: quorum {word} (live weight {live}, quorum {}){sorry}",
                    service.config.quorum
                ),
            );
            self.pending_scripts.extend(script.clone());
        }
    }

    /// The scripts queued since the last call.
    pub fn take_scripts(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending_scripts)
    }

    /// `quorum_down` of every `omega` service that has its quorum now.
    pub fn omega_scripts(&self) -> Vec<String> {
        self.services
            .iter()
            .filter(|s| s.config.omega && s.quorum.is_up())
            .filter_map(|s| s.config.quorum_down.clone())
            .collect()
    }
}
