//! What a line becomes before it is split into words, in keepalived's
//! order: `@id` conditions, `$NAME=value` definitions, `~SEQ`/`~LST`
//! repetitions, and `$NAME`/`${NAME}` substitution (recursive, and a
//! multiline value becomes several lines). Every generated character keeps
//! the source column it stands for.

use std::path::Path;
use std::sync::Arc;

use super::line::{position, tokens, Line};
use super::vars::{is_name, Vars};
use super::{include, repeat, Lexed, Note};

/// How many lines repetition and multiline parameters may produce in one
/// configuration: far more than any real one needs, and a bound on what a
/// mistaken range costs.
pub const MAX_GENERATED_LINES: usize = 100_000;

/// How many characters they may produce in all: a bound on memory whatever
/// the lines hold.
pub const MAX_GENERATED_CHARS: usize = 4 << 20;

/// How deeply substitutions may nest (a parameter naming itself would
/// otherwise never end).
const MAX_SUBSTITUTION_DEPTH: usize = 16;

/// The longest a line may grow by substitution, in characters (keepalived
/// stops at its line buffer too); parameters doubling each other would
/// otherwise grow without bound.
const MAX_LINE_CHARS: usize = 65_536;

/// What every line of one file shares while it is lexed.
pub struct Context<'a> {
    /// The file's directory, for relative includes.
    pub dir: &'a Path,
    /// The file, as named.
    pub file: Arc<str>,
    /// The line being read.
    pub line_no: usize,
    /// keepalived's `-i` config id, for `@id` lines.
    pub config_id: Option<&'a str>,
    /// How deep includes nest here.
    pub include_depth: usize,
}

/// A `$NAME= \` definition whose value continues on the next lines.
#[derive(Debug)]
pub struct Pending {
    /// The parameter.
    pub name: String,
    /// The value so far, lines joined by `\n`.
    pub value: String,
}

/// Lex one (decommented) line. Returns a multiline definition it starts.
pub fn lex_line(
    context: &Context<'_>,
    line: &Line,
    vars: &mut Vars,
    lexed: &mut Lexed,
    depth: usize,
) -> Option<Pending> {
    let line = line.trim_start();
    // Once the limits are reached (and said once), the rest is not expanded.
    if line.is_blank() || lexed.exhausted {
        return None;
    }
    let at = |index: usize| position(&context.file, context.line_no, &line, index);
    let text = line.text();
    // `@id` lines apply only to the node started with that id; `@^id` to all others.
    if let Some(rest) = text.strip_prefix('@') {
        let id_len = rest.chars().take_while(|c| !c.is_whitespace()).count();
        let id: String = rest.chars().take(id_len).collect();
        let (negate, id) = match id.strip_prefix('^') {
            Some(id) => (true, id.to_string()),
            None => (false, id.clone()),
        };
        if (context.config_id == Some(id.as_str())) == negate {
            return None;
        }
        return lex_line(context, &line.from(1 + id_len), vars, lexed, depth);
    }
    if let Some(definition) = definition(&text) {
        return match definition.value.strip_suffix('\\') {
            Some(first) => Some(Pending {
                name: definition.name,
                value: first.trim().to_string(),
            }),
            None => {
                vars.define(&definition.name, definition.value);
                None
            }
        };
    }
    if text.starts_with("~SEQ") || text.starts_with("~LST") {
        match repeat::parse(&text, vars) {
            Ok(repetition) => {
                let times = repetition.len();
                let size = times.saturating_mul(line.chars().len() - repetition.rest);
                if !generate(lexed, (times, size), &at(0)) {
                    return None;
                }
                let rest = line.from(repetition.rest);
                for index in 0..times {
                    if lexed.exhausted {
                        break;
                    }
                    for (name, value) in repetition.binding(index) {
                        vars.define(&name, value);
                    }
                    lex_line(context, &rest, vars, lexed, depth);
                }
            }
            Err(why) => lexed.notes.push(Note {
                at: at(0),
                message: why,
                error: true,
            }),
        }
        return None;
    }
    let substituted = match substitute(&line, vars) {
        Ok(substituted) => substituted,
        Err(why) => {
            lexed.notes.push(Note {
                at: at(0),
                message: why,
                error: true,
            });
            return None;
        }
    };
    if let Some(substituted) = substituted {
        if depth >= MAX_SUBSTITUTION_DEPTH {
            lexed.notes.push(Note {
                at: at(0),
                message: format!(
                    "parameters nest deeper than {MAX_SUBSTITUTION_DEPTH}: does one name itself?"
                ),
                error: true,
            });
            return None;
        }
        let lines = substituted.split_lines();
        if !generate(lexed, (lines.len() - 1, substituted.chars().len()), &at(0)) {
            return None;
        }
        for part in lines {
            if let Some(pending) = lex_line(context, &part, vars, lexed, depth + 1) {
                vars.define(&pending.name, pending.value);
            }
        }
        return None;
    }
    let words = tokens(&line, &at, &mut lexed.notes);
    if let Some(first) = words.first() {
        if !first.quoted && first.text == "include" {
            include(context, &words, vars, lexed);
            return None;
        }
    }
    lexed.tokens.extend(words);
    None
}

