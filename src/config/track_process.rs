//! keepalived's `vrrp_track_process`: whether enough processes matching a
//! name (and parameters) run changes the priority of the instances that
//! track it, or faults them. The matching rules live here, pure.

use serde::{Deserialize, Serialize};

use super::values::Seconds;

/// How a process's parameters are compared with the configured ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamMatch {
    /// Exactly the configured parameters, no more.
    #[default]
    Exact,
    /// The first parameters are the configured ones; more may follow.
    Partial,
    /// As `partial`, and the last configured parameter may be the start of
    /// the process's one.
    Initial,
}

/// A `vrrp_track_process` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VrrpTrackProcess {
    /// Name instances refer to.
    pub name: String,
    /// The process: its name as `/proc/PID/comm` shows it (at most 15
    /// characters), or, with parameters or `full_command`, its `argv[0]`.
    pub process: String,
    /// Parameters the command line must carry (compared per `param_match`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// How parameters are compared; setting it without parameters means
    /// the process must have none (keepalived `param_match`).
    pub param_match: Option<ParamMatch>,
    /// Priority change: added while running when positive, while not
    /// running when negative; 0 = FAULT while not running. Default 1.
    #[serde(default = "one")]
    pub weight: i32,
    /// Count "running" as the failure and "not running" as success
    /// (keepalived `weight N reverse`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reverse: bool,
    /// Fewest matching processes that count as running. Default 1.
    #[serde(default = "one_u32")]
    pub quorum: u32,
    /// Most matching processes that count as running; no limit when absent.
    pub quorum_max: Option<u32>,
    /// Seconds the quorum must hold after it is gained before it counts
    /// (against fork/exec bounces).
    pub fork_delay: Option<Seconds>,
    /// Seconds the quorum must stay lost before it counts (against a
    /// restart's bounce).
    pub terminate_delay: Option<Seconds>,
    /// Match `argv[0]` (the full command) instead of the process name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub full_command: bool,
}

fn one() -> i32 {
    1
}

fn one_u32() -> u32 {
    1
}

/// The longest process name the kernel keeps (`TASK_COMM_LEN` - 1).
pub const COMM_MAX: usize = 15;

impl VrrpTrackProcess {
    /// `name` tracking `process` with keepalived's defaults: weight 1,
    /// quorum 1, no limit, no delays, the process name compared.
    pub fn new(name: &str, process: &str) -> VrrpTrackProcess {
        VrrpTrackProcess {
            name: name.into(),
            process: process.into(),
            params: Vec::new(),
            param_match: None,
            weight: 1,
            reverse: false,
            quorum: 1,
            quorum_max: None,
            fork_delay: None,
            terminate_delay: None,
            full_command: false,
        }
    }

    /// Whether the command line is compared (parameters, `param_match` or
    /// `full_command`), not only the process name.
    pub fn needs_cmdline(&self) -> bool {
        self.full_command || !self.params.is_empty() || self.param_match.is_some()
    }

    /// Whether a process with name `comm` and command line `argv` (empty
    /// when not read) matches.
    pub fn matches(&self, comm: &str, argv: &[String]) -> bool {
        if !self.needs_cmdline() {
            return comm == self.process;
        }
        let Some((command, params)) = argv.split_first() else {
            return false;
        };
        if *command != self.process {
            return false;
        }
        let wanted = &self.params;
        match self.param_match.unwrap_or_default() {
            ParamMatch::Exact => params == wanted.as_slice(),
            ParamMatch::Partial => params.starts_with(wanted),
            ParamMatch::Initial => {
                let Some((last, first)) = wanted.split_last() else {
                    return true;
                };
                params.len() >= wanted.len()
                    && params.starts_with(first)
                    && params[first.len()].starts_with(last.as_str())
            }
        }
    }

