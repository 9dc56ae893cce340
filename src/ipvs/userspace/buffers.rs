//! Copy buffers for the TCP proxy, lent per burst of data from a small
//! per-thread pool: an idle connection holds no buffer, and a busy one does
//! not allocate (or zero) memory for every read.

use std::cell::RefCell;

/// Bytes per buffer: one read's worth.
pub const SIZE: usize = 64 * 1024;
/// Buffers each thread keeps for reuse; more are freed.
const KEPT: usize = 64;

thread_local! {
    static POOL: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `SIZE` bytes (contents unspecified).
pub fn take() -> Box<[u8]> {
    POOL.with(|pool| pool.borrow_mut().pop())
        .unwrap_or_else(|| vec![0u8; SIZE].into_boxed_slice())
}

/// Return a buffer for reuse.
pub fn give(buffer: Box<[u8]>) {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < KEPT {
            pool.push(buffer);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_reused() {
        let first = take();
        let address = first.as_ptr();
        give(first);
        let second = take();
        assert_eq!(second.as_ptr(), address);
    }
}
