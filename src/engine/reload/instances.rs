//! Planning the VRRP side of a reload: which instances are kept, changed in
//! place, restarted, added or removed.

use crate::config::VrrpInstance;

/// What happens to one instance of the new configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceStep {
    /// Unchanged: the running instance (at this old index) goes on as it is.
    Keep(usize),
    /// Changed in ways its running state machine and socket can take.
    Update(usize),
    /// Changed in its identity on the wire: stopped and started afresh.
    Restart(usize),
    /// New.
    Add,
}

/// Whether going from `old` to `new` needs a new socket or a new state
/// machine: what the instance is on the wire, and whether it owns its
/// addresses (priority 255 becomes master at once).
pub fn needs_restart(old: &VrrpInstance, new: &VrrpInstance) -> bool {
    old.interface != new.interface
        || old.virtual_router_id != new.virtual_router_id
        || old.version != new.version
        || old.is_ipv6() != new.is_ipv6()
        || old.unicast_src_ip != new.unicast_src_ip
        || old.unicast_peer != new.unicast_peer
        || (old.priority.0 == 255) != (new.priority.0 == 255)
}

/// One step per instance of `new`, and the old indices that go away.
pub fn plan(old: &[VrrpInstance], new: &[VrrpInstance]) -> (Vec<InstanceStep>, Vec<usize>) {
    let steps = new
        .iter()
        .map(
            |instance| match old.iter().position(|o| o.name == instance.name) {
                None => InstanceStep::Add,
                Some(at) if old[at] == *instance => InstanceStep::Keep(at),
                Some(at) if needs_restart(&old[at], instance) => InstanceStep::Restart(at),
                Some(at) => InstanceStep::Update(at),
            },
        )
        .collect();
    let removed = old
        .iter()
        .enumerate()
        .filter(|(_, o)| !new.iter().any(|n| n.name == o.name))
        .map(|(at, _)| at)
        .collect();
    (steps, removed)
}
