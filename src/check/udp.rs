//! UDP_CHECK: send `payload` to the server's port. With `require_reply` a
//! reply must come back within the timeout (and start with the expected
//! bytes, when given); without it, silence is fine and only an ICMP port
//! unreachable (a refused connected socket) fails the check.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use super::net::{self, Endpoint};
use crate::config::checker_options::{timed, with_probe_options, CheckTiming, Timed};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::checks_map::read_network;
use crate::config::keepalived::export::write_timing;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::{HexBytes, Port};

/// What a UDP_CHECK sends and expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpProbe {
    /// The datagram sent.
    pub payload: Vec<u8>,
    /// `None`: no reply needed; `Some(prefix)`: a reply starting with it.
    pub require_reply: Option<Vec<u8>>,
}

/// Probe the endpoint once.
pub async fn probe(
    to: impl Into<Endpoint>,
    probe: &UdpProbe,
    timeout: Duration,
) -> Result<(), String> {
    let to: Endpoint = to.into();
    let socket = net::udp(to).await?;
    socket
        .send(&probe.payload)
        .await
        .map_err(|e| format!("udp send to {to}: {e}"))?;
    let mut reply = vec![0u8; 64 * 1024];
    match tokio::time::timeout(timeout, socket.recv(&mut reply)).await {
        Ok(Ok(n)) => match &probe.require_reply {
            Some(expected) if !reply[..n].starts_with(expected) => Err(format!(
                "udp {to}: the reply does not start with the expected {} bytes",
                expected.len()
            )),
            _ => Ok(()),
        },
        Ok(Err(e)) => Err(format!("udp {to}: {e}")),
        Err(_) if probe.require_reply.is_some() => {
            Err(format!("udp {to}: no reply within {timeout:?}"))
        }
        Err(_) => Ok(()),
    }
}

with_probe_options! {
    /// keepalived's UDP_CHECK: a datagram to the server's port.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct UdpCheck {
        /// Port to send to; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// The datagram, in hex; empty when absent.
        pub payload: Option<HexBytes>,
        /// Require a reply: `""` any reply, or the hex it must start with.
        pub require_reply: Option<HexBytes>,
    }
}

timed!(UdpCheck);

impl Kind for UdpCheck {
    type Probe = UdpProbe;
    const KEYWORD: &'static str = "UDP_CHECK";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<UdpCheck> {
        let (mut payload, mut require_reply) = (None, None);
        let extra = ["payload", "require_reply"];
        let mut check: UdpCheck = read_network(reader, node, defaults, &extra, |reader, item| {
            match item.keyword.text.as_str() {
                "payload" => {
                    if let Some(token) = reader.value(item) {
                        match token.text.parse() {
                            Ok(bytes) => payload = Some(bytes),
                            Err(message) => {
                                reader.error(&token.at, format!("UDP_CHECK: {message}"))
                            }
                        }
                    }
                }
                // Bare, it asks for any reply; with hex, a reply that starts so.
                "require_reply" => match item.args.first().map(|t| (t.text.parse(), &t.at)) {
                    None => require_reply = Some(HexBytes::default()),
                    Some((Ok(bytes), _)) => require_reply = Some(bytes),
                    Some((Err(message), at)) => reader.error(at, format!("UDP_CHECK: {message}")),
                },
                _ => return false,
            }
            true
        });
        check.payload = payload;
        check.require_reply = require_reply;
        Some(check)
    }

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        if let Some(payload) = &self.payload {
            out.push_str(&format!("            payload {payload}\n"));
        }
        if let Some(reply) = &self.require_reply {
            let line = format!("            require_reply {reply}");
            out.push_str(line.trim_end());
            out.push('\n');
        }
        write_timing(out, self.timing());
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, UdpProbe)> {
        let probe = UdpProbe {
            payload: self.payload.clone().unwrap_or_default().0,
            require_reply: self.require_reply.clone().map(|h| h.0),
        };
        Some((self.timing(), probe))
    }
}

impl Run for UdpProbe {
    async fn run(&self, target: Target) -> Outcome {
        probe(target.endpoint, self, target.timeout).await.into()
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::UdpSocket;

    use super::*;

    #[tokio::test]
    async fn a_reply_is_required_only_when_asked_and_refusal_fails() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let at = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = [0u8; 64];
            while let Ok((_, from)) = server.recv_from(&mut buffer).await {
                let _ = server.send_to(b"PONG", from).await;
            }
        });
        let timeout = Duration::from_millis(500);
        let ask = |reply: Option<&[u8]>| UdpProbe {
            payload: b"PING".to_vec(),
            require_reply: reply.map(<[u8]>::to_vec),
        };
        assert_eq!(probe(at, &ask(Some(b"PO")), timeout).await, Ok(()));
        assert!(probe(at, &ask(Some(b"NO")), timeout).await.is_err());
        // A closed port answers with ICMP port unreachable.
        let closed = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let closed_at = closed.local_addr().unwrap();
        drop(closed);
        assert!(probe(closed_at, &ask(None), timeout).await.is_err());
    }
}
