//! keepalived.conf's lexical layer: words, quoted strings and braces, each
//! with its file, line and column; `!` and `#` comments; `include` with
//! globs relative to the including file; `$NAME=value` definitions and
//! `$NAME` / `${NAME}` substitution; `@id` conditional lines; `~SEQ`
//! repetition (keepalived 2.x).
//!
//! Guides often carry `//` comments, which keepalived rejects. They are
//! accepted here with a warning naming the line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file, as named by the user or by `include`.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Its text, quotes removed.
    pub text: String,
    /// Whether it was quoted (so `{` in quotes is not a brace).
    pub quoted: bool,
    /// Where it starts.
    pub at: Position,
}

impl Token {
    /// An opening brace.
    pub fn is_open(&self) -> bool {
        !self.quoted && self.text == "{"
    }

    /// A closing brace.
    pub fn is_close(&self) -> bool {
        !self.quoted && self.text == "}"
    }
}

/// A problem found while reading, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Where.
    pub at: Position,
    /// What.
    pub message: String,
    /// Whether it stops the configuration from loading.
    pub error: bool,
}

/// Everything read: tokens, the text of each line (for carets), and notes.
#[derive(Debug, Default)]
pub struct Lexed {
    /// Tokens of all files, includes spliced in place.
    pub tokens: Vec<Token>,
    /// Source lines by (file, line), for diagnostics.
    pub lines: HashMap<(Arc<str>, usize), String>,
    /// Warnings and errors.
    pub notes: Vec<Note>,
    /// Lines `~SEQ` has produced so far (bounded by `MAX_SEQUENCE_LINES`).
    pub sequence_lines: usize,
}

/// How deep includes may nest.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Read `path` and everything it includes.
pub fn lex_file(path: &Path, config_id: Option<&str>) -> Lexed {
    let mut lexed = Lexed::default();
    let mut vars = HashMap::new();
    read(
        path,
        &path.display().to_string(),
        config_id,
        &mut vars,
        &mut lexed,
        0,
        None,
    );
    lexed
}

/// Lex `text` as if read from `file` (includes resolve relative to the current directory).
pub fn lex_str(file: &str, text: &str, config_id: Option<&str>) -> Lexed {
    let mut lexed = Lexed::default();
    let mut vars = HashMap::new();
    lex_text(
        Path::new("."),
        file.into(),
        text,
        config_id,
        &mut vars,
        &mut lexed,
        0,
    );
    lexed
}

fn read(
    path: &Path,
    name: &str,
    config_id: Option<&str>,
    vars: &mut HashMap<String, String>,
    lexed: &mut Lexed,
    depth: usize,
    included_at: Option<&Position>,
) {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            lex_text(&dir, name.into(), &text, config_id, vars, lexed, depth);
        }
        Err(e) => lexed.notes.push(Note {
            at: included_at.cloned().unwrap_or(Position {
                file: name.into(),
                line: 0,
                column: 0,
            }),
            message: format!("cannot read {}: {e}", path.display()),
            error: true,
        }),
    }
}

/// How many lines `~SEQ` may produce in one configuration: far more than
/// any real one needs, and a bound on what a mistaken range costs.
const MAX_SEQUENCE_LINES: usize = 100_000;

/// What every line of one file shares while it is lexed.
struct LineContext<'a> {
    dir: &'a Path,
    file: Arc<str>,
    line_no: usize,
    config_id: Option<&'a str>,
    depth: usize,
}

fn lex_text(
    dir: &Path,
    file: Arc<str>,
    text: &str,
    config_id: Option<&str>,
    vars: &mut HashMap<String, String>,
    lexed: &mut Lexed,
    depth: usize,
) {
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        lexed.lines.insert((file.clone(), line_no), raw.to_string());
        let context = LineContext {
            dir,
            file: file.clone(),
            line_no,
            config_id,
            depth,
        };
        lex_line(&context, raw, 0, vars, lexed);
    }
}

/// Lex `line`, whose first character is at column `offset + 1` of its
/// source line: conditional `@id` lines, `$NAME=value` definitions, `~SEQ`
/// repetitions, `include`, and otherwise its words.
fn lex_line(
    context: &LineContext<'_>,
    line: &str,
    offset: usize,
    vars: &mut HashMap<String, String>,
    lexed: &mut Lexed,
) {
    let at = |column: usize| Position {
        file: context.file.clone(),
        line: context.line_no,
        column: offset + column,
    };
    let indent = line.chars().take_while(|c| c.is_whitespace()).count();
    let trimmed = line.trim_start();
    // `@id` lines apply only to the node started with that id; `@^id` to all others.
    if let Some(rest) = trimmed.strip_prefix('@') {
        let (id, body) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (negate, id) = match id.strip_prefix('^') {
            Some(id) => (true, id),
            None => (false, id),
        };
        if (context.config_id == Some(id)) == negate {
            return;
        }
        let skipped = line.chars().count() - body.chars().count();
        return lex_line(context, body, offset + skipped, vars, lexed);
    }
    // `$NAME=value` defines a variable for the lines that follow.
    if let Some(definition) = trimmed.trim_end().strip_prefix('$') {
        if let Some((name, value)) = definition.split_once('=') {
            let name = name.trim_end();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                vars.insert(name.to_string(), value.trim().to_string());
                return;
            }
        }
    }
    if trimmed.starts_with("~SEQ") {
        match sequence::parse(trimmed, vars) {
            Ok(sequence) => {
                let text_at =
                    offset + indent + trimmed.chars().count() - sequence.text.chars().count();
                let lines = sequence.len();
                if lexed.sequence_lines.saturating_add(lines) > MAX_SEQUENCE_LINES {
                    lexed.notes.push(Note {
                        at: at(indent + 1),
                        message: format!(
                            "~SEQ would repeat its line {lines} times, past director's limit of {MAX_SEQUENCE_LINES} generated lines"
                        ),
                        error: true,
                    });
                    return;
                }
                lexed.sequence_lines += lines;
                for value in sequence.values() {
                    vars.insert(sequence.variable.clone(), value);
                    lex_line(context, &sequence.text, text_at, vars, lexed);
                }
            }
            Err(why) => lexed.notes.push(Note {
                at: at(indent + 1),
                message: why,
                error: true,
            }),
        }
        return;
    }
    let words = split_line(line, &at, lexed);
    let words: Vec<Token> = words
        .into_iter()
        .flat_map(|t| substitute(t, vars, lexed))
        .collect();
    if let Some(first) = words.first() {
        if !first.quoted && first.text == "include" {
            include(
                context.dir,
                &words,
                context.config_id,
                vars,
                lexed,
                context.depth,
            );
            return;
        }
    }
    lexed.tokens.extend(words);
}

