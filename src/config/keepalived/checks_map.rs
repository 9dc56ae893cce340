//! Mapping HTTP_GET and MISC_CHECK blocks onto the model.

use super::check_defaults::CheckDefaults;
use super::reader::Reader;
use super::tree::Node;
use crate::config::default_check;
use std::net::IpAddr;

use crate::config::values::{HexBytes, Port, Seconds};
use crate::config::{
    DnsCheck, FileCheck, HttpGet, HttpUrl, MiscCheck, PingCheck, SmtpCheck, UdpCheck,
};

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

const HTTP_ONLY: &[&str] = &[
    "url",
    "virtualhost",
    "http_protocol",
    "enable_sni",
    "tls_compliant",
];

const URL_KNOWN: &[&str] = &[
    "path",
    "digest",
    "status_code",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_min_offset",
    "regex_max_offset",
    "regex_stack",
    "virtualhost",
];

const MISC_KNOWN: &[&str] = &[
    "misc_path",
    "misc_timeout",
    "misc_dynamic",
    "user",
    "warmup",
    "retry",
    "delay_before_retry",
    "delay_loop",
    "log_all_failures",
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
pub(super) use timing_of;

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

/// `HTTP_GET { url { … } … }` and `SSL_GET { … }`.
pub fn http_get(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> HttpGet {
    let mut check = HttpGet::with_urls(Vec::new());
    defaults.seed(&mut timing_of!(check));
    check.virtualhost = defaults.virtualhost.clone();
    for item in reader.block(node) {
        let mut timing = timing_of!(check);
        if timing.take(reader, item) {
            continue;
        }
        match item.keyword.text.as_str() {
            "url" => check.urls.push(url(reader, item)),
            "virtualhost" => check.virtualhost = reader.value(item).map(|t| t.text.clone()),
            "http_protocol" => match reader.value(item).map(|t| t.text.clone()) {
                Some(v) if v == "1.1" => check.http_1_1 = true,
                Some(v) if v == "1.0" || v == "1.0C" => check.http_1_1 = false,
                Some(v) => {
                    let at = item.args[0].at.clone();
                    reader.error(
                        &at,
                        format!("http_protocol must be 1.0, 1.0C or 1.1, not {v:?}"),
                    );
                }
                None => {}
            },
            "enable_sni" => check.enable_sni = true,
            _ => reader.unknown(
                item,
                &node.keyword.text,
                &[NETWORK_KNOWN, HTTP_ONLY].concat(),
            ),
        }
    }
    if check.urls.is_empty() {
        reader.error(
            &node.keyword.at,
            format!("{} needs at least one `url` block", node.keyword.text),
        );
    }
    if node.keyword.text == "SSL_GET" {
        // keepalived does not verify certificates; a drop-in keeps that.
        check.verify_certificate = false;
        reader.warn(
            &node.keyword.at,
            "SSL_GET: certificates are not verified, as keepalived does not verify them; in TOML set verify_certificate = true (and ca_file) to verify".into(),
        );
    }
    check
}

fn url(reader: &mut Reader, node: &Node) -> HttpUrl {
    let mut url = HttpUrl::at("/");
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "path" => {
                if let Some(path) = reader.value(item) {
                    url.path = path.text.clone();
                }
            }
            "digest" => url.digest = reader.value(item).map(|t| t.text.to_lowercase()),
            "status_code" => {
                for code in &item.args {
                    match code.text.parse() {
                        Ok(range) => url.status_code.push(range),
                        Err(message) => reader.error(&code.at, message),
                    }
                }
            }
            "regex" => url.regex = reader.rest(item),
            "regex_no_match" => url.regex_no_match = true,
            "virtualhost" => url.virtualhost = reader.value(item).map(|t| t.text.clone()),
            "regex_options" => url
                .regex_options
                .extend(item.args.iter().map(|t| t.text.clone())),
            _ => reader.unknown(item, "url", URL_KNOWN),
        }
    }
    url
}

/// `MISC_CHECK { misc_path "…" … }`.
pub fn misc_check(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<MiscCheck> {
    let mut path = None;
    let mut check = MiscCheck {
        misc_path: String::new(),
        misc_timeout: None,
        misc_dynamic: false,
        retry: 0,
        delay_before_retry: Seconds::from_secs(1),
        warmup: None,
        delay_loop: None,
        log_all_failures: false,
    };
    defaults.seed_retries(&mut check.retry, &mut check.delay_before_retry);
    check.delay_loop = defaults.delay_loop;
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "misc_path" => path = reader.rest(item),
            "warmup" => check.warmup = reader.seconds(item),
            "log_all_failures" => check.log_all_failures = true,
            "misc_timeout" => check.misc_timeout = reader.seconds(item),
            "misc_dynamic" => check.misc_dynamic = true,
            "retry" => check.retry = reader.parse(item, "a count").unwrap_or(0),
            "delay_before_retry" => {
                check.delay_before_retry = reader.seconds(item).unwrap_or(check.delay_before_retry)
            }
            "delay_loop" => check.delay_loop = reader.seconds(item),
            _ => reader.unknown(item, "MISC_CHECK", MISC_KNOWN),
        }
    }
    match path {
        Some(p) => {
            check.misc_path = p;
            Some(check)
        }
        None => {
            reader.error(&node.keyword.at, "MISC_CHECK needs `misc_path`".into());
            None
        }
    }
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

