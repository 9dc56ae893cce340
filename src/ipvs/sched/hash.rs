//! The hash functions the kernel's hashing schedulers use, reproduced so
//! that director places clients where a kernel IPVS would.

use std::net::IpAddr;

/// The kernel's address fold: an IPv4 address as a host-order number; an
/// IPv6 address as the XOR of its four 32-bit words.
pub fn fold(address: IpAddr) -> u32 {
    match address {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(v6) => v6
            .octets()
            .chunks_exact(4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
            .fold(0, |a, b| a ^ b),
    }
}

/// The kernel's `hash_32(value, bits)`: multiply by the 32-bit golden ratio
/// and keep the top `bits` bits.
pub fn hash_32(value: u32, bits: u32) -> u32 {
    value.wrapping_mul(0x61C8_8647) >> (32 - bits)
}

/// The kernel's `hsiphash` of a 4-byte value on 64-bit machines, where it is
/// SipHash-1-3 over 64-bit keys, truncated to 32 bits.
pub fn hsiphash_u32(value: u32, key: [u64; 2]) -> u32 {
    let mut v = [
        0x736f_6d65_7073_6575 ^ key[0],
        0x646f_7261_6e64_6f6d ^ key[1],
        0x6c79_6765_6e65_7261 ^ key[0],
        0x7465_6462_7974_6573 ^ key[1],
    ];
    // Four bytes: no full word, a tail of the bytes plus the length.
    let b: u64 = (4u64 << 56) | u64::from(value);
    v[3] ^= b;
    sip_round(&mut v);
    v[0] ^= b;
    v[2] ^= 0xff;
    sip_round(&mut v);
    sip_round(&mut v);
    sip_round(&mut v);
    ((v[0] ^ v[1]) ^ (v[2] ^ v[3])) as u32
}

fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

    #[test]
    fn hsiphash_is_siphash_1_3_truncated() {
        // std's DefaultHasher with zero keys is SipHash-1-3 over the bytes
        // written; its full 64-bit result folds to ours when truncated.
        for value in [0u32, 1, 0xc000_0201, 0xdead_beef, u32::MAX] {
            let mut std_hasher =
                BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                    .build_hasher();
            std_hasher.write(&value.to_le_bytes());
            assert_eq!(hsiphash_u32(value, [0, 0]), std_hasher.finish() as u32);
        }
    }

    #[test]
    fn fold_xors_ipv6_words() {
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(fold(v6), 0x2001_0db8 ^ 1);
        assert_eq!(fold("192.0.2.1".parse().unwrap()), 0xc000_0201);
    }

    #[test]
    fn hash_32_keeps_top_bits() {
        assert_eq!(hash_32(1, 8), 0x61);
        assert!(hash_32(u32::MAX, 8) < 256);
    }
}
