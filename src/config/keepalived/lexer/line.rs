//! One line of keepalived.conf as characters that remember their source
//! column (substitution and repetition move text; diagnostics must still
//! point into the line the operator wrote), its comment, and its words.

use std::sync::Arc;

use super::{Note, Position, Token};

/// A line's text, each character with its 1-based column in the source line.
#[derive(Debug, Clone, Default)]
pub struct Line {
    chars: Vec<char>,
    columns: Vec<usize>,
    /// The column just past the text (for a problem at its end).
    end: usize,
}

impl Line {
    /// A source line as read.
    pub fn source(text: &str) -> Line {
        let chars: Vec<char> = text.chars().collect();
        let columns = (1..=chars.len()).collect();
        Line {
            end: chars.len() + 1,
            chars,
            columns,
        }
    }

    /// The text.
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Whether there is nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        self.chars.iter().all(|c| c.is_whitespace())
    }

    /// The column of character `index` (or of the end of the text).
    pub fn column(&self, index: usize) -> usize {
        self.columns.get(index).copied().unwrap_or(self.end)
    }

    /// The line from character `from` on.
    pub fn from(&self, from: usize) -> Line {
        let from = from.min(self.chars.len());
        Line {
            chars: self.chars[from..].to_vec(),
            columns: self.columns[from..].to_vec(),
            end: self.end,
        }
    }

    /// The line from its first non-whitespace character.
    pub fn trim_start(&self) -> Line {
        let skip = self.chars.iter().take_while(|c| c.is_whitespace()).count();
        self.from(skip)
    }

    /// Append `text`, every character of it placed at `column`.
    pub fn push_at(&mut self, text: &str, column: usize) {
        for c in text.chars() {
            self.chars.push(c);
            self.columns.push(column);
        }
    }

    /// Append character `index` of `other`.
    pub fn push_from(&mut self, other: &Line, index: usize) {
        self.chars.push(other.chars[index]);
        self.columns.push(other.columns[index]);
    }

    /// An empty line ending where `self` ends.
    pub fn empty_like(&self) -> Line {
        Line {
            end: self.end,
            ..Line::default()
        }
    }

    /// The characters.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The pieces between newlines (a multiline value, substituted).
    pub fn split_lines(&self) -> Vec<Line> {
        let mut lines = vec![self.empty_like()];
        for index in 0..self.chars.len() {
            if self.chars[index] == '\n' {
                lines.push(self.empty_like());
            } else if let Some(last) = lines.last_mut() {
                last.push_from(self, index);
            }
        }
        lines
    }
}

/// Where character `index` of `line` is, in `file` at `line_no`.
pub fn position(file: &Arc<str>, line_no: usize, line: &Line, index: usize) -> Position {
    Position {
        file: file.clone(),
        line: line_no,
        column: line.column(index),
    }
}

/// `line` without its comment: `!` or `#` outside double quotes, unless
/// escaped with `\`, as keepalived reads it. Guides' `//` comments are
/// accepted with a warning.
pub fn decomment(line: &Line, at: &dyn Fn(usize) -> Position, notes: &mut Vec<Note>) -> Line {
    let chars = line.chars();
    let mut kept = line.empty_like();
    let mut quoted = false;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        match c {
            '"' => quoted = !quoted,
            '\\' if !quoted && matches!(chars.get(index + 1), Some('#' | '!')) => {
                kept.push_from(line, index + 1);
                index += 2;
                continue;
            }
            '!' | '#' if !quoted => break,
            '/' if !quoted
                && chars.get(index + 1) == Some(&'/')
                && (index == 0 || chars[index - 1].is_whitespace()) =>
            {
                notes.push(Note {
                    at: at(index),
                    message: "`//` starts a comment here, as in some guides; keepalived itself rejects this: use `#` or `!`".into(),
                    error: false,
                });
                break;
            }
            _ => {}
        }
        kept.push_from(line, index);
        index += 1;
    }
    kept
}

/// The words, quoted strings and braces of a decommented line.
pub fn tokens(line: &Line, at: &dyn Fn(usize) -> Position, notes: &mut Vec<Note>) -> Vec<Token> {
    let chars = line.chars();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '{' || c == '}' {
            tokens.push(Token {
                text: c.to_string(),
                quoted: false,
                at: at(i),
            });
            i += 1;
            continue;
        }
        if c == '"' {
            let start = i;
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                text.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                notes.push(Note {
                    at: at(start),
                    message: "unterminated quoted string".into(),
                    error: true,
                });
            }
            i += 1;
            tokens.push(Token {
                text,
                quoted: true,
                at: at(start),
            });
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '{' && chars[i] != '}' {
            // An undefined `${NAME}` stays as written, braces and all.
            if chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
                i = chars[i..]
                    .iter()
                    .position(|c| *c == '}')
                    .map_or(chars.len(), |end| i + end + 1);
                continue;
            }
            i += 1;
        }
        tokens.push(Token {
            text: chars[start..i].iter().collect(),
            quoted: false,
            at: at(start),
        });
    }
    tokens
}
