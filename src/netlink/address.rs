//! Adding and removing interface addresses over rtnetlink (the VIPs).

use std::fmt;
use std::net::Ipv4Addr;

use neli::consts::nl::NlmF;
use neli::consts::rtnl::{Ifa, RtAddrFamily, RtScope, Rtm};
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

/// A route-netlink connection used to add and remove addresses.
pub struct Addresses {
    router: NlRouter,
}

impl fmt::Debug for Addresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Addresses")
    }
}

impl Addresses {
    /// Connect to rtnetlink in the current network namespace.
    pub fn connect() -> Result<Addresses, AddressError> {
        let (router, _) =
            NlRouter::connect(NlFamily::Route, None, Groups::empty()).map_err(|e| {
                AddressError {
                    operation: "open rtnetlink socket".into(),
                    cause: e.to_string(),
                }
            })?;
        Ok(Addresses { router })
    }

    /// Add `address/prefix` to interface `ifindex`; adding one already present succeeds.
    pub fn add(&self, ifindex: u32, address: Ipv4Addr, prefix: u8) -> Result<(), AddressError> {
        let operation = format!("add {address}/{prefix} to ifindex {ifindex}");
        self.request(
            Rtm::Newaddr,
            NlmF::CREATE | NlmF::REPLACE,
            ifindex,
            address,
            prefix,
        )
        .map_err(|cause| AddressError { operation, cause })
    }

    /// Remove `address/prefix` from `ifindex`; removing one already absent succeeds.
    pub fn remove(&self, ifindex: u32, address: Ipv4Addr, prefix: u8) -> Result<(), AddressError> {
        let operation = format!("remove {address}/{prefix} from ifindex {ifindex}");
        match self.request(Rtm::Deladdr, NlmF::empty(), ifindex, address, prefix) {
            Err(cause) if cause.contains("Cannot assign requested address") => Ok(()),
            other => other.map_err(|cause| AddressError { operation, cause }),
        }
    }

    fn request(
        &self,
        kind: Rtm,
        flags: NlmF,
        ifindex: u32,
        address: Ipv4Addr,
        prefix: u8,
    ) -> Result<(), String> {
        let mut attrs = RtBuffer::new();
        for attr_type in [Ifa::Local, Ifa::Address] {
            attrs.push(
                RtattrBuilder::default()
                    .rta_type(attr_type)
                    .rta_payload(Buffer::from(&address.octets()[..]))
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        let message = IfaddrmsgBuilder::default()
            .ifa_family(RtAddrFamily::Inet)
            .ifa_prefixlen(prefix)
            .ifa_scope(RtScope::Universe)
            .ifa_index(ifindex)
            .rtattrs(attrs)
            .build()
            .map_err(|e| e.to_string())?;
        let replies = self
            .router
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
