//! A configuration problem located at file, line and column.

use std::fmt;
use std::ops::Range;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration cannot be used.
    Error,
    /// The configuration loads, but not everything in it takes effect as written.
    Warning,
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
    /// The offending line's text, for the caret display.
    pub source: Option<String>,
}

impl Diagnostic {
    /// An error at the byte offset `span.start` of `source`.
    pub fn at(file: &str, source: &str, span: Option<Range<usize>>, message: String) -> Diagnostic {
        let offset = span.map_or(0, |s| s.start.min(source.len()));
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..offset].chars().count() + 1;
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message,
            severity: Severity::Error,
            source: source.lines().nth(line - 1).map(str::to_string),
        }
    }

    /// The compiler-style form (as gcc prints it): the location and
    /// message, then the offending line with a caret under the column.
    pub fn render(&self) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut text = format!(
            "{}:{}:{}: {kind}: {}\n",
            self.file, self.line, self.column, self.message
        );
        if let Some(source) = &self.source {
            let gutter = " ".repeat(self.line.to_string().len());
            // Tabs stay tabs, so the caret lines up however they are shown.
            let caret: String = source
                .chars()
                .chain(std::iter::repeat(' '))
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            text.push_str(&format!(
                "{gutter} |\n{} | {source}\n{gutter} | {caret}^\n",
                self.line
            ));
        }
        text
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}:{}: {prefix}{}",
            self.file, self.line, self.column, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_characters_from_one() {
        let source = "a = 1\nbé = 2\n";
        let d = Diagnostic::at("f.toml", source, Some(10..11), "bad".into());
        assert_eq!(d.to_string(), "f.toml:2:4: bad");
        let first = Diagnostic::at("f.toml", source, None, "x".into());
        assert_eq!((first.line, first.column), (1, 1));
    }

    #[test]
    fn renders_the_line_with_a_caret() {
        let d = Diagnostic::at(
            "f.toml",
            "a = 1\nprio = 300\n",
            Some(13..16),
            "too big".into(),
        );
        assert_eq!(
            d.render(),
            "f.toml:2:8: error: too big\n  |\n2 | prio = 300\n  |        ^\n"
        );
    }
}
