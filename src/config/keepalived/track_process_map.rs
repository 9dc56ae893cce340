//! `vrrp_track_process NAME { … }` onto the model.

use super::reader::Reader;
use super::tree::Node;
use crate::config::values::Seconds;
use crate::config::{ParamMatch, VrrpTrackProcess};

const KNOWN: &[&str] = &[
    "process",
    "param_match",
    "weight",
    "quorum",
    "quorum_max",
    "fork_delay",
    "terminate_delay",
    "delay",
    "full_command",
];

/// `vrrp_track_process NAME { … }`.
pub fn process(reader: &mut Reader, node: &Node) -> Option<VrrpTrackProcess> {
    let name = reader.value(node)?.text.clone();
    let mut tracked = VrrpTrackProcess::new(&name, "");
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "process" => {
                if let Some((command, params)) = item.args.split_first() {
                    tracked.process = command.text.clone();
                    tracked.params = params.iter().map(|t| t.text.clone()).collect();
                } else {
                    reader.value(item);
                }
            }
            "param_match" => {
                tracked.param_match = match item.args.first().map(|t| t.text.as_str()) {
                    None => Some(ParamMatch::Exact),
                    Some("partial") => Some(ParamMatch::Partial),
                    Some("initial") => Some(ParamMatch::Initial),
                    Some(other) => {
                        let at = item.args[0].at.clone();
                        reader.error(
                            &at,
                            format!("param_match takes partial or initial, not {other:?}"),
                        );
                        None
                    }
                }
            }
            "weight" => {
                tracked.weight = reader.parse(item, "a weight").unwrap_or(1);
                match item.args.get(1).map(|t| t.text.as_str()) {
                    None | Some("noreverse") => {}
                    Some("reverse") => tracked.reverse = true,
                    Some(other) => {
                        let at = item.args[1].at.clone();
                        reader.error(
                            &at,
                            format!("after the weight comes reverse or noreverse, not {other:?}"),
                        );
                    }
                }
            }
            "quorum" => tracked.quorum = reader.parse(item, "a process count").unwrap_or(1),
            "quorum_max" => tracked.quorum_max = reader.parse(item, "a process count"),
            "fork_delay" => tracked.fork_delay = reader.seconds(item),
            "terminate_delay" => tracked.terminate_delay = reader.seconds(item),
            "delay" => {
                let delay: Option<Seconds> = reader.seconds(item);
                tracked.fork_delay = delay;
                tracked.terminate_delay = delay;
            }
            "full_command" => tracked.full_command = true,
            _ => reader.unknown(item, "vrrp_track_process", KNOWN),
        }
    }
    Some(tracked)
}

/// `tracked` as a `vrrp_track_process` block, the way `process` reads it.
pub fn write(tracked: &VrrpTrackProcess) -> String {
    let quote = |word: &str| {
        if word.is_empty() || word.contains(char::is_whitespace) || word.contains('"') {
            format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            word.to_string()
        }
    };
    let mut out = format!("vrrp_track_process {} {{\n", tracked.name);
    let command: Vec<String> = std::iter::once(&tracked.process)
        .chain(&tracked.params)
        .map(|w| quote(w))
        .collect();
    out.push_str(&format!("    process {}\n", command.join(" ")));
    match tracked.param_match {
        None => {}
        Some(ParamMatch::Exact) => out.push_str("    param_match\n"),
        Some(ParamMatch::Partial) => out.push_str("    param_match partial\n"),
        Some(ParamMatch::Initial) => out.push_str("    param_match initial\n"),
    }
    let reverse = if tracked.reverse { " reverse" } else { "" };
    out.push_str(&format!("    weight {}{reverse}\n", tracked.weight));
    out.push_str(&format!("    quorum {}\n", tracked.quorum));
    if let Some(max) = tracked.quorum_max {
        out.push_str(&format!("    quorum_max {max}\n"));
    }
    if let Some(delay) = tracked.fork_delay {
        out.push_str(&format!("    fork_delay {delay}\n"));
    }
    if let Some(delay) = tracked.terminate_delay {
        out.push_str(&format!("    terminate_delay {delay}\n"));
    }
    if tracked.full_command {
        out.push_str("    full_command\n");
    }
    out.push_str("}\n");
    out
}
