//! Locality-based least connection with replication (`lblcr`): the kernel
//! remembers, per destination address the clients ask for, a *set* of
//! servers, and sends each connection to the least loaded member
//! (`overhead / weight`). When the set is empty or that member is locally
//! overloaded (see lblc), it adds the least loaded server of the whole
//! service to the set and uses it. A set with more than one member that has
//! not changed for the expiration time loses its most loaded member.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::lblc::{locally_overloaded, ExpiryCheck, EXPIRATION};
use super::{least_loaded, DestLoad, Request, Scheduler};

#[derive(Debug)]
struct ServerSet {
    members: Vec<SocketAddr>,
    modified: Instant,
    used: Instant,
}

/// The remembered sets.
#[derive(Debug, Default)]
pub struct LocalityWithReplication {
    sets: HashMap<IpAddr, ServerSet>,
    expiry: ExpiryCheck,
}

/// The most loaded member with a weight, by `overhead / weight`.
fn most_loaded(members: &[usize], dests: &[DestLoad]) -> Option<usize> {
    let mut most: Option<usize> = None;
    for &i in members.iter().filter(|&&i| dests[i].weight > 0) {
        let heavier = most.is_none_or(|m| {
            u128::from(dests[m].overhead()) * u128::from(dests[i].weight)
                < u128::from(dests[i].overhead()) * u128::from(dests[m].weight)
        });
        if heavier {
            most = Some(i);
        }
    }
    most
}

impl Scheduler for LocalityWithReplication {
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let now = request.now;
        if self.expiry.due(now) {
            self.sets
                .retain(|_, set| now.duration_since(set.used) < EXPIRATION);
        }
        // A stale set not yet swept counts as gone.
        if self
            .sets
            .get(&request.target)
            .is_some_and(|set| now.duration_since(set.used) >= EXPIRATION)
        {
            self.sets.remove(&request.target);
        }
        let Some(set) = self.sets.get_mut(&request.target) else {
            let chosen = least_loaded(dests, DestLoad::overhead)?;
            let set = ServerSet {
                members: vec![dests[chosen].address],
                modified: now,
                used: now,
            };
            self.sets.insert(request.target, set);
            return Some(chosen);
        };
        set.used = now;
        let present: Vec<usize> = set
            .members
            .iter()
            .filter_map(|a| dests.iter().position(|d| d.address == *a))
            .collect();
        let member_view: Vec<DestLoad> = present.iter().map(|&i| dests[i]).collect();
        let least = least_loaded(&member_view, DestLoad::overhead).map(|k| present[k]);
        if set.members.len() > 1 && now.duration_since(set.modified) >= EXPIRATION {
            if let Some(most) = most_loaded(&present, dests) {
                set.members.retain(|a| *a != dests[most].address);
                set.modified = now;
            }
        }
        if let Some(i) = least.filter(|&i| !locally_overloaded(&dests[i], dests)) {
            return Some(i);
        }
        let chosen = least_loaded(dests, DestLoad::overhead)?;
        if !set.members.contains(&dests[chosen].address) {
            set.members.push(dests[chosen].address);
            set.modified = now;
        }
        Some(chosen)
    }
}
