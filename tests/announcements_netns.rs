//! Announcements from the kernel reach `track_interface` and `ha_suspend`
//! without polling: a subscription in a namespace wakes when a link there
//! goes down and comes back up, and when an address is added and removed.
//! Needs root.

mod common;

use std::time::Duration;

use common::netlab::NetLab;
use common::{namespaces_available, prefix};
use director::lab::netns::in_namespace;
use director::netlink::announcements::Announcements;
use director::netlink::link::local_addresses;

/// In `lab`'s node "a": subscribe, then for each of `commands` (`ip -n NS
/// ...` arguments) run it and record whether the subscription woke within
/// 10 s and what `observe` sees then.
fn wakes<T: Send + 'static>(
    lab: &NetLab,
    subscribe: fn() -> std::io::Result<Announcements>,
    commands: &'static [&'static [&'static str]],
    observe: fn() -> T,
) -> Vec<(bool, T)> {
    let ns = lab.ns("a");
    in_namespace(&lab.ns("a"), move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let subscription = subscribe().expect("subscribe in the namespace");
            let mut seen = Vec::new();
            for args in commands {
                let status = std::process::Command::new("ip")
                    .args(["-n", &ns])
                    .args(*args)
                    .status()
                    .unwrap();
                assert!(status.success(), "ip {args:?}");
                let changed =
                    tokio::time::timeout(Duration::from_secs(10), subscription.changed()).await;
                seen.push((matches!(changed, Ok(Ok(()))), observe()));
            }
            seen
        })
    })
    .unwrap()
}

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
    let commands: &[&[&str]] = &[
        &["link", "set", "dev", "trk0", "down"],
        &["link", "set", "dev", "trk0", "up"],
    ];
    assert_eq!(
        wakes(&lab, Announcements::links, commands, || ()),
        [(true, ()), (true, ())],
        "a link change did not wake the subscription"
    );
}

#[test]
fn an_address_added_or_removed_wakes_the_subscription() {
    if !namespaces_available("an_address_added_or_removed_wakes_the_subscription") {
        return;
    }
    let lab = NetLab::new(&prefix("addrs"));
    lab.node("a", &["192.0.2.1/24"]);
    let commands: &[&[&str]] = &[
        &["addr", "add", "192.0.2.100/24", "dev", "eth0"],
        &["addr", "del", "192.0.2.100/24", "dev", "eth0"],
        &["addr", "add", "2001:db8::100/64", "dev", "eth0"],
    ];
    let vip_here = || local_addresses().contains(&"192.0.2.100".parse().unwrap());
    assert_eq!(
        wakes(&lab, Announcements::addresses, commands, vip_here),
        [(true, true), (true, false), (true, false)],
        "(woken, 192.0.2.100 here) after add, del and an IPv6 add"
    );
}
