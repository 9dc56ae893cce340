//! ldirectord's directives as native TOML, every line of it remembering
//! the `.cf` line it came from.

use std::net::IpAddr;

use super::parse::{Directive, Parsed, Section};
use crate::config::diagnostic::{Diagnostic, Severity};
use crate::config::keepalived::reader::suggestion;

/// What becomes of a directive.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// It maps onto the model.
    Maps,
    /// Accepted, but director does not act on it yet.
    NotYet,
    /// Accepted, and it does not apply to director, for this reason.
    NotApplicable(&'static str),
}

/// Every global directive of ldirectord(8) and what becomes of it.
const GLOBAL: &[(&str, Kind)] = &[
    ("checktimeout", Kind::Maps),
    ("connecttimeout", Kind::Maps),
    ("negotiatetimeout", Kind::Maps),
    ("checkinterval", Kind::Maps),
    ("failurecount", Kind::Maps),
    ("fallback", Kind::Maps),
    ("fallback6", Kind::Maps),
    ("quiescent", Kind::Maps),
    (
        "autoreload",
        Kind::NotApplicable(
            "director re-reads its configuration on SIGHUP or `director ctl reload`",
        ),
    ),
    (
        "callback",
        Kind::NotApplicable(
            "director re-reads its configuration on SIGHUP or `director ctl reload`",
        ),
    ),
    (
        "logfile",
        Kind::NotApplicable("director logs to stderr, for journald"),
    ),
    (
        "execute",
        Kind::NotApplicable("one director runs one configuration"),
    ),
    (
        "supervised",
        Kind::NotApplicable("director runs in the foreground under systemd"),
    ),
    (
        "fork",
        Kind::NotApplicable("director runs its checks concurrently without forking"),
    ),
    (
        "hostname",
        Kind::NotApplicable("director names itself by router_id or the host name"),
    ),
    ("cleanstop", Kind::NotYet),
    ("readdquiescent", Kind::NotYet),
    ("maintenancedir", Kind::NotYet),
    ("emailalert", Kind::NotYet),
    ("emailalertfreq", Kind::NotYet),
    ("emailalertstatus", Kind::NotYet),
    ("emailalertfrom", Kind::NotYet),
    ("smtp", Kind::NotYet),
    ("fallbackcommand", Kind::NotYet),
];

/// Every directive of a `virtual=` section and what becomes of it.
const SECTION: &[(&str, Kind)] = &[
    ("real", Kind::Maps),
    ("fallback", Kind::Maps),
    ("checktype", Kind::Maps),
    ("checkport", Kind::Maps),
    ("checkcommand", Kind::Maps),
    ("checktimeout", Kind::Maps),
    ("connecttimeout", Kind::Maps),
    ("negotiatetimeout", Kind::Maps),
    ("checkinterval", Kind::Maps),
    ("failurecount", Kind::Maps),
    ("request", Kind::Maps),
    ("receive", Kind::Maps),
    ("virtualhost", Kind::Maps),
    ("service", Kind::Maps),
    ("scheduler", Kind::Maps),
    ("persistent", Kind::Maps),
    ("netmask", Kind::Maps),
    ("protocol", Kind::Maps),
    ("quiescent", Kind::Maps),
    ("httpmethod", Kind::NotYet),
    ("login", Kind::NotYet),
    ("passwd", Kind::NotYet),
    ("database", Kind::NotYet),
    ("secret", Kind::NotYet),
    ("monitorfile", Kind::NotYet),
    ("emailalert", Kind::NotYet),
    ("emailalertfreq", Kind::NotYet),
    ("emailalertstatus", Kind::NotYet),
    ("cleanstop", Kind::NotYet),
    ("readdquiescent", Kind::NotYet),
    ("fallbackcommand", Kind::NotYet),
];

/// The TOML and where each of its lines came from.
#[derive(Debug, Default)]
pub struct Translated {
    /// Native TOML.
    pub toml: String,
    /// (TOML line, .cf line, .cf column), in TOML order.
    origins: Vec<(usize, usize, usize)>,
}

impl Translated {
    /// `problem`, found in the TOML, told at the `.cf` line its part came from.
    pub fn locate(&self, problem: Diagnostic, cf_text: &str) -> Diagnostic {
        let (line, column) = self
            .origins
            .iter()
            .rev()
            .find(|(toml_line, _, _)| *toml_line <= problem.line)
            .map_or((1, 1), |(_, line, column)| (*line, *column));
        Diagnostic {
            line,
            column,
            source: cf_text.lines().nth(line - 1).map(str::to_string),
            ..problem
        }
    }

