//! Reloading the configuration: what changed between the running
//! configuration and the new one, as steps the engine can carry out
//! without disturbing what did not change. Pure.
//!
//! * VRRP instances are matched by name. An unchanged one is kept as it
//!   runs. One whose socket-level identity changed (interface, VRID,
//!   version, address family, unicast source or peers, or becoming or
//!   ceasing to be the address owner) is stopped and started again.
//!   Anything else (priority, advert interval, preemption, addresses,
//!   announcements, notify scripts, tracking, authentication) is changed
//!   in place.
//! * Virtual services are matched by address, port and protocol. Their
//!   settings change in place; real servers are matched by address and
//!   port, and only a server whose checkers differ has them restarted.
//! * In `[global]`, everything but `remove_unmanaged` (an option of the
//!   kernel plane as it starts) and `lock_memory` (applied as the daemon
//!   starts) changes in place.

mod apply;
mod instances;
mod services;
#[cfg(test)]
mod tests;

pub use apply::Applied;
pub use instances::InstanceStep;
pub use services::{ServerChange, ServiceKey, ServiceStep};

use crate::config::Config;

/// Everything a reload changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// One step per instance of the new configuration, in its order.
    pub instances: Vec<InstanceStep>,
    /// Indices (in the running configuration) of instances that go away.
    pub removed_instances: Vec<usize>,
    /// What happens to each virtual service that is added, removed or changed.
    pub services: Vec<ServiceStep>,
}

impl Plan {
    /// Whether the reload changes nothing at all.
    pub fn is_empty(&self) -> bool {
        self.removed_instances.is_empty()
            && self.services.is_empty()
            && self
                .instances
                .iter()
                .all(|step| matches!(step, InstanceStep::Keep(_)))
    }
}

/// The steps from `old` to `new`, or what keeps them from being applied
/// without a restart.
pub fn plan(old: &Config, new: &Config) -> Result<Plan, Vec<String>> {
    if old.global.remove_unmanaged != new.global.remove_unmanaged {
        return Err(vec![
            "[global] remove_unmanaged (the kernel plane reads it as it starts)".into(),
        ]);
    }
    if old.global.lock_memory != new.global.lock_memory {
        return Err(vec![
            "[global] lock_memory (memory is locked, or not, as the daemon starts)".into(),
        ]);
    }
    let (instances, removed_instances) = instances::plan(&old.vrrp_instances, &new.vrrp_instances);
    Ok(Plan {
        instances,
        removed_instances,
        services: services::plan(old, new),
    })
}

/// "N what" for each kind of change that happened, in order.
pub fn counted(counts: &[(usize, &str)]) -> Vec<String> {
    counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect()
}
