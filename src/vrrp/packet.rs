//! VRRP advertisement codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) over IPv4.
//!
//! Encoding and decoding are pure; the checksum rules differ by version: v2
//! sums the VRRP message alone, v3 also sums the IPv4 or IPv6 pseudo-header.
//! VRRPv2 exists only over IPv4; VRRPv3 carries IPv4 or IPv6 addresses, the
//! family being that of the IP header.

use std::fmt;

use crate::checksum::checksum;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IANA-assigned IPv4 multicast group for VRRP.
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IANA-assigned IPv6 multicast group for VRRP (link-local scope).
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// The IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;

/// Protocol version carried in the high nibble of the first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Version {
    /// RFC 3768: advert interval in seconds, optional simple-password auth.
    V2,
    /// RFC 5798: advert interval in centiseconds, no auth, pseudo-header checksum.
    V3,
}

/// VRRPv2 authentication (RFC 3768 §5.3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Type 0: no authentication.
    None,
    /// Type 1: simple text password, at most 8 bytes (keepalived truncates).
    Pass([u8; 8]),
}

impl Auth {
    /// A PASS authentication from a password, truncated to 8 bytes as keepalived does.
    pub fn pass(password: &str) -> Auth {
        let mut bytes = [0u8; 8];
        for (slot, byte) in bytes.iter_mut().zip(password.bytes()) {
            *slot = byte;
        }
        Auth::Pass(bytes)
    }
}

/// One decoded advertisement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// Protocol version.
    pub version: Version,
    /// Virtual router identifier, 1..=255.
    pub vrid: u8,
    /// Sender priority; 0 means the master is giving up.
    pub priority: u8,
    /// Advertisement interval in centiseconds (v2 seconds are converted).
    pub interval_cs: u16,
    /// The virtual addresses the sender protects (all of the IP header's family).
    pub addresses: Vec<IpAddr>,
    /// v2 authentication; always `Auth::None` for v3.
    pub auth: Auth,
}

/// Why a received packet was rejected. Each reason is counted separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DecodeError {
    /// Shorter than the fixed header or the address list it announces.
    Truncated,
    /// Version nibble is neither 2 nor 3.
    BadVersion,
    /// Type nibble is not 1 (ADVERTISEMENT).
    BadType,
    /// The checksum does not verify.
    BadChecksum,
    /// v2 authentication type is not one this codec knows.
    BadAuthType,
    /// VRRPv2 over IPv6, which does not exist.
    V2OverIpv6,
}

impl DecodeError {
    /// A stable, short name used as a counter key.
    pub fn name(self) -> &'static str {
        match self {
            DecodeError::Truncated => "truncated",
            DecodeError::BadVersion => "bad_version",
            DecodeError::BadType => "bad_type",
            DecodeError::BadChecksum => "bad_checksum",
            DecodeError::BadAuthType => "bad_auth_type",
            DecodeError::V2OverIpv6 => "v2_over_ipv6",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The addresses of the IP header that a v3 checksum covers; their family
/// is the family of the advertised addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PseudoHeader {
    /// IP source address.
    pub source: IpAddr,
    /// IP destination address.
    pub destination: IpAddr,
}

impl PseudoHeader {
    fn address_len(&self) -> usize {
        if self.source.is_ipv4() {
            4
        } else {
            16
        }
    }
}

fn push_address(out: &mut Vec<u8>, address: &IpAddr) {
    match address {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

fn read_address(bytes: &[u8]) -> IpAddr {
    match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default()),
        _ => IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()),
    }
}

