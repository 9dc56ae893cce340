//! Maglev hashing (`mh`), as the kernel builds it (section 3.4 of the
//! Maglev paper). The lookup table has 4093 slots (a prime, the kernel's
//! default `CONFIG_IP_VS_MH_TAB_INDEX`). Each destination, from its address
//! and port, gets an `offset` and a `skip`, which define its preference list
//! `offset, offset + skip, offset + 2·skip, … (mod 4093)`. Taking the
//! destinations in list order, each claims its next free preferred slot,
//! `turns` times per round (its last non-zero weight over the weights' GCD,
//! shifted down to at most 6 bits), until the table is full. A client lands
//! in slot `hsiphash(port + fold(client)) mod 4093`. When that server is
//! drained or overloaded the kernel refuses, or under `mh-fallback` rehashes
//! with increasing offsets. Because the preference lists do not depend on the
//! other destinations, removing one of N moves only about 1/N of clients.

use super::hash::{fold, hsiphash_u32};
use super::{unchanged, DestLoad, Request, SchedFlags, Scheduler};
use std::net::SocketAddr;

/// The kernel's default table size.
pub const TABLE_SIZE: u32 = 4093;
/// The kernel's `IP_VS_MH_TAB_BITS`: `turns` are shifted down to this many bits.
const TABLE_BITS: u32 = 6;
const OFFSET_KEY: [u64; 2] = [2_654_435_761, 2_654_435_761];
const SKIP_KEY: [u64; 2] = [2_654_446_892, 2_654_446_892];

/// The lookup table, rebuilt when a destination or its last weight changes.
#[derive(Debug)]
pub struct MaglevHashing {
    flags: SchedFlags,
    members: Vec<(SocketAddr, u32)>,
    lookup: Vec<Option<usize>>,
}

/// `(offset, skip)` of a destination's preference list.
pub fn preference(address: SocketAddr) -> (u32, u32) {
    let key = u32::from(address.port()).wrapping_add(fold(address.ip()));
    let offset = hsiphash_u32(key, OFFSET_KEY) % TABLE_SIZE;
    let skip = hsiphash_u32(key, SKIP_KEY) % (TABLE_SIZE - 1) + 1;
    (offset, skip)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Fill the lookup table for destinations with these addresses and last
/// weights; `None` slots only when no destination has a weight.
pub fn populate(members: &[(SocketAddr, u32)]) -> Vec<Option<usize>> {
    let mut lookup = vec![None; TABLE_SIZE as usize];
    let divisor = members.iter().map(|m| m.1).fold(0, gcd);
    if divisor == 0 {
        return lookup;
    }
    let max = members.iter().map(|m| m.1).max().unwrap_or(0) / divisor;
    let shift = (32 - max.leading_zeros()).saturating_sub(TABLE_BITS);
    let mut setup: Vec<(u32, u32, u32)> = members
        .iter()
        .map(|&(address, weight)| {
            let (offset, skip) = preference(address);
            let turns = match (weight / divisor) >> shift {
                0 => u32::from(weight != 0),
                t => t,
            };
            (offset, skip, turns)
        })
        .collect();
    let mut taken = vec![false; TABLE_SIZE as usize];
    let mut filled = 0;
    loop {
        for (index, (perm, skip, turns)) in setup.iter_mut().enumerate() {
            for _ in 0..*turns {
                while taken[*perm as usize] {
                    *perm = (*perm + *skip) % TABLE_SIZE;
                }
                taken[*perm as usize] = true;
                lookup[*perm as usize] = Some(index);
                filled += 1;
                if filled == TABLE_SIZE {
                    return lookup;
                }
            }
        }
    }
}

impl MaglevHashing {
    /// An empty table honouring `flags`.
    pub fn new(flags: SchedFlags) -> MaglevHashing {
        MaglevHashing {
            flags,
            members: Vec::new(),
            lookup: Vec::new(),
        }
    }

    fn slot(&self, request: &Request, offset: u32) -> usize {
        let port = if self.flags.port {
            u32::from(request.client.port())
        } else {
            0
        };
        let key = offset
            .wrapping_add(port)
            .wrapping_add(fold(request.client.ip()));
        (hsiphash_u32(key, OFFSET_KEY) % TABLE_SIZE) as usize
    }
}

impl Scheduler for MaglevHashing {
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let key = |d: &DestLoad| (d.address, d.last_weight);
        if !unchanged(&self.members, dests, key) || self.lookup.is_empty() {
            self.members = dests.iter().map(key).collect();
            self.lookup = populate(&self.members);
        }
        let home = self.slot(request, 0);
        let first = self.lookup[home]?;
        if dests[first].available() {
            return Some(first);
        }
        if !self.flags.fallback {
            return None;
        }
        for offset in 0..TABLE_SIZE {
            let roffset = (offset + home as u32) % TABLE_SIZE;
            let index = self.lookup[self.slot(request, roffset)]?;
            if dests[index].available() {
                return Some(index);
            }
        }
        None
    }
}
