//! The options checkers share with keepalived's: timeout and retry rules,
//! where a probe goes and comes from, warm-up and failure logging; read
//! alike by the engine and the keepalived.conf writer.

use std::net::IpAddr;

use super::values::{Port, Seconds};

/// The options every network checker has, read alike by the engine and the
/// keepalived.conf writer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckTiming {
    /// Port to probe; the real server's port when absent.
    pub connect_port: Option<Port>,
    /// Seconds a probe may take.
    pub connect_timeout: Seconds,
    /// Retries after a failure before the server is marked down.
    pub retry: u32,
    /// Seconds between a failure and the next attempt.
    pub delay_before_retry: Seconds,
    /// Address probed instead of the real server's.
    pub connect_ip: Option<IpAddr>,
    /// Source address of the probes.
    pub bindto: Option<IpAddr>,
    /// Source port of the probes.
    pub bind_port: Option<Port>,
    /// Longest random delay before the first probe.
    pub warmup: Option<Seconds>,
    /// Seconds between probes; the service's when absent.
    pub delay_loop: Option<Seconds>,
    /// Journal every failed probe.
    pub log_all_failures: bool,
}

impl CheckTiming {
    /// The options of a checker that does not touch the network (MISC_CHECK,
    /// FILE_CHECK): only its retry rules.
    pub fn local(retry: u32, delay_before_retry: Seconds) -> CheckTiming {
        CheckTiming {
            connect_port: None,
            connect_timeout: Seconds(std::time::Duration::ZERO),
            retry,
            delay_before_retry,
            connect_ip: None,
            bindto: None,
            bind_port: None,
            warmup: None,
            delay_loop: None,
            log_all_failures: false,
        }
    }
}

/// A checker with the shared network options.
pub trait Timed {
    /// Its shared options.
    fn timing(&self) -> CheckTiming;
}

/// Implement [`Timed`], and reading in place from keepalived.conf, for a
/// checker made with `with_probe_options!`: `timed!(T)` for one with a
/// `connect_port`, `timed!(T, without connect_port)` for one without.
macro_rules! timed {
    ($check:ty) => {
        $crate::config::checker_options::timed!(@impl $check, port);
    };
    ($check:ty, without connect_port) => {
        $crate::config::checker_options::timed!(@impl $check, none);
    };
    (@port port, $check:ident) => { $check.connect_port };
    (@port none, $check:ident) => { None };
    (@port_slot port, $check:ident) => { Some(&mut $check.connect_port) };
    (@port_slot none, $check:ident) => { None };
    (@impl $check:ty, $port:ident) => {
        impl $crate::config::checker_options::Timed for $check {
            fn timing(&self) -> $crate::config::checker_options::CheckTiming {
                let check = self;
                $crate::config::checker_options::CheckTiming {
                    connect_port: $crate::config::checker_options::timed!(@port $port, check),
                    connect_timeout: check.connect_timeout,
                    retry: check.retry,
                    delay_before_retry: check.delay_before_retry,
                    connect_ip: check.connect_ip,
                    bindto: check.bindto,
                    bind_port: check.bind_port,
                    warmup: check.warmup,
                    delay_loop: check.delay_loop,
                    log_all_failures: check.log_all_failures,
                }
            }
        }

        impl $crate::config::keepalived::checks_map::Readable for $check {
            fn options(&mut self) -> $crate::config::keepalived::checks_map::Timing<'_> {
                let check = self;
                $crate::config::keepalived::checks_map::Timing {
                    connect_port: $crate::config::checker_options::timed!(@port_slot $port, check),
                    connect_timeout: &mut check.connect_timeout,
                    retry: &mut check.retry,
                    delay_before_retry: &mut check.delay_before_retry,
                    connect_ip: &mut check.connect_ip,
                    bindto: &mut check.bindto,
                    bind_port: &mut check.bind_port,
                    warmup: &mut check.warmup,
                    delay_loop: &mut check.delay_loop,
                    log_all_failures: &mut check.log_all_failures,
                }
            }
        }
    };
}
pub(crate) use timed;

/// Adds the options every network checker shares with keepalived's: its
/// timeout and retry rules, where the probe goes and comes from, its
/// warm-up, and failure logging.
macro_rules! with_probe_options {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($fields)*
            /// Seconds a probe (connect, or the whole exchange) may take.
            #[serde(default = "crate::config::checker_options::default_connect_timeout")]
            pub connect_timeout: $crate::config::values::Seconds,
            /// Retries after a failure before the server is marked down.
            #[serde(default = "crate::config::checker_options::default_retry")]
            pub retry: u32,
            /// Seconds between a failure and the next attempt.
            #[serde(default = "crate::config::checker_options::default_delay_before_retry")]
            pub delay_before_retry: $crate::config::values::Seconds,
            /// Address to probe instead of the real server's (keepalived `connect_ip`).
            pub connect_ip: Option<std::net::IpAddr>,
            /// Source address of the probes (keepalived `bindto`).
            pub bindto: Option<std::net::IpAddr>,
            /// Source port of the probes (keepalived `bind_port`).
            pub bind_port: Option<$crate::config::values::Port>,
            /// Longest random delay before the first probe (keepalived
            /// `warmup`); the real server's, else the service's, when absent.
            pub warmup: Option<$crate::config::values::Seconds>,
            /// Seconds between probes of this checker; the service's
            /// `delay_loop` when absent.
            pub delay_loop: Option<$crate::config::values::Seconds>,
            /// Journal every failed probe, not only changes of health
            /// (keepalived `log_all_failures`).
            #[serde(default, skip_serializing_if = "crate::config::checker_options::is_false")]
            pub log_all_failures: bool,
        }
    };
}
pub(crate) use with_probe_options;

/// Whether a flag is off (serde leaves it out).
pub fn is_false(value: &bool) -> bool {
    !*value
}

/// keepalived's connect timeout: 5 s.
pub fn default_connect_timeout() -> Seconds {
    Seconds::from_secs(5)
}

/// keepalived's retries: 1.
pub fn default_retry() -> u32 {
    1
}

/// keepalived's pause before a retry: 1 s.
pub fn default_delay_before_retry() -> Seconds {
    Seconds::from_secs(1)
}

/// A checker with every option at its default, as an empty TOML table
/// reads: keepalived's 5 s connect timeout, 1 retry, 1 s before a retry.
pub fn default_check<T: serde::de::DeserializeOwned>() -> T {
    toml::from_str("").expect("every option of a checker has a default")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DnsCheck, HttpGet, HttpUrl, PingCheck, SmtpCheck, TcpCheck, UdpCheck};

    #[test]
    fn default_checks_carry_keepalived_timing() {
        let tcp: TcpCheck = default_check();
        assert_eq!(
            (tcp.connect_timeout, tcp.retry, tcp.delay_before_retry),
            (Seconds::from_secs(5), 1, Seconds::from_secs(1))
        );
        let _: (PingCheck, UdpCheck, SmtpCheck, DnsCheck) = (
            default_check(),
            default_check(),
            default_check(),
            default_check(),
        );
        let http = HttpGet::with_urls(vec![HttpUrl::at("/health")]);
        assert_eq!(http.urls[0].path, "/health");
        assert!(
            http.verify_certificate,
            "certificates are verified by default"
        );
    }
}
