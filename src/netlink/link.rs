//! Looking up an interface's index, MAC address and primary IPv4 address.

use std::ffi::CString;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What the VRRP shell needs to know about an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Interface name.
    pub name: String,
    /// Kernel interface index.
    pub index: u32,
    /// Hardware address.
    pub mac: [u8; 6],
}

impl Link {
    /// Look up `name` in the current network namespace.
    pub fn lookup(name: &str) -> io::Result<Link> {
        let c_name = CString::new(name)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name has a NUL"))?;
        // SAFETY: c_name is a valid NUL-terminated string for the call's duration.
        let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
        if index == 0 {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no interface named {name:?} in this network namespace"),
            ));
        }
        let text = std::fs::read_to_string(format!("/sys/class/net/{name}/address"))?;
        let mac = parse_mac(text.trim()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name}: unreadable MAC {text:?}"),
            )
        })?;
        Ok(Link {
            name: name.to_string(),
            index,
            mac,
        })
    }
}

/// Parse `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for slot in &mut mac {
        *slot = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// The first IPv4 address configured on `name` (its primary address).
pub fn primary_ipv4(name: &str) -> io::Result<Ipv4Addr> {
    first_address(name, |address| match address {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    })
    .ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{name} has no IPv4 address"),
        )
    })
}

/// The link-local IPv6 address of `name` (VRRPv3 over IPv6 sends from it).
pub fn link_local_ipv6(name: &str) -> io::Result<Ipv6Addr> {
    first_address(name, |address| match address {
        IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80 => Some(a),
        _ => None,
    })
    .ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{name} has no link-local IPv6 address (yet)"),
        )
    })
}

/// The first address of `name` that `pick` accepts, in the kernel's order.
fn first_address<T>(name: &str, pick: impl Fn(IpAddr) -> Option<T>) -> Option<T> {
    let mut addrs: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills addrs; we free it below.
    if unsafe { libc::getifaddrs(&mut addrs) } != 0 {
        return None;
    }
    let mut found = None;
    let mut cursor = addrs;
    while !cursor.is_null() && found.is_none() {
        // SAFETY: cursor walks the list getifaddrs returned.
        let entry = unsafe { &*cursor };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let entry_name = unsafe { std::ffi::CStr::from_ptr(entry.ifa_name) };
        if entry_name.to_bytes() == name.as_bytes() && !entry.ifa_addr.is_null() {
            // SAFETY: ifa_addr is non-null; its family tells its real type.
            let family = i32::from(unsafe { (*entry.ifa_addr).sa_family });
            let address = if family == libc::AF_INET {
                // SAFETY: AF_INET means the address is a sockaddr_in.
                let sin = unsafe { &*(entry.ifa_addr as *const libc::sockaddr_in) };
                Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    sin.sin_addr.s_addr,
                ))))
            } else if family == libc::AF_INET6 {
                // SAFETY: AF_INET6 means the address is a sockaddr_in6.
                let sin6 = unsafe { &*(entry.ifa_addr as *const libc::sockaddr_in6) };
                Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
            } else {
                None
            };
            found = address.and_then(&pick);
        }
        cursor = entry.ifa_next;
    }
    // SAFETY: addrs came from getifaddrs.
    unsafe { libc::freeifaddrs(addrs) };
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_macs_strictly() {
        assert_eq!(
            parse_mac("02:00:5e:00:01:33"),
            Some([2, 0, 0x5e, 0, 1, 0x33])
        );
        assert_eq!(parse_mac("02:00:5e:00:01"), None);
        assert_eq!(parse_mac("02:00:5e:00:01:33:44"), None);
        assert_eq!(parse_mac("zz:00:5e:00:01:33"), None);
    }

    #[test]
    fn loopback_exists_and_unknown_names_are_named_in_the_error() {
        assert!(Link::lookup("lo").is_ok());
        let err = Link::lookup("nosuchif0").unwrap_err();
        assert!(err.to_string().contains("nosuchif0"));
    }
}