    fn from(&mut self, directive: &Directive) {
        let next = self.toml.lines().count() + 1;
        self.origins
            .push((next, directive.line, directive.value_column));
    }

    fn line(&mut self, text: &str) {
        self.toml.push_str(text);
        self.toml.push('\n');
    }

    /// `key = value` from `directive`.
    fn set(&mut self, directive: &Directive, key: &str, value: &str) {
        self.from(directive);
        self.line(&format!("{key} = {value}"));
    }
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The effective directive `key` for `section`: its own, else the global one.
fn setting<'p>(parsed: &'p Parsed, section: &'p Section, key: &str) -> Option<&'p Directive> {
    section
        .directives
        .iter()
        .rev()
        .chain(parsed.globals.iter().rev())
        .find(|d| d.key == key)
}

struct Context<'a> {
    parsed: &'a Parsed,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Context<'_> {
    fn error(&mut self, directive: &Directive, message: String) {
        let at = (directive.line, directive.value_column);
        self.diagnostics
            .push(self.parsed.diagnostic(at, Severity::Error, message));
    }

    fn warn(&mut self, directive: &Directive, message: String) {
        let at = (directive.line, directive.key_column);
        self.diagnostics
            .push(self.parsed.diagnostic(at, Severity::Warning, message));
    }

    /// Report every directive that does not map, and unknown ones.
    fn classify(&mut self, directives: &[Directive], table: &[(&str, Kind)], place: &str) {
        let known: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
        for directive in directives {
            match table.iter().find(|(k, _)| *k == directive.key) {
                Some((_, Kind::Maps)) => {}
                Some((_, Kind::NotYet)) => self.warn(
                    directive,
                    format!(
                        "`{}` is accepted but not yet supported; it has no effect",
                        directive.key
                    ),
                ),
                Some((_, Kind::NotApplicable(why))) => self.warn(
                    directive,
                    format!("`{}` does not apply here ({why}); ignored", directive.key),
                ),
                None => {
                    let message = match suggestion(&directive.key, &known) {
                        Some(close) => format!(
                            "unknown directive `{}` {place}; did you mean `{close}`?",
                            directive.key
                        ),
                        None => format!("unknown directive `{}` {place}", directive.key),
                    };
                    let at = (directive.line, directive.key_column);
                    self.diagnostics
                        .push(self.parsed.diagnostic(at, Severity::Error, message));
                }
            }
        }
    }

    fn seconds(&mut self, directive: &Directive) -> Option<f64> {
        match directive.value.parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Some(s),
            _ => {
                self.error(
                    directive,
                    format!(
                        "`{}` takes a number of seconds, not {:?}",
                        directive.key, directive.value
                    ),
                );
                None
            }
        }
    }

    fn yes_no(&mut self, directive: &Directive) -> Option<bool> {
        match directive.value.to_ascii_lowercase().as_str() {
            "yes" | "on" | "1" | "true" => Some(true),
            "no" | "off" | "0" | "false" => Some(false),
            other => {
                self.error(
                    directive,
                    format!("`{}` takes yes or no, not {other:?}", directive.key),
                );
                None
            }
        }
    }
}

/// A service name ldirectord accepts in place of a port.
fn named_port(name: &str) -> Option<u16> {
    Some(match name {
        "http" | "www" => 80,
        "https" => 443,
        "ftp" => 21,
        "ssh" => 22,
        "smtp" => 25,
        "domain" | "dns" => 53,
        "pop3" | "pop" => 110,
        "imap" => 143,
        "ldap" => 389,
        "imaps" => 993,
        "pop3s" => 995,
        "mysql" => 3306,
        "postgresql" | "pgsql" => 5432,
        "sip" => 5060,
        "nntp" => 119,
        _ => return None,
    })
}

/// The service ldirectord assumes for a port.
fn default_service(port: u16) -> &'static str {
    match port {
        80 => "http",
        443 => "https",
        21 => "ftp",
        25 => "smtp",
        53 => "dns",
        110 => "pop",
        143 => "imap",
        389 => "ldap",
        3306 => "mysql",
        5432 => "pgsql",
        _ => "none",
    }
}

