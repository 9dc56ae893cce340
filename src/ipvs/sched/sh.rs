//! Source hashing (`sh`): a 256-bucket table in which each destination, in
//! list order, fills as many consecutive buckets as its weight (at least
//! one), round and round. A client lands in bucket
//! `hash_32(port + fold(client), 8)`, with the port only under `sh-port`.
//! When that server is unavailable the kernel refuses, or under
//! `sh-fallback` tries the buckets that follow, rehashing each offset.

use super::hash::{fold, hash_32};
use super::{unchanged, DestLoad, Request, SchedFlags, Scheduler};
use std::net::SocketAddr;

const BITS: u32 = 8;
const BUCKETS: usize = 1 << BITS;

/// The bucket table, rebuilt when a destination or weight changes.
#[derive(Debug)]
pub struct SourceHashing {
    flags: SchedFlags,
    members: Vec<(SocketAddr, u32)>,
    buckets: Vec<usize>,
}

impl SourceHashing {
    /// An empty table honouring `flags`.
    pub fn new(flags: SchedFlags) -> SourceHashing {
        SourceHashing {
            flags,
            members: Vec::new(),
            buckets: Vec::new(),
        }
    }

    fn refresh(&mut self, dests: &[DestLoad]) {
        let key = |d: &DestLoad| (d.address, d.weight);
        if unchanged(&self.members, dests, key) && !self.buckets.is_empty() {
            return;
        }
        self.buckets.clear();
        let (mut current, mut filled) = (0, 0u32);
        for _ in 0..BUCKETS {
            self.buckets.push(current);
            filled += 1;
            if filled >= dests[current].weight {
                current = (current + 1) % dests.len();
                filled = 0;
            }
        }
        self.members = dests.iter().map(key).collect();
    }

    fn bucket(&self, request: &Request, offset: u32) -> usize {
        let port = if self.flags.port {
            u32::from(request.client.port())
        } else {
            0
        };
        let hash = hash_32(port.wrapping_add(fold(request.client.ip())), BITS);
        (offset.wrapping_add(hash) as usize) & (BUCKETS - 1)
    }
}

impl Scheduler for SourceHashing {
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize> {
        if dests.is_empty() {
            return None;
        }
        self.refresh(dests);
        let first = self.buckets[self.bucket(request, 0)];
        if dests[first].available() {
            return Some(first);
        }
        if !self.flags.fallback {
            return None;
        }
        let home = self.bucket(request, 0) as u32;
        (0..BUCKETS as u32)
            .map(|offset| self.buckets[self.bucket(request, (home + offset) % BUCKETS as u32)])
            .find(|&i| dests[i].available())
    }
}
