//! The kernel's process events reach `vrrp_track_process` without reading
//! `/proc`: in the initial network namespace a subscription sees a new
//! process start and end; inside another namespace the kernel refuses it
//! (so director reads `/proc` there). Needs root.

mod common;

use std::time::Duration;

use common::netlab::NetLab;
use common::{namespaces_available, prefix};
use director::lab::netns::in_namespace;
use director::netlink::proc_events::{ProcEvent, ProcEvents};

#[test]
fn a_process_starting_and_ending_is_announced() {
    if !namespaces_available("a_process_starting_and_ending_is_announced") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (pid, seen) = runtime.block_on(async {
        let events = ProcEvents::subscribe().expect("subscribe in the initial namespace");
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !seen.contains(&ProcEvent::Ended(pid)) {
            let Ok(batch) = tokio::time::timeout_at(deadline, events.next()).await else {
                break;
            };
            seen.extend(batch.unwrap().into_iter().filter(|e| {
                matches!(e, ProcEvent::Started(p) | ProcEvent::Changed(p) | ProcEvent::Ended(p) if *p == pid)
            }));
        }
        child.wait().unwrap();
        (pid, seen)
    });
    assert_eq!(
        seen,
        [
            ProcEvent::Started(pid),
            ProcEvent::Changed(pid),
            ProcEvent::Ended(pid)
        ],
        "fork, exec, exit of the child"
    );
}

#[test]
fn another_network_namespace_gets_no_subscription() {
    if !namespaces_available("another_network_namespace_gets_no_subscription") {
        return;
    }
    let lab = NetLab::new(&prefix("procev"));
    lab.node("a", &["192.0.2.1/24"]);
    let refused = in_namespace(&lab.ns("a"), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async { ProcEvents::subscribe().err().map(|e| e.to_string()) })
    })
    .unwrap();
    assert!(refused.is_some(), "a subscription inside a namespace");
}
