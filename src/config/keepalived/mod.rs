//! keepalived.conf as it is: read it (comments, includes, variables,
//! conditional lines), build its block tree, and map every section onto the
//! model. Each keyword either maps, or is reported as accepted but not yet
//! supported, as not applicable (and why), or as deprecated; a keyword close
//! to a known one is an error with a suggestion.

pub(crate) mod check_defaults;
pub(crate) mod checks_map;
pub(crate) mod export;
mod groups;
mod keywords;
pub mod lexer;
mod lvs_map;
pub mod reader;
mod track_process_map;
pub mod tree;
mod vrrp_map;

use std::path::Path;
use std::sync::Arc;

use super::diagnostic::{Diagnostic, Severity};
use super::model::Config;
use super::validate::{validate, Segment};
use lexer::{Lexed, Note, Position};
use reader::Reader;
use tree::Node;
use vrrp_map::VrrpDefaults;

pub use export::to_keepalived;

const TOP_KNOWN: &[&str] = &[
    "global_defs",
    "vrrp_script",
    "vrrp_track_file",
    "track_file",
    "vrrp_sync_group",
    "vrrp_instance",
    "virtual_server",
    "virtual_server_group",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "linkbeat_interfaces",
    "garp_group",
    "net_namespace",
    "bfd_instance",
    "track_process",
    "vrrp_track_process",
    "instance",
];

/// Where each configured object was declared, to locate semantic problems.
#[derive(Debug, Default)]
struct Declared {
    instances: Vec<Position>,
    services: Vec<(Position, Vec<Position>)>,
    sync_groups: Vec<Position>,
    processes: Vec<Position>,
}

/// Load a keepalived.conf; `config_id` selects `@id` lines (keepalived `-i`).
pub fn load_file(path: &Path, config_id: Option<&str>) -> (Option<Config>, Vec<Diagnostic>) {
    let (config, diagnostics, _) = finish(lexer::lex_file(path, config_id));
    (config, diagnostics)
}

/// Load keepalived.conf text named `file`.
pub fn load_str(file: &str, text: &str) -> (Option<Config>, Vec<Diagnostic>) {
    let (config, diagnostics, _) = finish(lexer::lex_str(file, text, None));
    (config, diagnostics)
}

