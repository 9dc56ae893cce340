//! The time an input is handled at, read once by the shell and handed to
//! the engine's state: the core never reads a clock of its own, so a test
//! can drive it on a fake one.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// One reading of both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The monotonic clock, for deadlines and intervals.
    pub at: Instant,
    /// The wall clock, ms since the Unix epoch, for what operators read.
    pub unix_ms: u64,
}

impl Now {
    /// Read both clocks (the shell's job).
    pub fn read() -> Now {
        Now {
            at: Instant::now(),
            unix_ms: unix_ms(),
        }
    }
}

/// The wall clock alone, ms since the Unix epoch: for shells that stamp
/// what they hand the engine (a check's finishing time) or write (logs).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    //! The engine's state driven on a fake clock: every time it shows is
    //! one it was given, so these runs are the same on any machine.

    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;
    use crate::check::runner::CheckReport;
    use crate::engine::command::{Command, Request};
    use crate::engine::state::{EngineState, ALERT_LINGER_MS};
    use crate::ipvs::model::Health;

    const CONFIG: &str = "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\n\
        virtual_router_id = 51\npriority = 150\nvirtual_ipaddress = [\"192.0.2.50\"]\n\
        [[virtual_server]]\nname = \"web\"\naddress = \"192.0.2.50\"\nport = 80\n\
        [[virtual_server.real_server]]\nname = \"rs1\"\naddress = \"192.0.2.21\"\nport = 80\n\
        [virtual_server.real_server.tcp_check]\n";

    /// A fixed origin: the fake clock starts here.
    const T0_MS: u64 = 1_700_000_000_000;

    fn state() -> (EngineState, Instant) {
        let config = crate::config::parse_str("t.toml", CONFIG).unwrap();
        let t0 = Instant::now();
        let origin = Now {
            at: t0,
            unix_ms: T0_MS,
        };
        let own = [Ipv4Addr::new(192, 0, 2, 11).into()];
        (EngineState::new(&config, "d1".into(), &own, origin), t0)
    }

    fn at(t0: Instant, ms: u64) -> Now {
        Now {
            at: t0 + Duration::from_millis(ms),
            unix_ms: T0_MS + ms,
        }
    }

    fn down_report(state: &EngineState, finished_unix_ms: u64) -> CheckReport {
        CheckReport {
            checker: state.services[0].servers[0].checker(0),
            result: Err("connect 192.0.2.21:80: Connection refused".into()),
            weight: None,
            changed: Some(Health::Down),
            log_failure: false,
            took: Duration::from_millis(2),
            finished_unix_ms,
        }
    }

    #[test]
    fn events_carry_the_time_of_their_input_and_are_logged_once() {
        let (mut state, t0) = state();
        state.set_clock(at(t0, 1_500));
        let drain = Request {
            command: Command::Drain {
                service: "web".into(),
                server: "rs1".into(),
            },
            origin: "test".into(),
        };
        let now = state.now().at;
        state.apply(&drain, now).0.unwrap();
        state.set_clock(at(t0, 4_000));
        state.on_check(down_report(&state, T0_MS + 3_900));
        let events: Vec<(u64, String)> = state
            .journal
            .events()
            .map(|e| (e.unix_ms - T0_MS, e.text.clone()))
            .collect();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].0, 1_500, "the drain at its input's time");
        assert!(events[0].1.contains("web/rs1: drained"), "{events:?}");
        assert_eq!(
            events[1].0, 4_000,
            "the health change when the engine took it"
        );
        assert!(events[1].1.starts_with("web/rs1 is Down"), "{events:?}");
        let logged = state.journal.take_unlogged();
        assert_eq!(logged.len(), 2);
        assert!(
            state.journal.take_unlogged().is_empty(),
            "each event is logged once"
        );
        let snapshot = state.snapshot();
        assert_eq!(snapshot.unix_ms, T0_MS + 4_000);
        let server = snapshot.server("web", "rs1").unwrap();
        assert_eq!(
            server.last_check_unix_ms,
            Some(T0_MS + 3_900),
            "the check's own finishing time, not the engine's"
        );
    }

    #[test]
    fn an_alert_lingers_for_its_time_on_the_injected_clock() {
        let (mut state, t0) = state();
        let peer = Ipv4Addr::new(192, 0, 2, 12).into();
        state.instances[0].raise(
            "auth_mismatch",
            peer,
            "password differs".into(),
            T0_MS + 100,
        );
        state.set_clock(at(t0, 100 + ALERT_LINGER_MS - 1));
        assert_eq!(state.snapshot().instances[0].alerts.len(), 1, "still shown");
        state.set_clock(at(t0, 100 + ALERT_LINGER_MS));
        assert!(
            state.snapshot().instances[0].alerts.is_empty(),
            "gone once it lingered its time"
        );
    }

    #[test]
    fn rates_are_per_second_of_the_injected_clock() {
        let (mut state, t0) = state();
        state.sample_rates(t0);
        let stats = state.services[0].servers[0].stats.clone();
        stats
            .conns
            .fetch_add(800, std::sync::atomic::Ordering::Relaxed);
        // 800 connections over two seconds of the fake clock: 400 a second,
        // of which the smoothed estimate takes a quarter at its first step.
        let later = t0 + Duration::from_secs(2);
        state.set_clock(at(t0, 2_000));
        state.sample_rates(later);
        let snapshot = state.snapshot();
        let server = snapshot.server("web", "rs1").unwrap();
        assert_eq!(server.cps, 100.0);
    }
}
