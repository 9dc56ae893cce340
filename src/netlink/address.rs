//! Adding and removing interface addresses over rtnetlink (the VIPs).

use std::fmt;
use std::net::IpAddr;

use neli::consts::nl::NlmF;
use neli::consts::rtnl::{Ifa, IfaF, RtAddrFamily, RtScope, Rtm};
use neli::consts::socket::NlFamily;
use neli::nl::{NlPayload, Nlmsghdr};
use neli::router::synchronous::NlRouter;
use neli::rtnl::{Ifaddrmsg, IfaddrmsgBuilder, RtattrBuilder};
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

/// Adds and removes addresses over route netlink. Each change opens its own
/// short-lived connection: neli's router keeps a thread that wakes every
/// 100 ms while it lives, and address changes are rare.
#[derive(Debug, Default)]
pub struct Addresses;

impl Addresses {
    /// Check that route netlink can be opened in this namespace.
    pub fn connect() -> Result<Addresses, AddressError> {
        open().map(|_| Addresses)
    }

    /// Add an address; adding one already present succeeds. IPv6 addresses
    /// skip duplicate address detection, as keepalived's do.
    pub fn add(&self, address: &InterfaceAddress) -> Result<(), AddressError> {
        self.request(Rtm::Newaddr, NlmF::CREATE | NlmF::REPLACE, address)
            .map_err(|cause| AddressError {
                operation: format!("add {address}"),
                cause,
            })
    }

    /// Remove an address; removing one already absent succeeds.
    pub fn remove(&self, address: &InterfaceAddress) -> Result<(), AddressError> {
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
        let router = open().map_err(|e| e.cause)?;
        let replies = router
            .send::<Rtm, Ifaddrmsg, Rtm, Ifaddrmsg>(
                kind,
                flags | NlmF::ACK,
                NlPayload::Payload(message),
            )
            .map_err(|e| e.to_string())?;
        for reply in replies {
            let _: Nlmsghdr<Rtm, Ifaddrmsg> = reply.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn open() -> Result<NlRouter, AddressError> {
    NlRouter::connect(NlFamily::Route, None, Groups::empty())
        .map(|(router, _)| router)
        .map_err(|e| AddressError {
            operation: "open rtnetlink socket".into(),
            cause: e.to_string(),
        })
}

fn attr(kind: Ifa, payload: Buffer) -> Result<neli::rtnl::Rtattr<Ifa, Buffer>, String> {
    RtattrBuilder::default()
        .rta_type(kind)
        .rta_payload(payload)
        .build()
        .map_err(|e| e.to_string())
}
