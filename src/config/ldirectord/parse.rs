//! The lines of ldirectord.cf: `key=value` directives, comments after `#`,
//! and `virtual=` sections made of the indented lines that follow them.

use crate::config::diagnostic::{Diagnostic, Severity};

/// One `key=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The key, lowercased.
    pub key: String,
    /// The value, trimmed, surrounding quotes removed.
    pub value: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column of the key.
    pub key_column: usize,
    /// 1-based column of the value.
    pub value_column: usize,
}

/// A `virtual=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The `virtual=` (or `virtual6=`) line itself.
    pub header: Directive,
    /// The directives under it, in order.
    pub directives: Vec<Directive>,
}

/// A whole file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// The file's name, for diagnostics.
    pub file: String,
    /// Its lines, for carets.
    pub lines: Vec<String>,
    /// Directives outside any section.
    pub globals: Vec<Directive>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

impl Parsed {
    /// A diagnostic at `line`, `column` of this file.
    pub fn diagnostic(
        &self,
        (line, column): (usize, usize),
        severity: Severity,
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            message,
            severity,
            source: self.lines.get(line.wrapping_sub(1)).cloned(),
        }
    }
}

/// The text before a comment: `#` at the start, or after whitespace
/// outside quotes.
fn without_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut previous = ' ';
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && previous.is_whitespace() => return &line[..at],
            _ => {}
        }
        previous = c;
    }
    line
}

/// Read `text`, naming it `file`.
pub fn parse(file: &str, text: &str) -> (Parsed, Vec<Diagnostic>) {
    let mut parsed = Parsed {
        file: file.to_string(),
        lines: text.lines().map(str::to_string).collect(),
        ..Parsed::default()
    };
    let mut diagnostics = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = without_comment(raw);
        if content.trim().is_empty() {
            continue;
        }
        let indented = content.starts_with(char::is_whitespace);
        let indent = content.chars().take_while(|c| c.is_whitespace()).count();
        let Some((key, value)) = content.trim().split_once('=') else {
            diagnostics.push(parsed.diagnostic(
                (line, indent + 1),
                Severity::Error,
                format!("expected `key=value`, found {:?}", content.trim()),
            ));
            continue;
        };
        let key_text = key.trim();
        if key_text.is_empty()
            || !key_text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            diagnostics.push(parsed.diagnostic(
                (line, indent + 1),
                Severity::Error,
                format!("{key_text:?} is not a directive name"),
            ));
            continue;
        }
        let value_offset = content.find('=').map_or(0, |at| at + 1);
        let value_column = content[..value_offset].chars().count()
            + content[value_offset..]
                .chars()
                .take_while(|c| c.is_whitespace())
                .count()
            + 1;
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains('"'))
            .unwrap_or(value);
        let directive = Directive {
            key: key_text.to_ascii_lowercase(),
            value: value.to_string(),
            line,
            key_column: indent + 1,
            value_column,
        };
        if directive.key == "virtual" || directive.key == "virtual6" {
            parsed.sections.push(Section {
                header: directive,
                directives: Vec::new(),
            });
            continue;
        }
        match parsed.sections.last_mut() {
            // The indented lines after `virtual=` are its section; a line
            // at the margin is global again.
            Some(section) if indented => section.directives.push(directive),
            _ => parsed.globals.push(directive),
        }
    }
    (parsed, diagnostics)
}