/// `PING_CHECK { … }`.
pub fn ping_check(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> PingCheck {
    let mut check: PingCheck = default_check();
    let mut port = None;
    let mut timing = Timing {
        connect_port: &mut port,
        connect_timeout: &mut check.connect_timeout,
        retry: &mut check.retry,
        delay_before_retry: &mut check.delay_before_retry,
        source: ProbeSource {
            connect_ip: &mut check.connect_ip,
            bindto: &mut check.bindto,
            bind_port: &mut check.bind_port,
            warmup: &mut check.warmup,
            delay_loop: &mut check.delay_loop,
            log_all_failures: &mut check.log_all_failures,
        },
    };
    defaults.seed(&mut timing);
    read_block(reader, node, "PING_CHECK", &[], timing, |_, _| false);
    check
}

/// `UDP_CHECK { payload …; require_reply … }`.
pub fn udp_check(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> UdpCheck {
    let mut check: UdpCheck = default_check();
    let (mut payload, mut require_reply) = (None, None);
    let mut timing = timing_of!(check);
    defaults.seed(&mut timing);
    let extra = ["payload", "require_reply"];
    read_block(reader, node, "UDP_CHECK", &extra, timing, |reader, item| {
        match item.keyword.text.as_str() {
            "payload" => {
                if let Some(token) = reader.value(item) {
                    match token.text.parse() {
                        Ok(bytes) => payload = Some(bytes),
                        Err(message) => reader.error(&token.at, format!("UDP_CHECK: {message}")),
                    }
                }
            }
            // Bare, it asks for any reply; with hex, a reply that starts so.
            "require_reply" => match item.args.first().map(|t| (t.text.parse(), &t.at)) {
                None => require_reply = Some(HexBytes::default()),
                Some((Ok(bytes), _)) => require_reply = Some(bytes),
                Some((Err(message), at)) => reader.error(at, format!("UDP_CHECK: {message}")),
            },
            _ => return false,
        }
        true
    });
    check.payload = payload;
    check.require_reply = require_reply;
    check
}

/// `SMTP_CHECK { helo_name … }`.
pub fn smtp_check(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> SmtpCheck {
    let mut check: SmtpCheck = default_check();
    let mut helo = None;
    let mut timing = timing_of!(check);
    defaults.seed(&mut timing);
    read_block(
        reader,
        node,
        "SMTP_CHECK",
        &["helo_name"],
        timing,
        |reader, item| {
            if item.keyword.text != "helo_name" {
                return false;
            }
            helo = reader.value(item).map(|t| t.text.clone());
            true
        },
    );
    check.helo_name = helo;
    check
}

/// `DNS_CHECK { type …; name … }`.
pub fn dns_check(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> DnsCheck {
    let mut check: DnsCheck = default_check();
    let (mut kind, mut name) = (None, None);
    let mut timing = timing_of!(check);
    defaults.seed(&mut timing);
    read_block(
        reader,
        node,
        "DNS_CHECK",
        &["type", "name"],
        timing,
        |reader, item| {
            match item.keyword.text.as_str() {
                "type" => {
                    if let Some(token) = reader.value(item) {
                        match token.text.parse() {
                            Ok(parsed) => kind = Some(parsed),
                            Err(message) => reader.error(&token.at, message),
                        }
                    }
                }
                "name" => name = reader.value(item).map(|t| t.text.clone()),
                _ => return false,
            }
            true
        },
    );
    check.record_type = kind;
    check.name = name;
    check
}

/// `FILE_CHECK { track_file NAME; weight W [reverse] }`.
pub fn file_check(reader: &mut Reader, node: &Node) -> Option<FileCheck> {
    let mut check = FileCheck {
        track_file: String::new(),
        weight: None,
        reverse: false,
    };
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "track_file" => {
                if let Some(name) = reader.value(item) {
                    check.track_file = name.text.clone();
                }
            }
            "weight" => {
                check.weight = reader.parse(item, "a weight");
                check.reverse = item.args.get(1).is_some_and(|t| t.text == "reverse");
            }
            _ => reader.unknown(item, "FILE_CHECK", &["track_file", "weight"]),
        }
    }
    if check.track_file.is_empty() {
        reader.error(&node.keyword.at, "FILE_CHECK needs `track_file`".into());
        return None;
    }
    Some(check)
}
