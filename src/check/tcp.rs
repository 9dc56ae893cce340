//! TCP_CHECK: healthy when a TCP connect completes within the timeout.

use std::time::Duration;

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use super::net::{self, Endpoint};
use crate::config::checker_options::{timed, with_probe_options, CheckTiming, Timed};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::checks_map::read_network;
use crate::config::keepalived::export::write_timing;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::Port;
use serde::{Deserialize, Serialize};

with_probe_options! {
    /// keepalived's TCP_CHECK: the server is healthy when a TCP connect succeeds.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TcpCheck {
        /// Port to connect to; the real server's port when absent.
        pub connect_port: Option<Port>,
    }
}

timed!(TcpCheck);

/// A TCP_CHECK's probe: a connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpProbe;

impl Kind for TcpCheck {
    type Probe = TcpProbe;
    const KEYWORD: &'static str = "TCP_CHECK";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<TcpCheck> {
        Some(read_network(reader, node, defaults, &[], |_, _| false))
    }

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        write_timing(out, self.timing());
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, TcpProbe)> {
        Some((self.timing(), TcpProbe))
    }

    fn problems(&self, around: &Around<'_>) -> Vec<String> {
        let mut problems = Vec::new();
        if around.real.port.0 == 0 && self.connect_port.is_none() {
            problems.push("a real server on port 0 needs connect_port in its check".into());
        }
        if self.connect_timeout.0.is_zero() {
            problems.push("connect_timeout must be greater than 0".into());
        }
        problems
    }
}

impl Run for TcpProbe {
    async fn run(&self, target: Target) -> Outcome {
        probe(target.endpoint, target.timeout).await.into()
    }
}

/// Connect to the endpoint; `Ok` on success, otherwise what went wrong.
pub async fn probe(to: impl Into<Endpoint>, timeout: Duration) -> Result<(), String> {
    net::connect(to.into(), timeout).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn succeeds_against_a_listener_and_names_the_target_on_refusal() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        assert_eq!(probe(open, Duration::from_secs(2)).await, Ok(()));
        drop(listener);
        let err = probe(open, Duration::from_secs(2)).await.unwrap_err();
        assert!(err.contains(&open.to_string()), "{err}");
    }
}
