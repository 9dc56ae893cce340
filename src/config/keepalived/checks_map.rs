//! What every checker block of keepalived.conf shares: the options every
//! network checker knows, read into the checker being built. Each kind's
//! own keywords are read by its module (`check::kinds`).

use super::check_defaults::CheckDefaults;
use super::reader::Reader;
use super::tree::Node;
use std::net::IpAddr;

use crate::config::values::{Port, Seconds};

/// Options every network checker (TCP_CHECK, HTTP_GET…) knows.
pub const NETWORK_KNOWN: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "connect_timeout",
    "retry",
    "nb_get_retry",
    "delay_before_retry",
    "warmup",
    "log_all_failures",
    "delay_loop",
];

/// The options every network checker shares, borrowed from the checker
/// being read.
pub struct Timing<'c> {
    /// `connect_port`; `None` for a checker without one (PING_CHECK), which
    /// accepts the keyword and has no use for it.
    pub connect_port: Option<&'c mut Option<Port>>,
    /// `connect_timeout`.
    pub connect_timeout: &'c mut Seconds,
    /// `retry` (or the deprecated `nb_get_retry`).
    pub retry: &'c mut u32,
    /// `delay_before_retry`.
    pub delay_before_retry: &'c mut Seconds,
    /// `connect_ip`.
    pub connect_ip: &'c mut Option<IpAddr>,
    /// `bindto`.
    pub bindto: &'c mut Option<IpAddr>,
    /// `bind_port`.
    pub bind_port: &'c mut Option<Port>,
    /// `warmup`.
    pub warmup: &'c mut Option<Seconds>,
    /// `delay_loop`.
    pub delay_loop: &'c mut Option<Seconds>,
    /// `log_all_failures`.
    pub log_all_failures: &'c mut bool,
}

impl Timing<'_> {
    /// Read `item` if it is one of the shared options; whether it was.
    pub fn take(&mut self, reader: &mut Reader, item: &Node) -> bool {
        match item.keyword.text.as_str() {
            "connect_port" => {
                let port = reader.ranged(item, Port::new);
                if let Some(slot) = self.connect_port.as_deref_mut() {
                    *slot = port;
                }
            }
            "connect_timeout" => {
                *self.connect_timeout = reader.seconds(item).unwrap_or(*self.connect_timeout)
            }
            "retry" => *self.retry = reader.parse(item, "a count").unwrap_or(*self.retry),
            "nb_get_retry" => {
                reader.deprecated(item, "retry");
                *self.retry = reader.parse(item, "a count").unwrap_or(*self.retry);
            }
            "delay_before_retry" => {
                *self.delay_before_retry = reader.seconds(item).unwrap_or(*self.delay_before_retry)
            }
            "connect_ip" => *self.connect_ip = reader.parse(item, "an IP address"),
            "bindto" => *self.bindto = reader.parse(item, "an IP address"),
            "bind_port" => *self.bind_port = reader.ranged(item, Port::new),
            "warmup" => *self.warmup = reader.seconds(item),
            "delay_loop" => *self.delay_loop = reader.seconds(item),
            "log_all_failures" => *self.log_all_failures = true,
            _ => return false,
        }
        true
    }
}

/// A network checker whose shared options can be read in place.
pub trait Readable: serde::de::DeserializeOwned {
    /// Its shared options, borrowed for reading.
    fn options(&mut self) -> Timing<'_>;
}

/// Read a network checker's block, starting from keepalived's defaults
/// and what encloses it: the shared options, and the rest by `other`
/// (`extra` names what it knows), which says whether it knew the keyword.
pub fn read_network<T, F>(
    reader: &mut Reader,
    node: &Node,
    defaults: &CheckDefaults,
    extra: &[&str],
    mut other: F,
) -> T
where
    T: Readable,
    F: FnMut(&mut Reader, &Node) -> bool,
{
    let mut check: T = crate::config::default_check();
    let mut timing = check.options();
    defaults.seed(&mut timing);
    for item in reader.block(node) {
        if timing.take(reader, item) || other(reader, item) {
            continue;
        }
        let known = [NETWORK_KNOWN, extra].concat();
        reader.unknown(item, &node.keyword.text, &known);
    }
    check
}
