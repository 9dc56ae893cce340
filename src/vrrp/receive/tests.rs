use std::net::Ipv4Addr;

use super::*;
use crate::vrrp::packet::{encode, VRRP_GROUP_V4};

fn vip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50))
}

fn expected(version: Version) -> Expectation {
    Expectation {
        vrid: 51,
        version,
        auth: if version == Version::V2 {
            Auth::pass("s3cr3t")
        } else {
            Auth::None
        },
        interval_cs: 100,
        addresses: vec![vip()],
    }
}

fn packet(ttl: u8, advert: Advert) -> Received {
    let source = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12));
    let pseudo = PseudoHeader {
        source,
        destination: VRRP_GROUP_V4.into(),
    };
    Received {
        source,
        destination: VRRP_GROUP_V4.into(),
        ttl,
        payload: encode(&advert, pseudo),
    }
}

fn advert(version: Version) -> Advert {
    let e = expected(version);
    Advert {
        version,
        vrid: 51,
        priority: 100,
        interval_cs: 100,
        addresses: e.addresses,
        auth: e.auth,
    }
}

fn drop_reason(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Drop(reason, _) => reason,
        Verdict::Accept(..) => "accepted",
    }
}

#[test]
fn good_adverts_pass_in_both_versions() {
    for version in [Version::V2, Version::V3] {
        assert_eq!(
            check(&packet(255, advert(version)), &expected(version)),
            Verdict::Accept(advert(version), vec![])
        );
    }
}

#[test]
fn each_drop_has_its_reason() {
    let e = expected(Version::V3);
    assert_eq!(
        drop_reason(check(&packet(254, advert(Version::V3)), &e)),
        "ttl"
    );
    assert_eq!(
        drop_reason(check(
            &packet(
                255,
                Advert {
                    vrid: 52,
                    ..advert(Version::V3)
                }
            ),
            &e
        )),
        "other_vrid"
    );
    assert_eq!(
        drop_reason(check(&packet(255, advert(Version::V2)), &e)),
        "version_mismatch"
    );
    let mut corrupt = packet(255, advert(Version::V3));
    corrupt.payload[2] ^= 0xff;
    assert_eq!(drop_reason(check(&corrupt, &e)), "bad_checksum");
}

#[test]
fn v2_wrong_or_missing_password_is_dropped_with_an_alert() {
    let e = expected(Version::V2);
    let wrong = Advert {
        auth: Auth::pass("other"),
        ..advert(Version::V2)
    };
    match check(&packet(255, wrong), &e) {
        Verdict::Drop("auth_mismatch", Some(m)) => assert_eq!(m.detail, "peer's password differs"),
        other => panic!("{other:?}"),
    }
    let none = Advert {
        auth: Auth::None,
        ..advert(Version::V2)
    };
    assert_eq!(drop_reason(check(&packet(255, none), &e)), "auth_mismatch");
}

#[test]
fn interval_mismatch_drops_in_v2_and_alerts_in_v3() {
    let slow2 = Advert {
        interval_cs: 200,
        ..advert(Version::V2)
    };
    assert_eq!(
        drop_reason(check(&packet(255, slow2), &expected(Version::V2))),
        "interval_mismatch"
    );
    let slow3 = Advert {
        interval_cs: 200,
        ..advert(Version::V3)
    };
    match check(&packet(255, slow3), &expected(Version::V3)) {
        Verdict::Accept(_, m) => assert_eq!(
            m[0].detail,
            "peer advertises every 2000 ms, this instance every 1000 ms"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_different_address_list_is_accepted_with_an_alert() {
    let other = Advert {
        addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 60))],
        ..advert(Version::V3)
    };
    match check(&packet(255, other), &expected(Version::V3)) {
        Verdict::Accept(_, m) => assert_eq!(m[0].kind, "addresses"),
        other => panic!("{other:?}"),
    }
}
