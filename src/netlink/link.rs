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
    let mut found = None;
    each_address(|interface, address| {
        if interface == name.as_bytes() {
            found = pick(address);
        }
        found.is_none()
    });
    found
}

/// Every IPv4 and IPv6 address configured on this host's interfaces (in
/// the current network namespace).
pub fn local_addresses() -> Vec<IpAddr> {
    let mut all = Vec::new();
    each_address(|_, address| {
        all.push(address);
        true
    });
    all
}

/// Visit each (interface name, address) in the kernel's order while
/// `visit` returns true. Nothing is visited when the list cannot be read.
fn each_address(mut visit: impl FnMut(&[u8], IpAddr) -> bool) {
    let mut addrs: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills addrs; we free it below.
    if unsafe { libc::getifaddrs(&mut addrs) } != 0 {
        return;
    }
    let mut cursor = addrs;
    while !cursor.is_null() {
        // SAFETY: cursor walks the list getifaddrs returned.
        let entry = unsafe { &*cursor };
        cursor = entry.ifa_next;
        if entry.ifa_addr.is_null() {
            continue;
        }
        // SAFETY: ifa_addr is non-null; its family tells its real type.
        let family = i32::from(unsafe { (*entry.ifa_addr).sa_family });
        let address = if family == libc::AF_INET {
            // SAFETY: AF_INET means the address is a sockaddr_in.
            let sin = unsafe { &*(entry.ifa_addr as *const libc::sockaddr_in) };
            IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
        } else if family == libc::AF_INET6 {
            // SAFETY: AF_INET6 means the address is a sockaddr_in6.
            let sin6 = unsafe { &*(entry.ifa_addr as *const libc::sockaddr_in6) };
            IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
        } else {
            continue;
        };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.ifa_name) };
        if !visit(name.to_bytes(), address) {
            break;
        }
    }
    // SAFETY: addrs came from getifaddrs.
    unsafe { libc::freeifaddrs(addrs) };
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
    fn local_addresses_include_loopback() {
        assert!(local_addresses().contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }

    #[test]
    fn loopback_exists_and_unknown_names_are_named_in_the_error() {
        assert!(Link::lookup("lo").is_ok());
        let err = Link::lookup("nosuchif0").unwrap_err();
        assert!(err.to_string().contains("nosuchif0"));
    }
}
