//! Check reports into the engine state: each checker's verdict, their
//! combination, `misc_dynamic` weights, and the journal entry.

use super::journal::EventKind;
use super::state::EngineState;
use crate::check::runner::CheckReport;
use crate::ipvs::model::Health;

/// Down if any checker is down, up when every checker is up, unknown
/// otherwise (treated as up by the table).
pub fn combined(verdicts: &[Health]) -> Health {
    if verdicts.contains(&Health::Down) {
        Health::Down
    } else if !verdicts.is_empty() && verdicts.iter().all(|h| *h == Health::Up) {
        Health::Up
    } else {
        Health::Unknown
    }
}

impl EngineState {
    /// Take a check result; returns whether the data-plane table changed.
    pub fn on_check(&mut self, report: CheckReport) -> bool {
        // From a server gone since (a reload, an operator's removal).
        let Some((s, r)) = self.locate(report.checker.server) else {
            return false;
        };
        let service = &mut self.services[s];
        let service_config = &service.config;
        let server = &mut service.servers[r];
        // From checkers stopped since (a reload changed them, suspended):
        // not this server's verdict any more.
        if report.checker.run != server.checkers_run {
            return false;
        }
        // Names are built only for the journal: most reports change nothing.
        let names = |server: &super::state::ServerRuntime| {
            (service_config.display_name(), server.config.display_name())
        };
        server.checks_run += 1;
        server.last_check_took = Some(report.took);
        let passed = report.result.is_ok();
        if passed {
            server.passes_in_a_row = server.passes_in_a_row.saturating_add(1);
            server.failures_in_a_row = 0;
        } else {
            server.failures_in_a_row = server.failures_in_a_row.saturating_add(1);
            server.passes_in_a_row = 0;
        }
        let text = match report.result {
            Ok(()) => "ok".to_string(),
            Err(e) => e,
        };
        match &mut server.last_check {
            // The usual case: the same result again, only newer.
            Some((last, at)) if *last == text => *at = report.finished_unix_ms,
            slot => *slot = Some((text.clone(), report.finished_unix_ms)),
        }
        let mut table_changed = false;
        if passed && report.weight.is_some() && report.weight != server.dynamic_weight {
            server.dynamic_weight = report.weight;
            table_changed = true;
            let weight = report.weight.unwrap_or_default();
            let (service_name, name) = names(server);
            self.journal.record(
                EventKind::Health,
                format!("{service_name}/{name}: weight {weight} (misc_dynamic)"),
            );
        }
        if report.log_failure && report.changed.is_none() {
            let (service_name, name) = names(server);
            let failures = server.failures_in_a_row;
            self.journal.record(
                EventKind::Health,
                format!("{service_name}/{name}: check failed ({failures} in a row): {text}"),
            );
        }
        let Some(verdict) = report.changed else {
            return table_changed;
        };
        if let Some(slot) = server.checker_health.get_mut(report.checker.slot) {
            *slot = verdict;
        }
        let health = combined(&server.checker_health);
        if health == server.health {
            return table_changed;
        }
        let placed_before = (server.in_table(), server.effective_weight());
        server.health = health;
        // Unknown counts as up: a first passing check changes nothing in the table.
        table_changed |= placed_before != (server.in_table(), server.effective_weight());
        let script = match health {
            Health::Up => server.config.notify_up.clone(),
            Health::Down => server.config.notify_down.clone(),
            Health::Unknown => None,
        };
        self.pending_scripts.extend(script);
        let (service_name, name) = names(server);
        let consequence = match (health, server.config.inhibit_on_failure) {
            (Health::Down, true) => "; weight 0 (inhibit_on_failure)",
            (Health::Down, false) => "; removed from the table",
            _ => "",
        };
        self.journal.record(
            EventKind::Health,
            format!("{service_name}/{name} is {health:?}: {text}{consequence}"),
        );
        table_changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> EngineState {
        let text = "[[virtual_server]]\nname = \"web\"\naddress = \"192.0.2.50\"\nport = 80\n\
                    [[virtual_server.real_server]]\nname = \"rs1\"\naddress = \"192.0.2.21\"\nport = 80\n\
                    [virtual_server.real_server.tcp_check]\nlog_all_failures = true\n";
        let config = crate::config::parse_str("t.toml", text).unwrap();
        EngineState::new(&config, "d1".into(), &[], crate::engine::clock::Now::read())
    }

    fn failure(state: &EngineState, log_failure: bool, changed: Option<Health>) -> CheckReport {
        CheckReport {
            checker: state.services[0].servers[0].checker(0),
            result: Err("connect: connection refused".into()),
            weight: None,
            changed,
            log_failure,
            took: std::time::Duration::from_millis(3),
            finished_unix_ms: 1_000,
        }
    }

    #[test]
    fn log_all_failures_journals_every_failure_and_a_change_once() {
        let mut state = state();
        state.on_check(failure(&state, true, None));
        state.on_check(failure(&state, true, Some(Health::Down)));
        state.on_check(failure(&state, false, None));
        let texts: Vec<_> = state.journal.events().map(|e| e.text.clone()).collect();
        assert_eq!(
            texts,
            [
                "web/rs1: check failed (1 in a row): connect: connection refused",
                "web/rs1 is Down: connect: connection refused; removed from the table",
            ]
        );
    }

    #[test]
    fn a_report_from_stopped_checkers_is_not_the_servers_verdict() {
        let mut state = state();
        let stale = failure(&state, false, Some(Health::Down));
        // The server's checkers were restarted: the new run counts.
        state.services[0].servers[0].checkers_run = crate::ids::CheckerRun::fresh();
        assert!(!state.on_check(stale));
        let server = &state.services[0].servers[0];
        assert_eq!((server.health, server.checks_run), (Health::Unknown, 0));
        let current = failure(&state, false, Some(Health::Down));
        assert!(
            state.on_check(current),
            "the current run's Down takes it out"
        );
        assert_eq!(state.services[0].servers[0].health, Health::Down);
    }

    #[test]
    fn a_report_from_a_removed_server_is_not_taken_for_the_one_now_in_its_place() {
        let text = "[[virtual_server]]\nname = \"web\"\naddress = \"192.0.2.50\"\nport = 80\n\
                    [[virtual_server.real_server]]\nname = \"rs1\"\naddress = \"192.0.2.21\"\nport = 80\n\
                    [virtual_server.real_server.tcp_check]\n\
                    [[virtual_server.real_server]]\nname = \"rs2\"\naddress = \"192.0.2.22\"\nport = 80\n\
                    [virtual_server.real_server.tcp_check]\n";
        let config = crate::config::parse_str("t.toml", text).unwrap();
        let mut state =
            EngineState::new(&config, "d1".into(), &[], crate::engine::clock::Now::read());
        let from_rs1 = CheckReport {
            changed: Some(Health::Down),
            ..failure(&state, false, None)
        };
        let remove = crate::engine::command::Request {
            command: crate::engine::command::Command::RemoveServer {
                service: "web".into(),
                server: "rs1".into(),
                force: false,
            },
            origin: "test".into(),
        };
        let (answer, effects) = state.apply(&remove, std::time::Instant::now());
        answer.unwrap();
        assert_eq!(effects.stop_checks, Some(from_rs1.checker.server));
        // rs2 now sits where rs1 was; rs1's last Down must not take it out.
        assert_eq!(state.services[0].servers[0].config.display_name(), "rs2");
        assert!(!state.on_check(from_rs1));
        assert_eq!(state.services[0].servers[0].health, Health::Unknown);
        assert_eq!(state.services[0].servers[0].checks_run, 0);
    }

    #[test]
    fn one_failing_checker_takes_the_server_down() {
        assert_eq!(combined(&[Health::Up, Health::Down]), Health::Down);
        assert_eq!(combined(&[Health::Up, Health::Up]), Health::Up);
        assert_eq!(combined(&[Health::Up, Health::Unknown]), Health::Unknown);
        assert_eq!(combined(&[]), Health::Unknown);
    }
}
