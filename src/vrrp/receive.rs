//! Receive-side validation (RFC 5798 §7.1, RFC 3768 §7.1): which packets
//! reach the state machine, the named reason for each one that does not, and
//! what a peer disagrees with us about (keepalived only logs that, and the
//! pair ends in split brain; director shows it as an alert).

use std::net::IpAddr;

use super::net::Received;
use super::packet::{decode, Advert, Auth, PseudoHeader, Version};

/// What this instance expects of its peers' adverts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Our VRID.
    pub vrid: u8,
    /// Our protocol version.
    pub version: Version,
    /// Our authentication (v2).
    pub auth: Auth,
    /// Our advert interval in centiseconds.
    pub interval_cs: u16,
    /// Our advertised addresses.
    pub addresses: Vec<IpAddr>,
}

/// Something a peer's advert disagrees with us about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// "version", "auth", "interval" or "addresses".
    pub kind: &'static str,
    /// What differs, for the operator.
    pub detail: String,
}

/// The outcome of validating one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Pass it to the state machine; the mismatches are worth an alert.
    Accept(Advert, Vec<Mismatch>),
    /// Drop it, counting `reason`; a mismatch is worth an alert.
    Drop(&'static str, Option<Mismatch>),
}

/// Validate a received packet against what the instance expects.
pub fn check(received: &Received, expected: &Expectation) -> Verdict {
    if received.ttl != 255 {
        return Verdict::Drop("ttl", None);
    }
    let pseudo = PseudoHeader {
        source: received.source,
        destination: received.destination,
    };
    let advert = match decode(&received.payload, pseudo) {
        Ok(advert) => advert,
        Err(e) => return Verdict::Drop(e.name(), None),
    };
    if advert.vrid != expected.vrid {
        return Verdict::Drop("other_vrid", None);
    }
    if advert.version != expected.version {
        let detail = format!(
            "peer speaks VRRP{:?}, this instance {:?}",
            advert.version, expected.version
        );
        return Verdict::Drop(
            "version_mismatch",
            Some(Mismatch {
                kind: "version",
                detail,
            }),
        );
    }
    if advert.version == Version::V2 && advert.auth != expected.auth {
        let detail = match (&advert.auth, &expected.auth) {
            (Auth::None, _) => {
                "peer sends no authentication, this instance expects a password".into()
            }
            (_, Auth::None) => "peer sends a password, this instance expects none".into(),
            _ => "peer's password differs".into(),
        };
        return Verdict::Drop(
            "auth_mismatch",
            Some(Mismatch {
                kind: "auth",
                detail,
            }),
        );
    }
    let mut mismatches = Vec::new();
    if advert.interval_cs != expected.interval_cs {
        let detail = format!(
            "peer advertises every {} ms, this instance every {} ms",
            u32::from(advert.interval_cs) * 10,
            u32::from(expected.interval_cs) * 10
        );
        let mismatch = Mismatch {
            kind: "interval",
            detail,
        };
        // RFC 3768 requires v2 to discard; v3 learns the master's interval.
        if advert.version == Version::V2 {
            return Verdict::Drop("interval_mismatch", Some(mismatch));
        }
        mismatches.push(mismatch);
    }
    if advert.priority != 0 && !same_set(&advert.addresses, &expected.addresses) {
        let list = |a: &[IpAddr]| {
            a.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let detail = format!(
            "peer protects [{}], this instance [{}]",
            list(&advert.addresses),
            list(&expected.addresses)
        );
        mismatches.push(Mismatch {
            kind: "addresses",
            detail,
        });
    }
    Verdict::Accept(advert, mismatches)
}

fn same_set(a: &[IpAddr], b: &[IpAddr]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

#[cfg(test)]
mod tests;
