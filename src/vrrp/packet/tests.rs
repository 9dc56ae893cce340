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
        addresses: vec![Ipv4Addr::new(192, 0, 2, 50)],
        auth,
    }
}

fn pseudo(source: Ipv4Addr) -> PseudoHeader {
    PseudoHeader {
        source,
        destination: VRRP_GROUP_V4,
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
