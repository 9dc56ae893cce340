//! Link announcements from the kernel reach `track_interface` without
//! polling: a subscription in a namespace wakes when a link there goes
//! down and when it comes back up. Needs root.

mod common;

use std::time::Duration;

use common::netlab::NetLab;
use common::{namespaces_available, prefix};
use director::lab::netns::in_namespace;
use director::netlink::link_events::LinkEvents;

#[test]
fn a_link_going_down_or_up_wakes_the_subscription() {
    if !namespaces_available("a_link_going_down_or_up_wakes_the_subscription") {
        return;
    }
    let lab = NetLab::new(&prefix("links"));
    lab.node("a", &["192.0.2.1/24"]);
    lab.sh(
        "a",
        "ip link add trk0 type veth peer name trk1 && ip link set trk0 up",
    );
    let ns = lab.ns("a");
    let outcome = in_namespace(&lab.ns("a"), move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let links = LinkEvents::subscribe().expect("subscribe in the namespace");
            let mut woken = Vec::new();
            for state in ["down", "up"] {
                let status = std::process::Command::new("ip")
                    .args(["-n", &ns, "link", "set", "dev", "trk0", state])
                    .status()
                    .unwrap();
                assert!(status.success());
                let changed = tokio::time::timeout(Duration::from_secs(10), links.changed()).await;
                woken.push(matches!(changed, Ok(Ok(()))));
            }
            woken
        })
    })
    .unwrap();
    assert_eq!(
        outcome,
        [true, true],
        "a link change did not wake the subscription"
    );
}
