//! The registry of health-check kinds: the one list of them. Everything
//! that walks checkers by kind (the model's fields, keepalived.conf's
//! keywords, reading, writing, validation, specs and probes) is expanded
//! from `with_kinds!`, so a new kind is its module and one line here.

use super::kind::{Around, Kind, Outcome, Run, Target};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::{CheckTiming, RealServer};

/// Call `$callback!` with every kind: its key in TOML (the real server's
/// field), its variant, and its type, in the order checkers are numbered.
macro_rules! with_kinds {
    ($callback:ident) => {
        $callback! {
            /// TCP_CHECK: healthy when a connect completes.
            tcp_check: Tcp($crate::check::tcp::TcpCheck),
            /// HTTP_GET: healthy when every url answers as expected.
            http_get: Http($crate::check::http::HttpGet),
            /// SSL_GET: HTTP_GET over TLS.
            ssl_get: Ssl($crate::check::ssl::SslGet),
            /// PING_CHECK: healthy when an ICMP echo is answered.
            ping_check: Ping($crate::check::ping::PingCheck),
            /// UDP_CHECK: a datagram, and a reply when one is required.
            udp_check: Udp($crate::check::udp::UdpCheck),
            /// SMTP_CHECK: a 220 greeting and a 250 answer to HELO.
            smtp_check: Smtp($crate::check::smtp::SmtpCheck),
            /// DNS_CHECK: a query that is answered.
            dns_check: Dns($crate::check::dns::DnsCheck),
            /// FILE_CHECK: a `vrrp_track_file`'s number.
            file_check: File($crate::check::file::FileCheck),
            /// MISC_CHECK: a script's exit code.
            misc_check: Misc($crate::check::misc::MiscCheck),
        }
    };
}
pub(crate) use with_kinds;

macro_rules! registry {
    ($($(#[$doc:meta])* $key:ident: $variant:ident($kind:ty),)*) => {
        /// One checker of a real server, with its kind.
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Checker<'a> {
            $($(#[$doc])* $variant(&'a $kind),)*
        }

        /// What one checker probes with.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Probe {
            $($(#[$doc])* $variant(<$kind as Kind>::Probe),)*
        }

        /// keepalived.conf's checker keywords.
        pub const KEYWORDS: &[&str] = &[$(<$kind as Kind>::KEYWORD),*];

        impl Checker<'_> {
            /// Its key in native TOML.
            pub fn key(&self) -> &'static str {
                match self {
                    $(Checker::$variant(_) => stringify!($key),)*
                }
            }

            /// Write its keepalived.conf block.
            pub fn write(&self, out: &mut String) {
                match self {
                    $(Checker::$variant(check) => check.write(out),)*
                }
            }

            /// What it probes, with its timing; `None` when it cannot run.
            pub fn probe(&self, around: &Around<'_>) -> Option<(CheckTiming, Probe)> {
                match self {
                    $(Checker::$variant(check) => check
                        .probe(around)
                        .map(|(timing, probe)| (timing, Probe::$variant(probe))),)*
                }
            }

            /// What is wrong with it, in words.
            pub fn problems(&self, around: &Around<'_>) -> Vec<String> {
                match self {
                    $(Checker::$variant(check) => check.problems(around),)*
                }
            }
        }

        impl Probe {
            /// Probe once.
            pub async fn run(&self, target: Target) -> Outcome {
                match self {
                    $(Probe::$variant(probe) => probe.run(target).await,)*
                }
            }
        }

        /// Read the checker block `node` of `real` as its keyword says;
        /// false when the keyword names no checker.
        pub fn read_keepalived(
            reader: &mut Reader,
            node: &Node,
            defaults: &CheckDefaults,
            real: &mut RealServer,
        ) -> bool {
            $(if node.keyword.text == <$kind as Kind>::KEYWORD {
                real.$key.extend(<$kind as Kind>::read(reader, node, defaults));
                return true;
            })*
            false
        }
    };
}

with_kinds!(registry);
