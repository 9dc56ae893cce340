//! From the table director wants and the table the kernel has, the fewest
//! changes, in an order the kernel accepts. Pure. Existing entries that
//! match are adopted as they are (nothing is flushed, so established
//! connections survive a restart); services director does not manage are
//! left alone and reported, unless the caller asks for them to go.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::client::Op;
use super::proto::{KDest, KService, ServiceKey};

/// A service and its destinations.
pub type Entry = (KService, Vec<KDest>);

/// What reconciling decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The changes, in the order to apply them.
    pub ops: Vec<Op>,
    /// Kernel services director does not manage (left alone unless removed).
    pub unmanaged: Vec<ServiceKey>,
}

fn same_settings(a: &KService, b: &KService) -> bool {
    (&a.scheduler, a.flags, a.timeout, a.netmask, &a.pe_name)
        == (&b.scheduler, b.flags, b.timeout, b.netmask, &b.pe_name)
}

fn same_dest(a: &KDest, b: &KDest) -> bool {
    (a.forward, a.weight, a.upper, a.lower) == (b.forward, b.weight, b.upper, b.lower)
        && (a.forward != super::proto::Forward::Tunnel || a.tunnel == b.tunnel)
}

/// The plan that turns `observed` into `desired`. With `remove_unmanaged`,
/// services the kernel has and `desired` lacks are deleted too.
pub fn reconcile(desired: &[Entry], observed: &[Entry], remove_unmanaged: bool) -> Plan {
    let have: BTreeMap<ServiceKey, &Entry> = observed.iter().map(|e| (e.0.key, e)).collect();
    let mut plan = Plan::default();
    for (service, dests) in desired {
        let key = service.key;
        let Some((current, current_dests)) = have.get(&key).copied() else {
            plan.ops.push(Op::AddService(service.clone()));
            plan.ops
                .extend(dests.iter().map(|d| Op::AddDest(key, d.clone())));
            continue;
        };
        if !same_settings(service, current) {
            plan.ops.push(Op::EditService(service.clone()));
        }
        let existing: BTreeMap<SocketAddr, &KDest> =
            current_dests.iter().map(|d| (d.address, d)).collect();
        let wanted: BTreeMap<SocketAddr, &KDest> = dests.iter().map(|d| (d.address, d)).collect();
        // Deletes first: a removed destination never competes with a new one.
        for address in existing.keys().filter(|a| !wanted.contains_key(a)) {
            plan.ops.push(Op::DeleteDest(key, *address));
        }
        for dest in dests {
            match existing.get(&dest.address) {
                None => plan.ops.push(Op::AddDest(key, dest.clone())),
                Some(now) if !same_dest(dest, now) => {
                    plan.ops.push(Op::EditDest(key, dest.clone()))
                }
                Some(_) => {}
            }
        }
    }
    let wanted: Vec<ServiceKey> = desired.iter().map(|e| e.0.key).collect();
    for (service, _) in observed {
        if !wanted.contains(&service.key) {
            if remove_unmanaged {
                plan.ops.push(Op::DeleteService(service.key));
            } else {
                plan.unmanaged.push(service.key);
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::super::proto::{Forward, Stats};
    use super::*;

    fn service(port: u16) -> KService {
        KService {
            key: ServiceKey::Tcp(SocketAddr::from(([192, 0, 2, 50], port))),
            scheduler: "wlc".into(),
            flags: 0,
            timeout: 0,
            netmask: 0xffffffff,
            pe_name: None,
            stats: Stats::default(),
        }
    }

    fn dest(last: u8, weight: u32) -> KDest {
        KDest::new(
            SocketAddr::from(([192, 0, 2, last], 80)),
            Forward::Route,
            weight,
        )
    }

    #[test]
    fn an_empty_kernel_gets_everything_services_first() {
        let desired = vec![(service(80), vec![dest(21, 1), dest(22, 1)])];
        let plan = reconcile(&desired, &[], false);
        assert_eq!(plan.ops.len(), 3);
        assert!(matches!(plan.ops[0], Op::AddService(_)));
        assert!(plan.ops[1..].iter().all(|op| matches!(op, Op::AddDest(..))));
    }

    #[test]
    fn a_matching_kernel_is_adopted_with_no_change_counters_and_all() {
        let desired = vec![(service(80), vec![dest(21, 1)])];
        let mut observed = desired.clone();
        observed[0].1[0].active = 12;
        observed[0].1[0].stats.conns = 999;
        observed[0].0.stats.conns = 999;
        assert_eq!(reconcile(&desired, &observed, false), Plan::default());
    }

    #[test]
    fn only_what_differs_changes_and_deletes_come_before_adds() {
        let desired = vec![(service(80), vec![dest(21, 0), dest(23, 1)])];
        let observed = vec![(service(80), vec![dest(21, 1), dest(22, 1)])];
        let key = desired[0].0.key;
        let plan = reconcile(&desired, &observed, false);
        assert_eq!(
            plan.ops,
            vec![
                Op::DeleteDest(key, dest(22, 1).address),
                Op::EditDest(key, dest(21, 0)),
                Op::AddDest(key, dest(23, 1)),
            ]
        );
        let mut rescheduled = desired.clone();
        rescheduled[0].0.scheduler = "mh".into();
        let plan = reconcile(&rescheduled, &desired, false);
        assert_eq!(plan.ops, vec![Op::EditService(rescheduled[0].0.clone())]);
    }

    #[test]
    fn unmanaged_services_stay_unless_asked_to_go() {
        let desired = vec![(service(80), vec![])];
        let observed = vec![(service(80), vec![]), (service(443), vec![dest(30, 1)])];
        let plan = reconcile(&desired, &observed, false);
        assert!(plan.ops.is_empty());
        assert_eq!(plan.unmanaged, vec![service(443).key]);
        let plan = reconcile(&desired, &observed, true);
        assert_eq!(plan.ops, vec![Op::DeleteService(service(443).key)]);
        assert!(plan.unmanaged.is_empty());
    }
}
