//! Destination hashing (`dh`): a 256-bucket table filled with the
//! destinations in list order, one bucket each, round and round, whatever
//! their weights. The bucket is `(fold(target) * 2654435761) & 255` of the
//! address the client asked for; when that bucket's server is drained or
//! overloaded the kernel refuses the connection, it does not look further.

use super::hash::fold;
use super::{unchanged, DestLoad, Request, Scheduler};
use std::net::SocketAddr;

const BUCKETS: usize = 256;

/// The bucket table, rebuilt when the destination list changes.
#[derive(Debug, Default)]
pub struct DestinationHashing {
    members: Vec<SocketAddr>,
    buckets: Vec<usize>,
}

impl DestinationHashing {
    fn refresh(&mut self, dests: &[DestLoad]) {
        if !unchanged(&self.members, dests, |d| d.address) || self.buckets.is_empty() {
            self.buckets = (0..BUCKETS).map(|i| i % dests.len().max(1)).collect();
            self.members = dests.iter().map(|d| d.address).collect();
        }
    }
}

impl Scheduler for DestinationHashing {
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize> {
        if dests.is_empty() {
            return None;
        }
        self.refresh(dests);
        let key = (u64::from(fold(request.target)) * 2_654_435_761) as usize & (BUCKETS - 1);
        let index = self.buckets[key];
        dests[index].available().then_some(index)
    }
}
