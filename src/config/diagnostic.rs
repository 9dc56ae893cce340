//! A configuration error located at file, line and column.

use std::fmt;
use std::ops::Range;

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
}

impl Diagnostic {
    /// Locate the byte offset `span.start` of `source`.
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
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
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
}
