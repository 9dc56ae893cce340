//! The Internet checksum (RFC 1071), shared by VRRP and ICMP.

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for byte in parts.iter().flat_map(|p| p.iter().copied()) {
        match odd.take() {
            Some(high) => sum += u32::from(u16::from_be_bytes([high, byte])),
            None => odd = Some(byte),
        }
    }
    if let Some(high) = odd {
        sum += u32::from(high) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_with_its_checksum_sums_to_zero() {
        let mut message = vec![0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0, 0, 0x40, 0x01];
        let sum = checksum(&[&message]);
        message.extend_from_slice(&sum.to_be_bytes());
        // Split at an odd offset: the odd byte carries over into the next part.
        assert_eq!(checksum(&[&message[..5], &message[5..]]), 0);
    }
}
