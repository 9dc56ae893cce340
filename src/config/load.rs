//! Reading native TOML into the model, with every error located.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::model::Config;
use super::validate::{validate, Segment};

/// A configuration that loaded, with what is worth knowing about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings (keywords accepted but not acted on, deprecated names, …).
    pub warnings: Vec<Diagnostic>,
}

/// Whether `path` names a native TOML file (by its `.toml` extension);
/// anything else is read as keepalived.conf.
pub fn is_native(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "toml")
}

/// Whether `path` holds an ldirectord.cf (by its `virtual=` lines).
fn is_ldirectord(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| super::ldirectord::looks_like(&text))
}

/// Read and validate the configuration at `path`: native TOML for `*.toml`,
/// ldirectord.cf for a file with `virtual=` lines, keepalived.conf syntax
/// otherwise. Errors come with every warning too.
pub fn load_file(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    if !is_native(path) {
        let (config, diagnostics) = if is_ldirectord(path) {
            super::ldirectord::load_file(path)
        } else {
            super::keepalived::load_file(path, None)
        };
        return match config {
            Some(config) => Ok(Loaded {
                config,
                warnings: diagnostics,
            }),
            None => Err(diagnostics),
        };
    }
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
            severity: super::diagnostic::Severity::Error,
            source: None,
        }]
    })?;
    parse_str(&file, &text).map(|config| Loaded {
        config,
        warnings: Vec::new(),
    })
}

/// The native TOML equivalent of the keepalived.conf or ldirectord.cf at
/// `path`, commented with the lines it came from, and the warnings.
pub fn import(path: &Path) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    if is_ldirectord(path) {
        super::ldirectord::import(path)
    } else {
        super::keepalived::import(path)
    }
}

/// Parse and validate `text`, naming it `file` in diagnostics.
pub fn parse_str(file: &str, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let config: Config = toml::from_str(text).map_err(|e| {
        vec![Diagnostic::at(
            file,
            text,
            e.span(),
            e.message().to_string(),
        )]
    })?;
    let problems = validate(&config);
    if problems.is_empty() {
        return Ok(config);
    }
    let document = DeTable::parse(text).ok();
    Err(problems
        .into_iter()
        .map(|p| {
            let span = document.as_ref().and_then(|d| locate(d, &p.path));
            Diagnostic::at(file, text, span, p.message)
        })
        .collect())
}

/// The span of the value at `path`, or of the deepest part of it that exists.
fn locate(document: &Spanned<DeTable<'_>>, path: &[Segment]) -> Option<Range<usize>> {
    let mut span = document.span();
    let mut table = Some(document.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    for segment in path {
        let value = match segment {
            Segment::Key(key) => table?
                .iter()
                .find(|(k, _)| k.get_ref() == key)
                .map(|(_, v)| v),
            Segment::Index(i) => array?.get(*i),
        };
        let Some(value) = value else { break };
        span = value.span();
        table = None;
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(&a[..]),
            _ => {}
        }
    }
    Some(span)
}

#[cfg(test)]
mod tests;
