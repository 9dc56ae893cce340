//! ICMP echo (PING_CHECK, and VRRP's split-brain guard), IPv4 and IPv6, over
//! a raw socket.

use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use serde::{Deserialize, Serialize};

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use crate::checksum::checksum;
use crate::config::checker_options::{timed, with_probe_options, CheckTiming, Timed};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::checks_map::read_network;
use crate::config::keepalived::export::write_timing;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;

static SEQUENCE: AtomicU16 = AtomicU16::new(1);

/// An echo request with this identifier and sequence number.
pub fn echo_request(ipv6: bool, id: u16, sequence: u16) -> Vec<u8> {
    let kind = if ipv6 { 128 } else { 8 };
    let mut message = vec![kind, 0, 0, 0];
    message.extend_from_slice(&id.to_be_bytes());
    message.extend_from_slice(&sequence.to_be_bytes());
    message.extend_from_slice(b"director");
    if !ipv6 {
        // ICMPv6 checksums are the kernel's job; ICMPv4 ones are ours.
        let sum = checksum(&[&message]);
        message[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    message
}

/// Whether `packet` (IPv4: with its IP header) is the reply to our request.
pub fn is_reply(packet: &[u8], ipv6: bool, id: u16, sequence: u16) -> bool {
    let icmp = if ipv6 {
        packet
    } else {
        let header = usize::from(packet.first().map_or(0, |b| b & 0x0f)) * 4;
        packet.get(header..).unwrap_or(&[])
    };
    let reply_type = if ipv6 { 129 } else { 0 };
    icmp.len() >= 8
        && icmp[0] == reply_type
        && u16::from_be_bytes([icmp[4], icmp[5]]) == id
        && u16::from_be_bytes([icmp[6], icmp[7]]) == sequence
}

/// Send one echo request to `target` and wait up to `timeout` for its reply.
pub async fn ping(target: IpAddr, source: Option<IpAddr>, timeout: Duration) -> Result<(), String> {
    let exchange = async {
        let ipv6 = target.is_ipv6();
        let (domain, protocol) = if ipv6 {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        let socket = Socket::new(domain, Type::RAW, Some(protocol)).map_err(|e| e.to_string())?;
        socket.set_nonblocking(true).map_err(|e| e.to_string())?;
        if let Some(source) = source {
            socket
                .bind(&SockAddr::from(SocketAddr::new(source, 0)))
                .map_err(|e| format!("bind ping to {source}: {e}"))?;
        }
        let id = (std::process::id() & 0xffff) as u16;
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        socket
            .send_to(
                &echo_request(ipv6, id, sequence),
                &SockAddr::from(SocketAddr::new(target, 0)),
            )
            .map_err(|e| e.to_string())?;
        // SAFETY: the socket owns its descriptor until the AsyncFd drops it.
        let socket = unsafe { AsyncFd::register(socket) }.map_err(|e| e.to_string())?;
        let mut buffer = [0u8; 1500];
        loop {
            let mut guard = socket.readable().await.map_err(|e| e.to_string())?;
            match guard.try_io(|inner| inner.get_ref().read(&mut buffer)) {
                Ok(Ok(n)) if is_reply(&buffer[..n], ipv6, id, sequence) => return Ok(()),
                Ok(Ok(_)) | Err(_) => continue,
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(Err(e)) => return Err(e.to_string()),
            }
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no echo reply from {target} within {timeout:?}")))
}

with_probe_options! {
    /// keepalived's PING_CHECK: healthy when the server answers an ICMP echo.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PingCheck {
    }
}

timed!(PingCheck, without connect_port);

/// A PING_CHECK's probe: an echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingProbe;

impl Kind for PingCheck {
    type Probe = PingProbe;
    const KEYWORD: &'static str = "PING_CHECK";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<PingCheck> {
        Some(read_network(reader, node, defaults, &[], |_, _| false))
    }

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        write_timing(out, self.timing());
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, PingProbe)> {
        Some((self.timing(), PingProbe))
    }
}

impl Run for PingProbe {
    async fn run(&self, target: Target) -> Outcome {
        let source = target.endpoint.bind.map(|b| b.ip());
        ping(target.endpoint.target.ip(), source, target.timeout)
            .await
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_checksums_verify() {
        let request = echo_request(false, 0x1234, 7);
        assert_eq!(checksum(&[&request]), 0);
        assert_eq!(request[0], 8);
        assert_eq!(echo_request(true, 1, 1)[0], 128);
    }

    #[test]
    fn replies_are_matched_by_id_and_sequence() {
        let mut reply = echo_request(true, 9, 3);
        reply[0] = 129;
        assert!(is_reply(&reply, true, 9, 3));
        assert!(!is_reply(&reply, true, 9, 4));
        let mut v4 = vec![0x45; 20];
        v4.extend_from_slice(&[0, 0, 0, 0, 0, 9, 0, 3]);
        assert!(is_reply(&v4, false, 9, 3));
    }

    #[tokio::test]
    async fn loopback_answers_when_raw_sockets_are_allowed() {
        match Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)) {
            Ok(_) => assert_eq!(
                ping("127.0.0.1".parse().unwrap(), None, Duration::from_secs(2)).await,
                Ok(())
            ),
            // Under CI (CI set) a missing permission fails: the probe must
            // have been seen to work, never passed by skipping.
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("ping over loopback needs raw ICMP sockets (root), and CI must run it: {e}")
            }
            Err(e) => eprintln!("SKIPPED ping over loopback: raw ICMP needs root: {e}"),
        }
    }
}
