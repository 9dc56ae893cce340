//! Checker options that a `virtual_server` or `real_server` block sets for
//! every checker inside it, as keepalived 2 takes them: a checker's own
//! option wins, then its real server's, then its virtual server's, then the
//! checker's default. The enclosing block is read whole before any of its
//! checkers, so where in the block such an option stands does not matter.

use super::checks_map::Timing;
use super::reader::Reader;
use super::tree::Node;
use crate::config::values::Seconds;

/// What a `virtual_server` or `real_server` block gives its checkers.
#[derive(Debug, Clone, Default)]
pub struct CheckDefaults {
    /// `connect_timeout`.
    pub connect_timeout: Option<Seconds>,
    /// `retry`.
    pub retry: Option<u32>,
    /// `delay_before_retry`.
    pub delay_before_retry: Option<Seconds>,
    /// `delay_loop` of a real server (a virtual server's is the service's
    /// own interval, kept on the service).
    pub delay_loop: Option<Seconds>,
    /// `virtualhost`, for HTTP_GET and SSL_GET.
    pub virtualhost: Option<String>,
}

impl CheckDefaults {
    /// Read `item` if it is one of these options; whether it was.
    pub fn take(&mut self, reader: &mut Reader, item: &Node) -> bool {
        match item.keyword.text.as_str() {
            "connect_timeout" => {
                self.connect_timeout = reader.seconds(item).or(self.connect_timeout)
            }
            "retry" => self.retry = reader.parse(item, "a count").or(self.retry),
            "delay_before_retry" => {
                self.delay_before_retry = reader.seconds(item).or(self.delay_before_retry)
            }
            "delay_loop" => self.delay_loop = reader.seconds(item).or(self.delay_loop),
            "virtualhost" => {
                self.virtualhost = reader.value(item).map(|t| t.text.clone());
            }
            _ => return false,
        }
        true
    }

    /// Give a checker these options before its own block is read, so that
    /// what the block says overrides them.
    pub fn seed(&self, timing: &mut Timing<'_>) {
        if let Some(timeout) = self.connect_timeout {
            *timing.connect_timeout = timeout;
        }
        self.seed_retries(timing.retry, timing.delay_before_retry);
        if let Some(delay) = self.delay_loop {
            *timing.delay_loop = Some(delay);
        }
    }

    /// The retry options alone, for a checker (MISC_CHECK) that has no
    /// connect timeout.
    pub fn seed_retries(&self, retry: &mut u32, delay_before_retry: &mut Seconds) {
        if let Some(count) = self.retry {
            *retry = count;
        }
        if let Some(delay) = self.delay_before_retry {
            *delay_before_retry = delay;
        }
    }
}
