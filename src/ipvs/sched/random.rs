//! A small, fast pseudo-random source (xorshift64*) for the `twos`
//! scheduler and for property tests; not for anything secret.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// xorshift64* state; never zero.
#[derive(Debug, Clone)]
pub struct Random {
    state: u64,
}

impl Random {
    /// A generator with a fixed seed, for reproducible tests.
    pub fn seeded(seed: u64) -> Random {
        Random { state: seed.max(1) }
    }

    /// A generator seeded from the process's hash randomness.
    pub fn from_entropy() -> Random {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x9e37_79b9_7f4a_7c15);
        Random::seeded(hasher.finish())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}
