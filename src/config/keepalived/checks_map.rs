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

/// Borrow the shared options of a checker being read.
macro_rules! timing_of {
    ($check:ident) => {
        $crate::config::keepalived::checks_map::Timing {
            connect_port: &mut $check.connect_port,
            connect_timeout: &mut $check.connect_timeout,
            retry: &mut $check.retry,
            delay_before_retry: &mut $check.delay_before_retry,
            source: $crate::config::keepalived::checks_map::ProbeSource {
                connect_ip: &mut $check.connect_ip,
                bindto: &mut $check.bindto,
                bind_port: &mut $check.bind_port,
                warmup: &mut $check.warmup,
                delay_loop: &mut $check.delay_loop,
                log_all_failures: &mut $check.log_all_failures,
            },
        }
    };
}
pub(crate) use timing_of;

/// The options every network checker shares, borrowed from the checker
/// being read.
pub struct Timing<'c> {
    /// `connect_port`.
    pub connect_port: &'c mut Option<Port>,
    /// `connect_timeout`.
    pub connect_timeout: &'c mut Seconds,
    /// `retry` (or the deprecated `nb_get_retry`).
    pub retry: &'c mut u32,
    /// `delay_before_retry`.
    pub delay_before_retry: &'c mut Seconds,
    /// Where probes go and come from, warm-up and logging.
    pub source: ProbeSource<'c>,
}

/// The options every checker shares, PING_CHECK included, borrowed from
/// the checker being read.
pub struct ProbeSource<'c> {
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

impl ProbeSource<'_> {
    /// Read `item` if it is one of these options; whether it was.
    pub fn take(&mut self, reader: &mut Reader, item: &Node) -> bool {
        match item.keyword.text.as_str() {
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

impl Timing<'_> {
    /// Read `item` if it is one of the shared options; whether it was.
    pub fn take(&mut self, reader: &mut Reader, item: &Node) -> bool {
        match item.keyword.text.as_str() {
            "connect_port" => *self.connect_port = reader.ranged(item, Port::new),
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
            _ => return self.source.take(reader, item),
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
    other: F,
) -> T
where
    T: Readable,
    F: FnMut(&mut Reader, &Node) -> bool,
{
    let mut check: T = crate::config::default_check();
    let mut timing = check.options();
    defaults.seed(&mut timing);
    read_block(reader, node, &node.keyword.text, extra, timing, other);
    check
}

/// The common part of a checker block: the shared options go to `timing`,
/// the rest to `other`, which returns whether it knew the keyword.
pub fn read_block<F>(
    reader: &mut Reader,
    node: &Node,
    section: &str,
    extra: &[&str],
    mut timing: Timing<'_>,
    mut other: F,
) where
    F: FnMut(&mut Reader, &Node) -> bool,
{
    for item in reader.block(node) {
        if timing.take(reader, item) || other(reader, item) {
            continue;
        }
        reader.unknown(item, section, &[NETWORK_KNOWN, extra].concat());
    }
}
