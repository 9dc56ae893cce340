//! A master's advert pacer on real sockets between two namespaces: it
//! keeps its beat, changes what it sends without a gap, sends nothing once
//! told to stop, counts exactly what left, and reports a dead link once
//! and its recovery once. Needs root.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::netlab::NetLab;
use common::{namespaces_available, prefix, wait_until};
use director::lab::netns::in_namespace;
use director::netlink::link::Link;
use director::vrrp::instance::AdvertSchedule;
use director::vrrp::net::VrrpSocket;
use director::vrrp::pacer::AdvertPacer;
use director::vrrp::packet::{decode, encode, Advert, Auth, PseudoHeader, Version};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

fn advert(priority: u8) -> Advert {
    Advert {
        version: Version::V3,
        vrid: 51,
        priority,
        interval_cs: 2,
        addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50))],
        auth: Auth::None,
    }
}

/// The priority of the next advert `listener` hears (within 5 s).
async fn next_priority(listener: &VrrpSocket) -> u8 {
    let received = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("an advert within 5 s")
        .expect("a readable advert");
    let pseudo = PseudoHeader {
        source: received.source,
        destination: received.destination,
    };
    decode(&received.payload, pseudo)
        .expect("a valid advert")
        .priority
}

#[test]
fn the_pacer_keeps_its_beat_stops_at_once_and_reports_a_dead_link() {
    if !namespaces_available("the_pacer_keeps_its_beat_stops_at_once_and_reports_a_dead_link") {
        return;
    }
    let lab = NetLab::new(&prefix("pacer"));
    lab.node("a", &["192.0.2.1/24"]);
    lab.node("b", &["192.0.2.2/24"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let open = |node: &str, own: IpAddr, peer: IpAddr| {
        let handle = runtime.handle().clone();
        in_namespace(&lab.ns(node), move || {
            let _entered = handle.enter();
            let link = Link::lookup("eth0")?;
            VrrpSocket::open("eth0", link.index, own, &[peer])
        })
        .unwrap()
        .expect("a VRRP socket in the namespace")
    };
    let sender = Arc::new(open("a", A, B));
    let listener = open("b", B, A);
    let pacer = AdvertPacer::start(sender.clone()).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    pacer.report_to(Box::new({
        let events = events.clone();
        move |event| {
            events.lock().unwrap().push(format!("{event:?}"));
            true
        }
    }));
    let messages = |priority| {
        sender.messages(|destination| {
            encode(
                &advert(priority),
                PseudoHeader {
                    source: A,
                    destination,
                },
            )
        })
    };
    let interval = Duration::from_millis(20);
    let schedule = AdvertSchedule {
        first: Instant::now() + interval,
        interval,
        priority: 100,
    };

    let heard = runtime.block_on(async {
        pacer.follow(Some(schedule), messages).unwrap();
        let mut heard = 0;
        for _ in 0..5 {
            assert_eq!(next_priority(&listener).await, 100);
            heard += 1;
        }
        // Same beat, another priority: the pacer sends it from the next beat.
        let lowered = AdvertSchedule {
            priority: 90,
            ..schedule
        };
        pacer.follow(Some(lowered), messages).unwrap();
        let mut priority = 100;
        for _ in 0..3 {
            priority = next_priority(&listener).await;
            heard += 1;
            if priority == 90 {
                break;
            }
        }
        assert_eq!(priority, 90, "the new priority within two beats");
        // Stopped: what was in flight arrives, then nothing for ten beats.
        pacer.follow(None, messages).unwrap();
        let mut drained = 0;
        while let Ok(Ok(_)) =
            tokio::time::timeout(Duration::from_millis(100), listener.recv()).await
        {
            drained += 1;
            assert!(drained < 3, "adverts keep coming after the pacer stopped");
        }
        heard += drained;
        let silent = tokio::time::timeout(interval * 10, listener.recv()).await;
        assert!(silent.is_err(), "an advert after the pacer stopped");
        heard
    });
    assert!(!pacer.active());
    assert_eq!(pacer.take_sent(), heard, "the pacer counts what it sent");

    // A dead link is reported once, and its recovery once.
    lab.sh("a", "ip link set eth0 down");
    let restarted = AdvertSchedule {
        first: Instant::now() + interval,
        ..schedule
    };
    pacer.follow(Some(restarted), messages).unwrap();
    let reported = |kind: &str| {
        let seen = wait_until(Duration::from_secs(5), || {
            events.lock().unwrap().iter().any(|e| e.starts_with(kind))
        });
        assert!(seen, "no {kind} reported: {:?}", events.lock().unwrap());
    };
    reported("Failing");
    std::thread::sleep(interval * 5);
    lab.sh("a", "ip link set eth0 up");
    reported("Recovered");
    let events = events.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "one report each way: {events:?}");
    assert!(
        events[1].contains("failures: ") && !events[1].contains("failures: 0"),
        "the recovery counts the failed adverts: {events:?}"
    );
}
