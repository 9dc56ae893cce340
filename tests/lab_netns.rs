//! The lab, without the console: real namespaces, real VRRP between two
//! engines, real proxied HTTP. Needs root.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{attach_retrying, conns, namespaces_available, prefix, snapshot_where, wait_until};
use director::engine::{Command, Request};
use director::lab::topology::{PORT, VIP};
use director::lab::{Lab, LabOptions};
use director::vrrp::instance::State;

fn tally(lab: &Lab, count: u32) -> BTreeMap<String, u32> {
    let target = format!("{VIP}:{PORT}");
    let count = count.to_string();
    let out = lab
        .run_in(
            "client",
            &["agent", "get", "--target", &target, "--count", &count],
        )
        .expect("client ran");
    let mut answers = BTreeMap::new();
    for line in out.lines() {
        *answers.entry(line.to_string()).or_default() += 1;
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_serves_drains_and_fails_over() {
    if !namespaces_available("lab_serves_drains_and_fails_over") {
        return;
    }
    let mut lab = Lab::up(LabOptions {
        prefix: prefix("a"),
        binary: env!("CARGO_BIN_EXE_director").into(),
        advert_int: 0.2,
        tcp_fin_timeout: 120,
    })
    .expect("lab starts");
    let d1 = attach_retrying(&lab.socket(0)).await;
    let d2 = attach_retrying(&lab.socket(1)).await;
    snapshot_where(&d1, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    snapshot_where(&d2, Duration::from_secs(10), |s| {
        s.instances[0].adverts_received > 0
    })
    .await;
    assert!(lab.has_address("d1", VIP), "master d1 holds the VIP");
    assert!(!lab.has_address("d2", VIP), "backup d2 does not");

    // 1. Every real server answers through the VIP.
    let answers = tally(&lab, 30);
    assert_eq!(
        answers.keys().cloned().collect::<Vec<_>>(),
        ["rs1", "rs2", "rs3"],
        "{answers:?}"
    );

    // 3. A drained server gets no new connections; the others still do.
    let drain = Request {
        command: Command::Drain {
            service: "web".into(),
            server: "rs2".into(),
        },
        origin: "test".into(),
    };
    d1.request(drain).await.expect("drain accepted");
    let before = snapshot_where(&d1, Duration::from_secs(5), |s| {
        s.server("web", "rs2").unwrap().weight == 0
    })
    .await;
    let answers = tally(&lab, 30);
    assert!(
        !answers.contains_key("rs2"),
        "drained rs2 answered: {answers:?}"
    );
    assert_eq!(
        answers.get("rs1").copied().unwrap_or(0) + answers.get("rs3").copied().unwrap_or(0),
        30,
        "{answers:?}"
    );
    let after = snapshot_where(&d1, Duration::from_secs(5), |s| {
        conns(s, "rs1") + conns(s, "rs3") >= conns(&before, "rs1") + conns(&before, "rs3") + 30
    })
    .await;
    assert_eq!(
        conns(&after, "rs2"),
        conns(&before, "rs2"),
        "rs2 got new connections while drained"
    );

    // 2. Kill the master: the backup owns the VIP within Master_Down_Interval + 200 ms.
    let mdi = Duration::from_millis(
        d2.snapshots.borrow().as_ref().unwrap().instances[0].master_down_interval_ms,
    );
    let killed_at = Instant::now();
    lab.fail_director(0).expect("d1 failed");
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address("d2", VIP)),
        "d2 never took the VIP"
    );
    let took = killed_at.elapsed();
    eprintln!("takeover after {took:?} (Master_Down_Interval {mdi:?})");
    assert!(
        took <= mdi + Duration::from_millis(200),
        "takeover took {took:?}, Master_Down_Interval is {mdi:?}"
    );
    let d2_now = snapshot_where(&d2, Duration::from_secs(2), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(d2_now
        .events
        .iter()
        .any(|e| e.text.contains("BACKUP -> MASTER")));
    let answers = tally(&lab, 9);
    assert!(
        !answers.keys().any(|k| k.starts_with("ERROR")),
        "requests failed after failover: {answers:?}"
    );
    assert_eq!(answers.values().sum::<u32>(), 9);
    lab.teardown();
    assert!(
        director::lab::netns::list(&prefix("a")).is_empty(),
        "namespaces left behind"
    );
}
