//! Adding and removing interface addresses over rtnetlink (the VIPs).

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use neli::consts::nl::NlmF;
use neli::consts::rtnl::{Ifa, IfaF, RtAddrFamily, RtScope, Rtm};
use neli::consts::socket::NlFamily;
use neli::nl::{NlPayload, NlmsghdrBuilder};
use neli::rtnl::{Ifaddrmsg, IfaddrmsgBuilder, RtattrBuilder};
use neli::socket::synchronous::NlSocketHandle;
use neli::types::{Buffer, RtBuffer};
use neli::utils::Groups;

/// A failed address change, naming the address and the kernel's answer.
#[derive(Debug)]
pub struct AddressError {
    /// What was being done, e.g. "add 192.0.2.50/32 to ifindex 2".
    pub operation: String,
    /// The kernel's or the library's answer.
    pub cause: String,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.cause)
    }
}

impl std::error::Error for AddressError {}

/// One address to add or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceAddress {
    /// Interface index.
    pub ifindex: u32,
    /// The address.
    pub address: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// IPv4 label, e.g. `eth0:vip`.
    pub label: Option<String>,
}

impl fmt::Display for InterfaceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} on ifindex {}",
            self.address, self.prefix, self.ifindex
        )
    }
}

/// Adds and removes addresses over a plain route-netlink socket. (neli's
/// router is not used here: it keeps a thread that wakes every 100 ms.)
pub struct Addresses {
    socket: NlSocketHandle,
    sequence: AtomicU32,
}

impl fmt::Debug for Addresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Addresses")
    }
}

impl Addresses {
    /// Open route netlink in this namespace.
    pub fn connect() -> Result<Addresses, AddressError> {
        let socket =
            NlSocketHandle::connect(NlFamily::Route, None, Groups::empty()).map_err(|e| {
                AddressError {
                    operation: "open rtnetlink socket".into(),
                    cause: e.to_string(),
                }
            })?;
        Ok(Addresses {
            socket,
            sequence: AtomicU32::new(1),
        })
    }

    /// Add an address; adding one already present succeeds. IPv6 addresses
    /// skip duplicate address detection, as keepalived's do.
    pub fn add(&self, address: &InterfaceAddress) -> Result<(), AddressError> {
        crate::host_guard::check(format_args!("add {address}"));
        self.request(Rtm::Newaddr, NlmF::CREATE | NlmF::REPLACE, address)
            .map_err(|cause| AddressError {
                operation: format!("add {address}"),
                cause,
            })
    }

    /// Remove an address; removing one already absent succeeds.
    pub fn remove(&self, address: &InterfaceAddress) -> Result<(), AddressError> {
        crate::host_guard::check(format_args!("remove {address}"));
        match self.request(Rtm::Deladdr, NlmF::empty(), address) {
            Err(cause) if cause.contains("Cannot assign requested address") => Ok(()),
            other => other.map_err(|cause| AddressError {
                operation: format!("remove {address}"),
                cause,
            }),
        }
    }

    fn request(&self, kind: Rtm, flags: NlmF, address: &InterfaceAddress) -> Result<(), String> {
        let (family, bytes, flags_attr) = match address.address {
            IpAddr::V4(a) => (RtAddrFamily::Inet, a.octets().to_vec(), IfaF::empty()),
            IpAddr::V6(a) => (RtAddrFamily::Inet6, a.octets().to_vec(), IfaF::NODAD),
        };
        let mut attrs = RtBuffer::new();
        for attr_type in [Ifa::Local, Ifa::Address] {
            attrs.push(attr(attr_type, Buffer::from(&bytes[..]))?);
        }
        if let Some(label) = &address.label {
            let mut text = label.as_bytes().to_vec();
            text.push(0);
            attrs.push(attr(Ifa::Label, Buffer::from(&text[..]))?);
        }
        let message = IfaddrmsgBuilder::default()
            .ifa_family(family)
            .ifa_prefixlen(address.prefix)
            .ifa_flags(flags_attr)
            .ifa_scope(RtScope::Universe)
            .ifa_index(address.ifindex)
            .rtattrs(attrs)
            .build()
            .map_err(|e| e.to_string())?;
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let request = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(flags | NlmF::REQUEST | NlmF::ACK)
            .nl_seq(sequence)
            .nl_payload(NlPayload::Payload(message))
            .build()
            .map_err(|e| e.to_string())?;
        self.socket.send(&request).map_err(|e| e.to_string())?;
        // Read until the kernel's answer to this request: an ACK or an error.
        for _ in 0..16 {
            let (replies, _) = self
                .socket
                .recv::<Rtm, Ifaddrmsg>()
                .map_err(|e| e.to_string())?;
            for reply in replies {
                let reply = reply.map_err(|e| e.to_string())?;
                if *reply.nl_seq() != sequence {
                    continue;
                }
                return match reply.nl_payload() {
                    NlPayload::Err(e) => {
                        Err(std::io::Error::from_raw_os_error(-*e.error()).to_string())
                    }
                    _ => Ok(()),
                };
            }
        }
        Err("no answer from the kernel".into())
    }
}

fn attr(kind: Ifa, payload: Buffer) -> Result<neli::rtnl::Rtattr<Ifa, Buffer>, String> {
    RtattrBuilder::default()
        .rta_type(kind)
        .rta_payload(payload)
        .build()
        .map_err(|e| e.to_string())
}
