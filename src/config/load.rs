//! Reading native TOML into the model, with every error located.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::model::Config;
use super::validate::{validate, Segment};

/// Read and validate the configuration file at `path`.
pub fn load_file(path: &Path) -> Result<Config, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        }]
    })?;
    parse_str(&file, &text)
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