fn include(
    dir: &Path,
    words: &[Token],
    config_id: Option<&str>,
    vars: &mut HashMap<String, String>,
    lexed: &mut Lexed,
    depth: usize,
) {
    let at = &words[0].at;
    let Some(pattern) = words.get(1) else {
        lexed.notes.push(Note {
            at: at.clone(),
            message: "include needs a file name or pattern".into(),
            error: true,
        });
        return;
    };
    if depth >= MAX_INCLUDE_DEPTH {
        lexed.notes.push(Note {
            at: at.clone(),
            message: format!(
                "includes nest deeper than {MAX_INCLUDE_DEPTH}: is a file including itself?"
            ),
            error: true,
        });
        return;
    }
    let pattern_path = dir.join(&pattern.text);
    let matches = glob(&pattern_path);
    if matches.is_empty() && pattern_path.exists() {
        // A directory, a device (`/dev/zero` would never end): keepalived
        // reads regular files only.
        lexed.notes.push(Note {
            at: pattern.at.clone(),
            message: format!("include {:?} is not a regular file", pattern.text),
            error: true,
        });
    } else if matches.is_empty() {
        // keepalived ignores a glob that matches nothing; say so.
        lexed.notes.push(Note {
            at: pattern.at.clone(),
            message: format!("include {:?} matches no file", pattern.text),
            error: false,
        });
    }
    for path in matches {
        read(
            &path,
            &path.display().to_string(),
            config_id,
            vars,
            lexed,
            depth + 1,
            Some(&pattern.at),
        );
    }
}

/// Expand `*`, `?` and `[...]` in the last path component (sorted, as
/// glob(3) does); only regular files.
pub fn glob(pattern: &Path) -> Vec<PathBuf> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if !name.contains(['*', '?', '[']) {
        return if pattern.is_file() {
            vec![pattern.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let dir = pattern.parent().unwrap_or(Path::new("."));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| wildcard(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Shell-style matching of `*`, `?` and `[abc]` / `[a-z]`.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|c| *c == ']') else {
                    return n.first() == Some(&'[') && go(&p[1..], &n[1..]);
                };
                let Some(c) = n.first() else { return false };
                let set = &p[1..end];
                let hit = set
                    .windows(3)
                    .any(|w| w[1] == '-' && w[0] <= *c && *c <= w[2])
                    || set.contains(c);
                hit && go(&p[end + 1..], &n[1..])
            }
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// Split one line into tokens, dropping comments.
fn split_line(line: &str, at: &dyn Fn(usize) -> Position, lexed: &mut Lexed) -> Vec<Token> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '!' || c == '#' {
            break;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            lexed.notes.push(Note {
                at: at(i + 1),
                message: "`//` starts a comment here, as in some guides; keepalived itself rejects this: use `#` or `!`".into(),
                error: false,
            });
            break;
        }
        if c == '{' || c == '}' {
            tokens.push(Token {
                text: c.to_string(),
                quoted: false,
                at: at(i + 1),
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
                lexed.notes.push(Note {
                    at: at(start + 1),
                    message: "unterminated quoted string".into(),
                    error: true,
                });
            }
            i += 1;
            tokens.push(Token {
                text,
                quoted: true,
                at: at(start + 1),
            });
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '{' && chars[i] != '}' {
            if chars[i] == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            // `${NAME}` keeps its braces: they are not a block.
            if chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
                i = chars[i..]
                    .iter()
                    .position(|c| *c == '}')
                    .map_or(chars.len(), |end| i + end + 1);
                continue;
            }
            i += 1;
        }
        let text: String = chars[start..i].iter().collect();
        tokens.push(Token {
            text,
            quoted: false,
            at: at(start + 1),
        });
    }
    tokens
}

/// Replace `$NAME` and `${NAME}`; an unquoted value with spaces becomes several words.
fn substitute(token: Token, vars: &HashMap<String, String>, lexed: &mut Lexed) -> Vec<Token> {
    if !token.text.contains('$') {
        return vec![token];
    }
    let mut out = String::new();
    let mut rest = token.text.as_str();
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], &inner[end + 1..]),
                None => (inner, ""),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match vars.get(name) {
            Some(value) => out.push_str(value),
            None => {
                lexed.notes.push(Note {
                    at: token.at.clone(),
                    message: format!("${name} is not defined"),
                    error: true,
                });
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    if token.quoted {
        return vec![Token { text: out, ..token }];
    }
    out.split_whitespace()
        .map(|word| Token {
            text: word.to_string(),
            quoted: false,
            at: token.at.clone(),
        })
        .collect()
}

mod sequence;
#[cfg(test)]
mod tests;