/// Encode an advertisement into its IP payload bytes.
///
/// v2 intervals are rounded down to whole seconds (minimum 1).
pub fn encode(advert: &Advert, pseudo: PseudoHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 4 * advert.addresses.len() + 8);
    let count = advert.addresses.len() as u8;
    match advert.version {
        Version::V2 => {
            let (auth_type, auth_data) = match &advert.auth {
                Auth::None => (0u8, [0u8; 8]),
                Auth::Pass(bytes) => (1u8, *bytes),
            };
            let seconds = (advert.interval_cs / 100).clamp(1, 255) as u8;
            out.extend_from_slice(&[0x21, advert.vrid, advert.priority, count]);
            out.extend_from_slice(&[auth_type, seconds, 0, 0]);
            for address in &advert.addresses {
                push_address(&mut out, address);
            }
            out.extend_from_slice(&auth_data);
            let sum = checksum(&[&out]);
            out[6..8].copy_from_slice(&sum.to_be_bytes());
        }
        Version::V3 => {
            let interval = advert.interval_cs & 0x0fff;
            out.extend_from_slice(&[0x31, advert.vrid, advert.priority, count]);
            out.extend_from_slice(&interval.to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            for address in &advert.addresses {
                push_address(&mut out, address);
            }
            let sum = checksum(&[&pseudo_header(pseudo, out.len()), &out]);
            out[6..8].copy_from_slice(&sum.to_be_bytes());
        }
    }
    out
}

/// Decode and verify an advertisement from its IP payload bytes.
pub fn decode(bytes: &[u8], pseudo: PseudoHeader) -> Result<Advert, DecodeError> {
    if bytes.len() < 8 {
        return Err(DecodeError::Truncated);
    }
    let version = match bytes[0] >> 4 {
        2 => Version::V2,
        3 => Version::V3,
        _ => return Err(DecodeError::BadVersion),
    };
    if bytes[0] & 0x0f != 1 {
        return Err(DecodeError::BadType);
    }
    if version == Version::V2 && pseudo.source.is_ipv6() {
        return Err(DecodeError::V2OverIpv6);
    }
    let count = bytes[3] as usize;
    let address_len = pseudo.address_len();
    let auth_len = if version == Version::V2 { 8 } else { 0 };
    let needed = 8 + address_len * count + auth_len;
    if bytes.len() < needed {
        return Err(DecodeError::Truncated);
    }
    let message = &bytes[..needed];
    let valid = match version {
        Version::V2 => checksum(&[message]) == 0,
        Version::V3 => checksum(&[&pseudo_header(pseudo, needed), message]) == 0,
    };
    if !valid {
        return Err(DecodeError::BadChecksum);
    }
    let addresses = message[8..8 + address_len * count]
        .chunks_exact(address_len)
        .map(read_address)
        .collect();
    let (interval_cs, auth) = match version {
        Version::V2 => {
            let auth = match message[4] {
                0 => Auth::None,
                1 => {
                    let mut data = [0u8; 8];
                    data.copy_from_slice(&message[needed - 8..needed]);
                    Auth::Pass(data)
                }
                _ => return Err(DecodeError::BadAuthType),
            };
            (u16::from(message[5]) * 100, auth)
        }
        Version::V3 => (
            u16::from_be_bytes([message[4], message[5]]) & 0x0fff,
            Auth::None,
        ),
    };
    Ok(Advert {
        version,
        vrid: message[1],
        priority: message[2],
        interval_cs,
        addresses,
        auth,
    })
}

/// The pseudo-header of RFC 768 (IPv4) or RFC 8200 §8.1 (IPv6).
fn pseudo_header(pseudo: PseudoHeader, length: usize) -> Vec<u8> {
    let mut header = Vec::with_capacity(40);
    push_address(&mut header, &pseudo.source);
    push_address(&mut header, &pseudo.destination);
    if pseudo.source.is_ipv4() {
        header.extend_from_slice(&[0, IPPROTO_VRRP]);
        header.extend_from_slice(&(length as u16).to_be_bytes());
    } else {
        header.extend_from_slice(&(length as u32).to_be_bytes());
        header.extend_from_slice(&[0, 0, 0, IPPROTO_VRRP]);
    }
    header
}

#[cfg(test)]
mod tests;