    /// What is wrong with it, as (field, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.process.is_empty() {
            problems.push((
                "process",
                format!("vrrp_track_process {} has no `process`", self.name),
            ));
        } else if !self.needs_cmdline() && self.process.len() > COMM_MAX {
            problems.push((
                "process",
                format!(
                    "process {:?} is longer than the {COMM_MAX} characters the kernel keeps of a process name, so it would never match; give the command (argv[0]) with full_command",
                    self.process
                ),
            ));
        }
        if self.quorum_max.is_some_and(|max| max < self.quorum) {
            problems.push((
                "quorum_max",
                format!(
                    "quorum_max {} is below quorum {}: no count could succeed",
                    self.quorum_max.unwrap_or_default(),
                    self.quorum
                ),
            ));
        }
        problems
    }

    /// Whether `count` matching processes make the quorum.
    pub fn quorum_met(&self, count: u32) -> bool {
        count >= self.quorum && self.quorum_max.is_none_or(|max| count <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(
        process: &str,
        params: &[&str],
        param_match: Option<ParamMatch>,
    ) -> VrrpTrackProcess {
        VrrpTrackProcess {
            params: params.iter().map(|p| p.to_string()).collect(),
            param_match,
            ..VrrpTrackProcess::new("t", process)
        }
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_bare_name_matches_the_process_name_exactly_as_pgrep_anchored() {
        let haproxy = tracked("haproxy", &[], None);
        assert!(haproxy.matches("haproxy", &[]));
        assert!(!haproxy.matches("haproxy-wrapper", &[]));
        assert!(
            !tracked("ssh", &[], None).matches("sshd", &[]),
            "no substring match"
        );
    }

    #[test]
    fn parameters_compare_the_command_line() {
        let line = argv(&[
            "/usr/sbin/haproxy",
            "-f",
            "/etc/haproxy/haproxy.cfg",
            "-p",
            "/run/h.pid",
        ]);
        let exact = tracked(
            "/usr/sbin/haproxy",
            &["-f", "/etc/haproxy/haproxy.cfg"],
            None,
        );
        assert!(!exact.matches("haproxy", &line), "exact: more parameters");
        assert!(exact.matches("haproxy", &line[..3]));
        let partial = tracked(
            "/usr/sbin/haproxy",
            &["-f", "/etc/haproxy/haproxy.cfg"],
            Some(ParamMatch::Partial),
        );
        assert!(partial.matches("haproxy", &line));
        let initial = tracked(
            "/usr/sbin/haproxy",
            &["-f", "/etc/haproxy/"],
            Some(ParamMatch::Initial),
        );
        assert!(initial.matches("haproxy", &line));
        assert!(
            !initial.matches("haproxy", &line[..1]),
            "too few parameters"
        );
        let none = tracked("/usr/sbin/haproxy", &[], Some(ParamMatch::Exact));
        assert!(
            !none.matches("haproxy", &line),
            "param_match alone: no parameters"
        );
        assert!(none.matches("haproxy", &line[..1]));
        let mut full = tracked("/usr/sbin/haproxy", &[], None);
        full.full_command = true;
        full.param_match = Some(ParamMatch::Partial);
        assert!(full.matches("haproxy", &line));
        assert!(
            !full.matches("/usr/sbin/haproxy", &argv(&["haproxy"])),
            "argv[0] differs"
        );
    }

    #[test]
    fn impossible_settings_are_named() {
        let mut t = tracked("a-process-name-too-long", &[], None);
        t.quorum = 2;
        t.quorum_max = Some(1);
        let fields: Vec<&str> = t.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["process", "quorum_max"]);
        t.full_command = true;
        t.quorum_max = None;
        assert!(t.problems().is_empty(), "argv[0] may be long");
    }

    #[test]
    fn quorum_bounds_the_count() {
        let mut t = tracked("nginx", &[], None);
        assert!(!t.quorum_met(0));
        assert!(t.quorum_met(5));
        t.quorum = 2;
        t.quorum_max = Some(3);
        assert_eq!(
            (0..5).map(|n| t.quorum_met(n)).collect::<Vec<_>>(),
            [false, false, true, true, false]
        );
        t.quorum = 0;
        t.quorum_max = Some(0);
        assert!(t.quorum_met(0) && !t.quorum_met(1), "must not run at all");
    }
}