/// Count generated (lines, characters) against the limits; false (and an
/// error at `at`) when they would pass them.
fn generate(lexed: &mut Lexed, (lines, chars): (usize, usize), at: &super::Position) -> bool {
    let total_lines = lexed.generated_lines.saturating_add(lines);
    let total_chars = lexed.generated_chars.saturating_add(chars);
    if total_lines > MAX_GENERATED_LINES || total_chars > MAX_GENERATED_CHARS {
        lexed.notes.push(Note {
            at: at.clone(),
            message: format!(
                "this line would produce {lines} lines ({chars} characters), past director's limit of {MAX_GENERATED_LINES} generated lines and {MAX_GENERATED_CHARS} characters"
            ),
            error: true,
        });
        lexed.exhausted = true;
        return false;
    }
    lexed.generated_lines = total_lines;
    lexed.generated_chars = total_chars;
    true
}

/// A `$NAME=value` line.
struct Definition {
    name: String,
    value: String,
}

fn definition(text: &str) -> Option<Definition> {
    let rest = text.strip_prefix('$')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim_end();
    is_name(name).then(|| Definition {
        name: name.to_string(),
        value: value.trim().to_string(),
    })
}

/// `line` with its defined `$NAME` and `${NAME}` references replaced (the
/// replacement placed at the `$`'s column); `None` when nothing is defined.
/// Undefined references stay as written, as keepalived leaves them.
fn substitute(line: &Line, vars: &Vars) -> Result<Option<Line>, String> {
    let chars = line.chars();
    if !chars.contains(&'$') {
        return Ok(None);
    }
    let mut out = line.empty_like();
    let mut replaced = false;
    let mut index = 0;
    while index < chars.len() {
        if chars[index] == '$' {
            let (reference, length) = match chars.get(index + 1) {
                Some('{') => match chars[index + 2..].iter().position(|c| *c == '}') {
                    Some(end) => (chars[index + 2..index + 2 + end].iter().collect(), end + 3),
                    None => (String::new(), 0),
                },
                _ => {
                    let name: String = chars[index + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                        .collect();
                    let length = name.chars().count() + 1;
                    (name, length)
                }
            };
            if let Some(value) = (length > 1).then(|| vars.get(&reference)).flatten() {
                if out.chars().len() + value.chars().count() > MAX_LINE_CHARS {
                    return Err(format!(
                        "substituting ${reference} makes this line longer than {MAX_LINE_CHARS} characters"
                    ));
                }
                out.push_at(&value, line.column(index));
                index += length;
                replaced = true;
                continue;
            }
        }
        out.push_from(line, index);
        index += 1;
    }
    Ok(replaced.then_some(out))
}
