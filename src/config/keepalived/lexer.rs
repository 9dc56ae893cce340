//! keepalived.conf's lexical layer: words, quoted strings and braces, each
//! with its file, line and column; `!` and `#` comments; `include` with
//! globs relative to the including file; `$NAME=value` definitions and
//! `$NAME` / `${NAME}` substitution, multiline and pre-defined parameters;
//! `@id` conditional lines; `~SEQ` and `~LST` repetition (keepalived 2.2).
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
    /// Lines repetitions and multiline parameters have produced so far
    /// (bounded by `expand::MAX_GENERATED_LINES`).
    pub generated_lines: usize,
    /// Characters they have produced so far (bounded by
    /// `expand::MAX_GENERATED_CHARS`).
    pub generated_chars: usize,
    /// Whether a limit was reached: nothing more is generated.
    pub exhausted: bool,
}

/// How deep includes may nest.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Read `path` and everything it includes.
pub fn lex_file(path: &Path, config_id: Option<&str>) -> Lexed {
    let mut lexed = Lexed::default();
    let mut vars = Vars::new(config_id);
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
    let mut vars = Vars::new(config_id);
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
    vars: &mut Vars,
    lexed: &mut Lexed,
    depth: usize,
    included_at: Option<&Position>,
) {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            let outer = std::mem::replace(&mut vars.pwd, dir.clone());
            lex_text(&dir, name.into(), &text, config_id, vars, lexed, depth);
            vars.pwd = outer;
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

fn lex_text(
    dir: &Path,
    file: Arc<str>,
    text: &str,
    config_id: Option<&str>,
    vars: &mut Vars,
    lexed: &mut Lexed,
    include_depth: usize,
) {
    let mut pending: Option<expand::Pending> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        lexed.lines.insert((file.clone(), line_no), raw.to_string());
        let source = Line::source(raw);
        let at = |i: usize| line::position(&file, line_no, &source, i);
        let decommented = line::decomment(&source, &at, &mut lexed.notes);
        // The lines of a `$NAME= \` definition, up to one without `\`.
        if let Some(definition) = &mut pending {
            let text = decommented.text();
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let continues = text.ends_with('\\');
            definition.value.push('\n');
            definition
                .value
                .push_str(text.trim_end_matches('\\').trim_end());
            if !continues {
                if let Some(done) = pending.take() {
                    vars.define(&done.name, done.value.trim_start().to_string());
                }
            }
            continue;
        }
        let context = expand::Context {
            dir,
            file: file.clone(),
            line_no,
            config_id,
            include_depth,
        };
        pending = expand::lex_line(&context, &decommented, vars, lexed, 0);
    }
    if let Some(done) = pending {
        vars.define(&done.name, done.value.trim_start().to_string());
    }
}

fn include(context: &expand::Context<'_>, words: &[Token], vars: &mut Vars, lexed: &mut Lexed) {
    let (dir, config_id, depth) = (context.dir, context.config_id, context.include_depth);
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

mod expand;
mod line;
mod repeat;
#[cfg(test)]
mod tests;
mod vars;

use line::Line;
use vars::Vars;
