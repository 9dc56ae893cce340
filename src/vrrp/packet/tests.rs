use std::net::IpAddr;

use super::*;

const VECTORS: &str = include_str!("../../../tests/vectors/vrrp/keepalived-2.2.7.txt");

struct Vector {
    name: String,
    version: Version,
    source: Ipv4Addr,
    priority: u8,
    bytes: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    VECTORS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let hex = fields[4];
            Vector {
                name: fields[0].to_string(),
                version: if fields[1] == "2" {
                    Version::V2
                } else {
                    Version::V3
                },
                source: fields[2].parse().unwrap(),
                priority: fields[3].parse().unwrap(),
                bytes: (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect(),
            }
        })
        .collect()
}

fn expected(vector: &Vector) -> Advert {
    let (interval_cs, auth) = match vector.version {
        Version::V2 => (100, Auth::pass("s3cr3t")),
        Version::V3 => (10, Auth::None),
    };
    Advert {
        version: vector.version,
        vrid: 51,
        priority: vector.priority,
        interval_cs,
        addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50))],
        auth,
    }
}

fn pseudo(source: Ipv4Addr) -> PseudoHeader {
    PseudoHeader {
        source: source.into(),
        destination: VRRP_GROUP_V4.into(),
    }
}

#[test]
fn every_keepalived_vector_decodes_to_its_named_fields() {
    let all = vectors();
    assert_eq!(all.len(), 7, "vector file changed shape");
    for vector in &all {
        let decoded = decode(&vector.bytes, pseudo(vector.source))
            .unwrap_or_else(|e| panic!("{}: {e}", vector.name));
        assert_eq!(decoded, expected(vector), "{}", vector.name);
    }
}

#[test]
fn encoding_the_named_fields_reproduces_keepalived_bytes() {
    for vector in &vectors() {
        let bytes = encode(&expected(vector), pseudo(vector.source));
        assert_eq!(bytes, vector.bytes, "{}", vector.name);
    }
}

#[test]
fn v3_checksum_depends_on_the_source_address() {
    let vector = vectors()
        .into_iter()
        .find(|v| v.name == "v3-prio150-10cs")
        .unwrap();
    let wrong_source = pseudo(Ipv4Addr::new(192, 0, 2, 99));
    assert_eq!(
        decode(&vector.bytes, wrong_source),
        Err(DecodeError::BadChecksum)
    );
}

#[test]
fn a_flipped_bit_is_a_bad_checksum() {
    for vector in &vectors() {
        let mut bytes = vector.bytes.clone();
        bytes[2] ^= 0x01;
        assert_eq!(
            decode(&bytes, pseudo(vector.source)),
            Err(DecodeError::BadChecksum),
            "{}",
            vector.name
        );
    }
}

#[test]
fn malformed_headers_are_named() {
    let source = pseudo(Ipv4Addr::new(192, 0, 2, 11));
    assert_eq!(decode(&[0x31, 1, 2], source), Err(DecodeError::Truncated));
    assert_eq!(
        decode(&[0x41, 1, 2, 0, 0, 0, 0, 0], source),
        Err(DecodeError::BadVersion)
    );
    assert_eq!(
        decode(&[0x32, 1, 2, 0, 0, 0, 0, 0], source),
        Err(DecodeError::BadType)
    );
    // Announces three addresses but carries none.
    assert_eq!(
        decode(&[0x31, 1, 2, 3, 0, 0, 0, 0], source),
        Err(DecodeError::Truncated)
    );
}

#[test]
fn password_is_truncated_to_eight_bytes() {
    assert_eq!(Auth::pass("0123456789"), Auth::Pass(*b"01234567"));
}

#[test]
fn v3_over_ipv6_round_trips_with_the_ipv6_pseudo_header() {
    let source: IpAddr = "fe80::11".parse().unwrap();
    let pseudo6 = PseudoHeader {
        source,
        destination: VRRP_GROUP_V6.into(),
    };
    let advert = Advert {
        version: Version::V3,
        vrid: 7,
        priority: 200,
        interval_cs: 25,
        addresses: vec![
            "2001:db8::50".parse().unwrap(),
            "2001:db8::51".parse().unwrap(),
        ],
        auth: Auth::None,
    };
    let bytes = encode(&advert, pseudo6);
    assert_eq!(bytes.len(), 8 + 32);
    assert_eq!(decode(&bytes, pseudo6), Ok(advert));
    // The same bytes under another source fail the checksum.
    let other = PseudoHeader {
        source: "fe80::12".parse().unwrap(),
        ..pseudo6
    };
    assert_eq!(decode(&bytes, other), Err(DecodeError::BadChecksum));
}

#[test]
fn v3_ipv6_checksum_matches_an_independent_computation() {
    // Sum computed by hand over: fe80::11, ff02::12, length 12, next header 112,
    // and the message 31 01 64 01 00 64 00 00 + 2001:db8::1 (RFC 5798 §5.2.8).
    let source: IpAddr = "fe80::11".parse().unwrap();
    let pseudo6 = PseudoHeader {
        source,
        destination: VRRP_GROUP_V6.into(),
    };
    let advert = Advert {
        version: Version::V3,
        vrid: 1,
        priority: 100,
        interval_cs: 100,
        addresses: vec!["2001:db8::1".parse().unwrap()],
        auth: Auth::None,
    };
    let bytes = encode(&advert, pseudo6);
    let mut words: Vec<u32> = vec![0xfe80, 0x11, 0xff02, 0x12, 0, 24, 0, 112];
    words.extend([0x3101, 0x6401, 0x0064, 0x2001, 0x0db8, 0x0001]);
    let mut sum: u32 = words.iter().sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    assert_eq!(u16::from_be_bytes([bytes[6], bytes[7]]), !(sum as u16));
}

#[test]
fn v2_over_ipv6_is_refused() {
    let pseudo6 = PseudoHeader {
        source: "fe80::11".parse().unwrap(),
        destination: VRRP_GROUP_V6.into(),
    };
    let bytes = [0x21, 1, 100, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(decode(&bytes, pseudo6), Err(DecodeError::V2OverIpv6));
}