/// `address:port` (`[v6]:port`), the port perhaps a service name; the
/// address perhaps a last-octet range `a.b.c.d->a.b.c.e`.
fn endpoints(text: &str) -> Result<(Vec<IpAddr>, u16), String> {
    let (host, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest
                .split_once("]:")
                .ok_or("an IPv6 address needs `[address]:port`")?;
            (host, port)
        }
        None => text.rsplit_once(':').ok_or("expected address:port")?,
    };
    let port = port
        .parse::<u16>()
        .ok()
        .or_else(|| named_port(port))
        .ok_or_else(|| format!("{port:?} is neither a port nor a service director knows"))?;
    let addresses = match host.split_once("->") {
        Some((first, last)) => {
            let (first, last): (std::net::Ipv4Addr, std::net::Ipv4Addr) = (
                first
                    .parse()
                    .map_err(|_| format!("{first:?} is not an IPv4 address"))?,
                last.parse()
                    .map_err(|_| format!("{last:?} is not an IPv4 address"))?,
            );
            let (a, b) = (u32::from(first), u32::from(last));
            if b < a || b - a > 255 {
                return Err(format!(
                    "{first}->{last} is not a range of at most 256 addresses"
                ));
            }
            (a..=b).map(|n| IpAddr::V4(n.into())).collect()
        }
        None => vec![host.parse().map_err(|_| {
            format!("{host:?} is not an IP address (director does not resolve names)")
        })?],
    };
    Ok((addresses, port))
}

/// Words of a `real=` value: whitespace or commas separate; quotes group.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if !quoted && (c.is_whitespace() || c == ',') => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// One real server line, read.
struct Real {
    addresses: Vec<IpAddr>,
    port: u16,
    forwarding: &'static str,
    weight: u32,
    request: Option<String>,
    receive: Option<String>,
}

fn real(text: &str) -> Result<Real, String> {
    let words = words(text);
    let (addresses, port) = endpoints(words.first().ok_or("a real server needs address:port")?)?;
    let mut real = Real {
        addresses,
        port,
        forwarding: "dr",
        weight: 1,
        request: None,
        receive: None,
    };
    let mut rest = words[1..].iter().peekable();
    if let Some(method) = rest.next() {
        real.forwarding = match method.as_str() {
            "gate" => "dr",
            "masq" => "nat",
            "ipip" => "tun",
            other => {
                return Err(format!(
                    "the forwarding method is gate, masq or ipip, not {other:?}"
                ))
            }
        };
    }
    if let Some(weight) = rest.peek().and_then(|w| w.parse::<u32>().ok()) {
        real.weight = weight;
        rest.next();
    }
    real.request = rest.next().cloned();
    real.receive = rest.next().cloned();
    if let Some(extra) = rest.next() {
        return Err(format!("unexpected {extra:?} (expected address:port [gate|masq|ipip] [weight] [\"request\", \"receive\"])"));
    }
    Ok(real)
}

/// The whole file as TOML.
pub fn to_toml(parsed: &Parsed, diagnostics: &mut Vec<Diagnostic>) -> Translated {
    let mut context = Context {
        parsed,
        diagnostics,
    };
    context.classify(&parsed.globals, GLOBAL, "in the global section");
    let mut out = Translated::default();
    out.line(&format!(
        "# Imported from the ldirectord configuration {}.",
        parsed.file
    ));
    for section in &parsed.sections {
        context.classify(&section.directives, SECTION, "in a virtual section");
        service(&mut context, &mut out, section);
    }
    out
}

