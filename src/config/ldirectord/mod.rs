//! ldirectord's `ldirectord.cf`, imported: `virtual=` sections with their
//! `real=` servers (gate, masq, ipip), `checktype`, `checkport`, `request`,
//! `receive`, `scheduler`, `persistent`, `protocol`, `fallback` and
//! `quiescent`, and the global defaults. The file becomes native TOML
//! (what `director config import` prints, each service commented with its
//! line), which is then loaded as any native file; a problem in it is
//! reported at the `.cf` line it came from.

mod parse;
#[cfg(test)]
mod tests;
mod translate;

use std::path::Path;

use super::diagnostic::{Diagnostic, Severity};
use super::model::Config;

/// Whether `text` reads as ldirectord.cf: some line is a `virtual=` (or
/// `virtual6=`) directive, which keepalived.conf never has.
pub fn looks_like(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        ["virtual=", "virtual6=", "virtual =", "virtual6 ="]
            .iter()
            .any(|start| line.starts_with(start))
    })
}

/// Native TOML for `text` (named `file`), with the warnings; or the errors.
pub fn import_str(file: &str, text: &str) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (parsed, mut diagnostics) = parse::parse(file, text);
    let translated = translate::to_toml(&parsed, &mut diagnostics);
    // In file order, each once (a global setting is read for every server).
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics.dedup();
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(diagnostics);
    }
    // What the TOML says is checked as any native file is; its problems
    // are told at the ldirectord line each part came from.
    if let Err(problems) = super::load::parse_str(file, &translated.toml) {
        diagnostics.extend(problems.into_iter().map(|p| translated.locate(p, text)));
        return Err(diagnostics);
    }
    Ok((translated.toml, diagnostics))
}

/// Load ldirectord.cf text named `file`.
pub fn load_str(file: &str, text: &str) -> (Option<Config>, Vec<Diagnostic>) {
    match import_str(file, text) {
        Ok((toml, warnings)) => match super::load::parse_str(file, &toml) {
            Ok(config) => (Some(config), warnings),
            Err(errors) => (None, errors),
        },
        Err(diagnostics) => (None, diagnostics),
    }
}

/// Load the ldirectord.cf at `path`.
pub fn load_file(path: &Path) -> (Option<Config>, Vec<Diagnostic>) {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&file, &text),
        Err(e) => (None, vec![unreadable(&file, &e)]),
    }
}

/// The TOML for the ldirectord.cf at `path`.
pub fn import(path: &Path) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![unreadable(&file, &e)])?;
    import_str(&file, &text)
}

fn unreadable(file: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
        severity: Severity::Error,
        source: None,
    }
}
