//! Receive-side validation (RFC 5798 §7.1): which packets reach the state
//! machine, and the named reason for each one that does not.

use super::net::Received;
use super::packet::{decode, Advert, PseudoHeader, Version};

/// Validate a received packet for the instance with `vrid` speaking `version`.
/// The error is the drop counter's name.
pub fn accept(received: &Received, vrid: u8, version: Version) -> Result<Advert, &'static str> {
    if received.ttl != 255 {
        return Err("ttl");
    }
    let pseudo = PseudoHeader {
        source: received.source,
        destination: received.destination,
    };
    let advert = decode(&received.payload, pseudo).map_err(|e| e.name())?;
    if advert.version != version {
        return Err("version_mismatch");
    }
    if advert.vrid != vrid {
        return Err("other_vrid");
    }
    Ok(advert)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::vrrp::packet::{encode, Auth, VRRP_GROUP_V4};

    fn packet(ttl: u8, version: Version, vrid: u8) -> Received {
        let source = Ipv4Addr::new(192, 0, 2, 12);
        let advert = Advert {
            version,
            vrid,
            priority: 100,
            interval_cs: 100,
            addresses: vec![Ipv4Addr::new(192, 0, 2, 50)],
            auth: Auth::None,
        };
        let pseudo = PseudoHeader {
            source,
            destination: VRRP_GROUP_V4,
        };
        Received {
            source,
            destination: VRRP_GROUP_V4,
            ttl,
            payload: encode(&advert, pseudo),
        }
    }

    #[test]
    fn each_drop_has_its_reason() {
        assert!(accept(&packet(255, Version::V3, 51), 51, Version::V3).is_ok());
        assert_eq!(
            accept(&packet(254, Version::V3, 51), 51, Version::V3),
            Err("ttl")
        );
        assert_eq!(
            accept(&packet(255, Version::V2, 51), 51, Version::V3),
            Err("version_mismatch")
        );
        assert_eq!(
            accept(&packet(255, Version::V3, 52), 51, Version::V3),
            Err("other_vrid")
        );
        let mut corrupt = packet(255, Version::V3, 51);
        corrupt.payload[2] ^= 0xff;
        assert_eq!(accept(&corrupt, 51, Version::V3), Err("bad_checksum"));
    }
}