fn service(context: &mut Context<'_>, out: &mut Translated, section: &Section) {
    let parsed = context.parsed;
    let header = &section.header;
    if header.value.chars().all(|c| c.is_ascii_digit()) {
        context.error(header, "fwmark services (`virtual=MARK`) need the kernel plane, and director does not configure them yet".into());
        return;
    }
    let (address, port) = match endpoints(&header.value) {
        Ok((addresses, port)) => (addresses[0], port),
        Err(why) => return context.error(header, why),
    };
    out.line("");
    out.line(&format!(
        "# ldirectord.cf line {}: {}={}",
        header.line, header.key, header.value
    ));
    out.from(header);
    out.line("[[virtual_server]]");
    out.set(header, "address", &quoted(&address.to_string()));
    out.set(header, "port", &port.to_string());
    if let Some(d) = setting(parsed, section, "protocol") {
        match d.value.as_str() {
            "tcp" | "udp" => out.set(d, "protocol", &quoted(&d.value)),
            "fwm" => context.error(
                d,
                "fwmark services need the kernel plane, and director does not configure them yet"
                    .into(),
            ),
            other => context.error(d, format!("protocol is tcp, udp or fwm, not {other:?}")),
        }
    }
    let scheduler = setting(parsed, section, "scheduler");
    match scheduler {
        Some(d) => out.set(d, "scheduler", &quoted(&d.value)),
        // ldirectord's default.
        None => out.set(header, "scheduler", &quoted("wrr")),
    }
    if let Some(d) = setting(parsed, section, "persistent") {
        match d.value.parse::<u32>() {
            Ok(seconds) => out.set(d, "persistence_timeout", &seconds.to_string()),
            Err(_) => context.error(d, format!("persistent takes seconds, not {:?}", d.value)),
        }
    }
    if let Some(d) = setting(parsed, section, "netmask") {
        match d.value.parse::<std::net::Ipv4Addr>().map(u32::from) {
            Ok(mask) if mask.leading_ones() + mask.trailing_zeros() == 32 => out.set(
                d,
                "persistence_granularity",
                &mask.leading_ones().to_string(),
            ),
            _ => context.error(
                d,
                format!("netmask {:?} is not a contiguous IPv4 mask", d.value),
            ),
        }
    }
    if let Some(d) = setting(parsed, section, "checkinterval") {
        if let Some(seconds) = context.seconds(d) {
            out.set(d, "delay_loop", &seconds.to_string());
        }
    }
    let fallback = setting(
        parsed,
        section,
        if address.is_ipv6() {
            "fallback6"
        } else {
            "fallback"
        },
    );
    if let Some(d) = fallback {
        let target = words(&d.value).into_iter().next().unwrap_or_default();
        let target = if target.contains(':') {
            target
        } else {
            format!("{target}:{port}")
        };
        match endpoints(&target) {
            Ok((addresses, sorry_port)) => out.set(
                d,
                "sorry_server",
                &format!(
                    "{{ address = {}, port = {sorry_port} }}",
                    quoted(&addresses[0].to_string())
                ),
            ),
            Err(why) => context.error(d, why),
        }
    }
    let mut reals = Vec::new();
    for d in section.directives.iter().filter(|d| d.key == "real") {
        match real(&d.value) {
            Ok(real) => reals.push((d, real)),
            Err(why) => context.error(d, why),
        }
    }
    if let Some((d, r)) = reals.iter().find(|(_, r)| r.forwarding != "nat") {
        let kind = if r.forwarding == "dr" { "DR" } else { "TUN" };
        context.warn(d, format!("{kind} forwarding needs the kernel plane; the userspace plane proxies connections (full NAT), so real servers see director's address as the client"));
    }
    // One method for every server is the service's; mixed ones stay per server.
    let shared = reals
        .first()
        .map(|(_, r)| r.forwarding)
        .filter(|first| reals.iter().all(|(_, r)| r.forwarding == *first));
    if let (Some(method), Some((d, _))) = (shared, reals.first()) {
        out.set(d, "forwarding", &quoted(method));
    }
    for (d, real) in reals {
        let own = shared.is_none();
        real_servers(context, out, section, (address, port), (d, real, own));
    }
}

fn real_servers(
    context: &mut Context<'_>,
    out: &mut Translated,
    section: &Section,
    (vip, vport): (IpAddr, u16),
    (directive, real, own_forwarding): (&Directive, Real, bool),
) {
    let parsed = context.parsed;
    let quiescent = match setting(parsed, section, "quiescent") {
        Some(d) => context.yes_no(d).unwrap_or(true),
        // ldirectord's default.
        None => true,
    };
    let checktype = setting(parsed, section, "checktype");
    let kind = checktype
        .map_or("negotiate", |d| d.value.as_str())
        .to_ascii_lowercase();
    for address in &real.addresses {
        out.line("");
        out.from(directive);
        out.line("[[virtual_server.real_server]]");
        out.set(directive, "address", &quoted(&address.to_string()));
        out.set(directive, "port", &real.port.to_string());
        let weight = if kind == "off" { 0 } else { real.weight };
        out.set(directive, "weight", &weight.to_string());
        if own_forwarding {
            out.set(directive, "forwarding", &quoted(real.forwarding));
        }
        out.set(directive, "inhibit_on_failure", &quiescent.to_string());
        if let Some(d) = setting(parsed, section, "failurecount") {
            match d.value.parse::<u32>() {
                Ok(n) if n > 0 => out.set(d, "fall", &n.to_string()),
                _ => context.error(
                    d,
                    format!(
                        "failurecount takes a count of at least 1, not {:?}",
                        d.value
                    ),
                ),
            }
        }
        let target = Target {
            vip,
            vport,
            address: *address,
            port: real.port,
        };
        check(context, out, section, (&kind, checktype), (&real, target));
    }
    if kind == "off" {
        let d = checktype.unwrap_or(directive);
        context.warn(d, "checktype=off: ldirectord activates none of these real servers; they are imported with weight 0".into());
    }
}

