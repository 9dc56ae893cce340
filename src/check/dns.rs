//! DNS_CHECK: ask the server for `name`'s records of `type` over UDP. It is
//! healthy when an answer with the query's id comes back with no error and
//! at least one answer record.

use serde::{Deserialize, Serialize};

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use super::net::{self, Endpoint};
use crate::config::checker_options::{timed, with_probe_options, CheckTiming, Timed};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::checks_map::read_network;
use crate::config::keepalived::export::write_timing;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::{DnsType, Port};
use std::time::Duration;

/// A query for `name` (dotted; "." is the root) of `kind`, with `id`.
pub fn query(id: u16, name: &str, kind: u16) -> Result<Vec<u8>, String> {
    let mut packet = Vec::with_capacity(32 + name.len());
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&[0x01, 0x00]); // recursion desired
    packet.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        if label.len() > 63 {
            return Err(format!("DNS label {label:?} is longer than 63 bytes"));
        }
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    packet.extend_from_slice(&kind.to_be_bytes());
    packet.extend_from_slice(&[0, 1]); // class IN
    Ok(packet)
}

/// Whether `reply` answers query `id` without error and with answers.
pub fn judge(reply: &[u8], id: u16) -> Result<(), String> {
    if reply.len() < 12 {
        return Err("dns: a reply shorter than its header".into());
    }
    if u16::from_be_bytes([reply[0], reply[1]]) != id {
        return Err("dns: a reply to another query".into());
    }
    if reply[2] & 0x80 == 0 {
        return Err("dns: not a response".into());
    }
    let rcode = reply[3] & 0x0f;
    if rcode != 0 {
        return Err(format!("dns: response code {rcode}"));
    }
    let answers = u16::from_be_bytes([reply[6], reply[7]]);
    if answers == 0 {
        return Err("dns: no answer records".into());
    }
    Ok(())
}

/// Probe `target` once.
pub async fn probe(
    to: impl Into<Endpoint>,
    name: &str,
    kind: u16,
    timeout: Duration,
) -> Result<(), String> {
    let id = (std::process::id() as u16) ^ (kind << 3);
    let packet = query(id, name, kind)?;
    let to: Endpoint = to.into();
    let socket = net::udp(to).await?;
    socket
        .send(&packet)
        .await
        .map_err(|e| format!("dns send to {to}: {e}"))?;
    let mut reply = [0u8; 4096];
    match tokio::time::timeout(timeout, socket.recv(&mut reply)).await {
        Ok(Ok(n)) => judge(&reply[..n], id).map_err(|e| format!("{e} from {to}")),
        Ok(Err(e)) => Err(format!("dns {to}: {e}")),
        Err(_) => Err(format!("dns {to}: no reply within {timeout:?}")),
    }
}

with_probe_options! {
    /// keepalived's DNS_CHECK: a query that must be answered.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct DnsCheck {
        /// Port to query; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// Record type (A, NS, CNAME, SOA, MX, TXT, AAAA); SOA when absent.
        #[serde(rename = "type")]
        pub record_type: Option<DnsType>,
        /// The name asked for; the root (".") when absent.
        pub name: Option<String>,
    }
}

timed!(DnsCheck);

/// A DNS_CHECK's probe: the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsProbe {
    /// The name asked for.
    pub name: String,
    /// The record type's number.
    pub kind: u16,
}

impl Kind for DnsCheck {
    type Probe = DnsProbe;
    const KEYWORD: &'static str = "DNS_CHECK";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<DnsCheck> {
        let (mut kind, mut name) = (None, None);
        let extra = ["type", "name"];
        let mut check: DnsCheck = read_network(reader, node, defaults, &extra, |reader, item| {
            match item.keyword.text.as_str() {
                "type" => {
                    if let Some(token) = reader.value(item) {
                        match token.text.parse() {
                            Ok(parsed) => kind = Some(parsed),
                            Err(message) => reader.error(&token.at, message),
                        }
                    }
                }
                "name" => name = reader.value(item).map(|t| t.text.clone()),
                _ => return false,
            }
            true
        });
        check.record_type = kind;
        check.name = name;
        Some(check)
    }

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        if let Some(kind) = &self.record_type {
            out.push_str(&format!("            type {kind}\n"));
        }
        if let Some(name) = &self.name {
            out.push_str(&format!("            name {name}\n"));
        }
        write_timing(out, self.timing());
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, DnsProbe)> {
        let probe = DnsProbe {
            name: self.name.clone().unwrap_or_else(|| ".".into()),
            kind: self.record_type.unwrap_or(DnsType::SOA).number(),
        };
        Some((self.timing(), probe))
    }
}

impl Run for DnsProbe {
    async fn run(&self, target: Target) -> Outcome {
        probe(target.endpoint, &self.name, self.kind, target.timeout)
            .await
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_encode_the_name_as_labels() {
        let q = query(0x1234, "www.example.org", 1).unwrap();
        assert_eq!(&q[..2], &[0x12, 0x34]);
        assert_eq!(&q[12..17], b"\x03www\x07");
        assert_eq!(&q[q.len() - 4..], &[0, 1, 0, 1]);
        let root = query(1, ".", 6).unwrap();
        assert_eq!(root.len(), 12 + 1 + 4);
    }

    #[test]
    fn replies_are_judged_by_id_code_and_answers() {
        let mut reply = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        assert_eq!(judge(&reply, 0x1234), Ok(()));
        assert!(judge(&reply, 0x9999).is_err());
        reply[3] = 0x83; // NXDOMAIN
        assert!(judge(&reply, 0x1234).unwrap_err().contains("code 3"));
        reply[3] = 0x80;
        reply[7] = 0;
        assert!(judge(&reply, 0x1234).unwrap_err().contains("no answer"));
    }
}
