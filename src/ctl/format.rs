//! Text renderings of a snapshot for `director ctl`.

use std::fmt::Write;

use crate::engine::journal::Event;
use crate::engine::snapshot::Owner;
use crate::engine::Snapshot;
use crate::ipvs::model::Health;
use crate::tui::view::format::clock;

/// One event as a log line.
pub fn event_line(event: &Event) -> String {
    format!(
        "{} {:<8} {}",
        clock(event.unix_ms),
        format!("{:?}", event.kind).to_lowercase(),
        event.text
    )
}

/// `ctl status`: VRRP instances, services and real servers at a glance.
pub fn status(snapshot: &Snapshot) -> String {
    let mut out = format!(
        "node {} · {} data plane\n",
        snapshot.node, snapshot.dataplane
    );
    if !snapshot.instances.is_empty() {
        out.push_str("VRRP\n");
    }
    for i in &snapshot.instances {
        let owner = match i.owner {
            Owner::ThisNode => "this node".to_string(),
            Owner::Peer(peer) => format!("peer {peer}"),
            Owner::Unknown => "unknown".to_string(),
        };
        let held = if i.held { " HELD" } else { "" };
        let _ = writeln!(
            out,
            "  {} {} prio {}/{} vrid {} v{} on {} VIP {} owner {owner}{held}",
            i.name,
            i.state.name(),
            i.priority,
            i.base_priority,
            i.vrid,
            i.version,
            i.interface,
            i.vips.join(",")
        );
        for alert in &i.alerts {
            let _ = writeln!(
                out,
                "    ALERT {} {}: {}",
                alert.kind, alert.peer, alert.detail
            );
        }
    }
    if !snapshot.services.is_empty() {
        out.push_str("services\n");
    }
    for s in &snapshot.services {
        let _ = writeln!(
            out,
            "  {} {} {} {}",
            s.name, s.address, s.protocol, s.scheduler
        );
        for r in &s.servers {
            let health = match r.health {
                Health::Up => "up",
                Health::Down => "DOWN",
                Health::Unknown => "unchecked",
            };
            let drained = if r.drained { " drained" } else { "" };
            let _ = writeln!(
                out,
                "    {} {} weight {}{drained} active {} inactive {} cps {:.1} health {health}",
                r.name, r.address, r.weight, r.active, r.inactive, r.cps
            );
        }
    }
    if !snapshot.overrides.is_empty() {
        out.push_str("operator overrides (over the configuration)\n");
        for line in &snapshot.overrides {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::snapshot;

    #[test]
    fn status_lists_the_operator_overrides() {
        let mut snap = snapshot();
        snap.overrides = vec!["web/rs2 drained".into()];
        let text = status(&snap);
        assert!(
            text.ends_with("operator overrides (over the configuration)\n  web/rs2 drained\n"),
            "{text}"
        );
    }

    #[test]
    fn status_names_state_owner_and_health() {
        let text = status(&snapshot());
        assert!(
            text.contains(
                "VI_1 MASTER prio 150/150 vrid 51 v3 on eth0 VIP 192.0.2.50 owner this node"
            ),
            "{text}"
        );
        assert!(
            text.contains("rs2 192.0.2.22:80 weight 0 drained active 0"),
            "{text}"
        );
    }
}