/// Who a check is for.
#[derive(Clone, Copy)]
struct Target {
    vip: IpAddr,
    vport: u16,
    address: IpAddr,
    port: u16,
}

fn check(
    context: &mut Context<'_>,
    out: &mut Translated,
    section: &Section,
    (kind, checktype): (&str, Option<&Directive>),
    (real, target): (&Real, Target),
) {
    let parsed = context.parsed;
    let anchor = checktype.unwrap_or(&section.header);
    let timeout = |context: &mut Context<'_>, keys: &[&str], default: f64| {
        keys.iter()
            .find_map(|k| setting(parsed, section, k))
            .map_or(Some(default), |d| context.seconds(d))
            .unwrap_or(default)
    };
    let checkport = setting(parsed, section, "checkport");
    let service = setting(parsed, section, "service")
        .map_or(default_service(target.vport).to_string(), |d| {
            d.value.to_ascii_lowercase()
        });
    let negotiate = kind == "negotiate" || kind.chars().all(|c| c.is_ascii_digit());
    let table = match kind {
        "connect" => "tcp_check",
        "ping" => "ping_check",
        "external" | "external-perl" => "misc_check",
        "on" | "off" => return,
        _ if negotiate => {
            match service.as_str() {
                "http" => "http_get",
                "https" => "ssl_get",
                "smtp" => "smtp_check",
                "dns" => "dns_check",
                "none" => {
                    context.warn(anchor, "negotiate with service=none checks nothing; these real servers count as up".into());
                    return;
                }
                other => {
                    context.warn(anchor, format!("negotiating service {other} is not yet supported; director checks these real servers with a TCP connect"));
                    "tcp_check"
                }
            }
        }
        other => {
            let d = checktype.unwrap_or(&section.header);
            context.error(d, format!("checktype is connect, negotiate, ping, external, on, off or a number, not {other:?}"));
            return;
        }
    };
    let prefix = "virtual_server.real_server";
    out.from(anchor);
    out.line(&format!("[{prefix}.{table}]"));
    if let Some(d) = checkport.filter(|_| table != "ping_check" && table != "misc_check") {
        out.set(d, "connect_port", &d.value);
    }
    match table {
        "misc_check" => {
            let Some(command) = setting(parsed, section, "checkcommand") else {
                context.error(anchor, "checktype=external needs a checkcommand".into());
                return;
            };
            let line = format!(
                "{} {} {} {} {}",
                command.value, target.vip, target.vport, target.address, target.port
            );
            out.set(command, "misc_path", &quoted(&line));
            let seconds = timeout(context, &["checktimeout"], 5.0);
            out.set(anchor, "misc_timeout", &seconds.to_string());
        }
        "http_get" | "ssl_get" | "smtp_check" | "dns_check" => {
            let seconds = timeout(context, &["negotiatetimeout", "checktimeout"], 30.0);
            out.set(anchor, "connect_timeout", &seconds.to_string());
            let request = real
                .request
                .clone()
                .or_else(|| setting(parsed, section, "request").map(|d| d.value.clone()));
            let receive = real
                .receive
                .clone()
                .or_else(|| setting(parsed, section, "receive").map(|d| d.value.clone()));
            match table {
                "http_get" | "ssl_get" => {
                    if let Some(d) = setting(parsed, section, "virtualhost") {
                        out.set(d, "virtualhost", &quoted(&d.value));
                    }
                    out.line(&format!("[[{prefix}.{table}.url]]"));
                    let path = format!(
                        "/{}",
                        request.as_deref().unwrap_or("").trim_start_matches('/')
                    );
                    out.set(anchor, "path", &quoted(&path));
                    if let Some(receive) = receive {
                        out.set(anchor, "regex", &quoted(&receive));
                    }
                }
                "dns_check" => {
                    if let Some(name) = request {
                        out.set(anchor, "name", &quoted(&name));
                    }
                }
                _ => {}
            }
        }
        "ping_check" => {}
        _ => {
            let seconds = timeout(context, &["connecttimeout", "checktimeout"], 5.0);
            out.set(anchor, "connect_timeout", &seconds.to_string());
        }
    }
}