/// The native TOML equivalent of a keepalived.conf, each instance and
/// service preceded by a comment naming the line it came from.
pub fn import(path: &Path) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (config, diagnostics, declared) = finish(lexer::lex_file(path, None));
    let Some(config) = config else {
        return Err(diagnostics);
    };
    let toml = toml::to_string(&config).map_err(|e| {
        vec![Diagnostic {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot write TOML: {e}"),
            severity: Severity::Error,
            source: None,
        }]
    })?;
    let mut out = format!(
        "# Imported from {} by `director config import`.\n\n",
        path.display()
    );
    let (mut instances, mut services) = (declared.instances.iter(), declared.services.iter());
    for line in toml.lines() {
        let origin = match line.trim() {
            "[[vrrp_instance]]" => instances.next(),
            "[[virtual_server]]" => services.next().map(|(at, _)| at),
            _ => None,
        };
        if let Some(at) = origin {
            out.push_str(&format!("\n# from {}:{}\n", at.file, at.line));
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok((out, diagnostics))
}

fn finish(mut lexed: Lexed) -> (Option<Config>, Vec<Diagnostic>, Declared) {
    let nodes = tree::parse(&lexed.tokens, &mut lexed.notes);
    let mut reader = Reader {
        notes: std::mem::take(&mut lexed.notes),
    };
    let (config, declared) = map(&mut reader, &nodes);
    for problem in validate(&config) {
        let at = locate(&declared, &problem.path);
        reader.error(&at, problem.message);
    }
    let mut diagnostics: Vec<Diagnostic> =
        reader.notes.iter().map(|n| diagnostic(&lexed, n)).collect();
    // In reading order: files as first met, each from top to bottom, each once.
    let mut files: Vec<String> = Vec::new();
    for d in &diagnostics {
        if !files.contains(&d.file) {
            files.push(d.file.clone());
        }
    }
    diagnostics.sort_by_key(|d| {
        let file = files.iter().position(|f| *f == d.file);
        (file, d.line, d.column)
    });
    diagnostics.dedup();
    let ok = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    (ok.then_some(config), diagnostics, declared)
}

fn diagnostic(lexed: &Lexed, note: &Note) -> Diagnostic {
    Diagnostic {
        file: note.at.file.to_string(),
        line: note.at.line,
        column: note.at.column,
        message: note.message.clone(),
        severity: if note.error {
            Severity::Error
        } else {
            Severity::Warning
        },
        source: lexed
            .lines
            .get(&(note.at.file.clone(), note.at.line))
            .cloned(),
    }
}

fn locate(declared: &Declared, path: &[Segment]) -> Position {
    let nowhere = Position {
        file: Arc::from("(configuration)"),
        line: 0,
        column: 0,
    };
    match path {
        [Segment::Key("vrrp_instance"), Segment::Index(i), ..] => declared.instances.get(*i).cloned(),
        [Segment::Key("vrrp_sync_group"), Segment::Index(i), ..] => declared.sync_groups.get(*i).cloned(),
        [Segment::Key("vrrp_track_process"), Segment::Index(i), ..] => declared.processes.get(*i).cloned(),
        [Segment::Key("virtual_server"), Segment::Index(i), Segment::Key("real_server"), Segment::Index(j), ..] => {
            declared.services.get(*i).and_then(|(_, reals)| reals.get(*j).cloned())
        }
        [Segment::Key("virtual_server"), Segment::Index(i), ..] => declared.services.get(*i).map(|(p, _)| p.clone()),
        _ => None,
    }
    .unwrap_or(nowhere)
}

fn map(reader: &mut Reader, nodes: &[Node]) -> (Config, Declared) {
    let mut config = Config::default();
    let mut declared = Declared::default();
    let mut defaults = VrrpDefaults::default();
    // global_defs first: its vrrp_version and garp defaults apply to every instance.
    for node in nodes.iter().filter(|n| n.keyword.text == "global_defs") {
        vrrp_map::global(reader, node, &mut config.global, &mut defaults);
    }
    // Groups before services: a service may name a group declared later.
    let mut groups = groups::Groups::new();
    for node in nodes
        .iter()
        .filter(|n| n.keyword.text == "virtual_server_group")
    {
        groups::group(reader, node, &mut groups);
    }
    for node in nodes {
        match node.keyword.text.as_str() {
            "global_defs" => {}
            "vrrp_script" => config.vrrp_scripts.extend(vrrp_map::script(reader, node)),
            // keepalived 2.2 calls it `track_file`; the old name stays.
            "vrrp_track_file" | "track_file" => config
                .vrrp_track_files
                .extend(vrrp_map::track_file(reader, node)),
            // keepalived 2.2 calls it `vrrp_track_process`; `track_process` is taken too.
            "vrrp_track_process" | "track_process" => {
                if let Some(process) = track_process_map::process(reader, node) {
                    declared.processes.push(node.keyword.at.clone());
                    config.vrrp_track_processes.push(process);
                }
            }
            "vrrp_sync_group" => {
                if let Some(group) = vrrp_map::sync_group(reader, node) {
                    declared.sync_groups.push(node.keyword.at.clone());
                    config.vrrp_sync_groups.push(group);
                }
            }
            "vrrp_instance" => {
                if let Some(instance) = vrrp_map::instance(reader, node, &defaults) {
                    declared.instances.push(node.keyword.at.clone());
                    config.vrrp_instances.push(instance);
                }
            }
            "virtual_server" => {
                let reals: Vec<_> = node
                    .block
                    .iter()
                    .flatten()
                    .filter(|n| n.keyword.text == "real_server")
                    .map(|n| n.keyword.at.clone())
                    .collect();
                for service in lvs_map::services(reader, node, &groups) {
                    declared
                        .services
                        .push((node.keyword.at.clone(), reals.clone()));
                    config.virtual_servers.push(service);
                }
            }
            "virtual_server_group" => {}
            _ => reader.unknown(node, "the top level", TOP_KNOWN),
        }
    }
    (config, declared)
}

#[cfg(test)]
mod tests;
