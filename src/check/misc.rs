//! MISC_CHECK: run a script; exit 0 means healthy. Under `misc_dynamic`
//! the exit code also sets the weight, as keepalived does: 0 healthy at the
//! configured weight, 1 down, 2–255 healthy with weight `code - 2`. A
//! script that outlives `misc_timeout` is killed with its process group.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use crate::config::checker_options::{default_delay_before_retry, is_false, CheckTiming};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::export::quoted;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::Seconds;
use crate::script::{run, Outcome as Exit};

/// keepalived's reading of an exit code.
pub fn interpret(outcome: &Exit, dynamic: bool) -> Outcome {
    match outcome {
        Exit::Exited(0) => Outcome {
            health: Ok(()),
            weight: None,
        },
        Exit::Exited(code @ 2..=255) if dynamic => Outcome {
            health: Ok(()),
            weight: Some(*code as u32 - 2),
        },
        other => Outcome {
            health: Err(format!("script: {other}")),
            weight: None,
        },
    }
}

/// Run `command` once.
pub async fn probe(command: &str, timeout: Duration, dynamic: bool) -> Outcome {
    interpret(&run(command, &[], timeout).await, dynamic)
}

/// keepalived's MISC_CHECK: healthy when a script exits 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiscCheck {
    /// The command line (no shell; quote words with spaces).
    pub misc_path: String,
    /// Seconds it may run before it is killed with its process group;
    /// the service's delay_loop when absent, as keepalived does.
    pub misc_timeout: Option<Seconds>,
    /// The exit code sets the weight: 0 healthy, 1 down, 2–255 weight code-2.
    #[serde(default, skip_serializing_if = "is_false")]
    pub misc_dynamic: bool,
    /// Retries after a failure before the server is marked down.
    #[serde(default)]
    pub retry: u32,
    /// Seconds between a failure and the next attempt.
    #[serde(default = "default_delay_before_retry")]
    pub delay_before_retry: Seconds,
    /// Longest random delay before the first run (keepalived `warmup`);
    /// the real server's, else the service's, when absent.
    pub warmup: Option<Seconds>,
    /// Seconds between runs; the service's `delay_loop` when absent.
    pub delay_loop: Option<Seconds>,
    /// Journal every failed run, not only changes of health.
    #[serde(default, skip_serializing_if = "is_false")]
    pub log_all_failures: bool,
}

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

/// A MISC_CHECK's probe: the script and how it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiscProbe {
    /// The command line.
    pub command: String,
    /// How long it may run.
    pub timeout: Duration,
    /// Whether its exit code sets the weight.
    pub dynamic: bool,
}

impl Kind for MiscCheck {
    type Probe = MiscProbe;
    const KEYWORD: &'static str = "MISC_CHECK";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<MiscCheck> {
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
                    check.delay_before_retry =
                        reader.seconds(item).unwrap_or(check.delay_before_retry)
                }
                "delay_loop" => check.delay_loop = reader.seconds(item),
                _ => reader.unknown(item, Self::KEYWORD, MISC_KNOWN),
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

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        out.push_str(&format!(
            "            misc_path {}\n",
            quoted(&self.misc_path)
        ));
        if let Some(timeout) = self.misc_timeout {
            out.push_str(&format!("            misc_timeout {timeout}\n"));
        }
        if self.misc_dynamic {
            out.push_str("            misc_dynamic\n");
        }
        if let Some(warmup) = self.warmup {
            out.push_str(&format!("            warmup {warmup}\n"));
        }
        if let Some(delay) = self.delay_loop {
            out.push_str(&format!("            delay_loop {delay}\n"));
        }
        if self.log_all_failures {
            out.push_str("            log_all_failures\n");
        }
        out.push_str(&format!(
            "            retry {}\n            delay_before_retry {}\n        }}\n",
            self.retry, self.delay_before_retry
        ));
    }

    fn probe(&self, around: &Around<'_>) -> Option<(CheckTiming, MiscProbe)> {
        let probe = MiscProbe {
            command: self.misc_path.clone(),
            timeout: self.misc_timeout.unwrap_or(around.service.delay_loop).0,
            dynamic: self.misc_dynamic,
        };
        let timing = CheckTiming {
            warmup: self.warmup,
            delay_loop: self.delay_loop,
            log_all_failures: self.log_all_failures,
            ..CheckTiming::local(self.retry, self.delay_before_retry)
        };
        Some((timing, probe))
    }
}

impl Run for MiscProbe {
    async fn run(&self, _: Target) -> Outcome {
        probe(&self.command, self.timeout, self.dynamic).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_read_as_keepalived_reads_them() {
        assert_eq!(interpret(&Exit::Exited(0), true).health, Ok(()));
        assert!(interpret(&Exit::Exited(1), true).health.is_err());
        assert_eq!(interpret(&Exit::Exited(7), true).weight, Some(5));
        assert!(interpret(&Exit::Exited(7), false).health.is_err());
        assert!(interpret(&Exit::TimedOut, false).health.is_err());
    }

    #[tokio::test]
    async fn a_hung_script_fails_within_its_timeout() {
        let started = std::time::Instant::now();
        let result = probe("sleep 30", Duration::from_millis(200), false).await;
        assert!(result.health.unwrap_err().contains("timed out"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
