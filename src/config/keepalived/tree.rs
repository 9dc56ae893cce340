//! keepalived.conf's block structure: a statement is a keyword and the
//! words after it on its line, optionally followed by a `{ … }` block that
//! may open on the same line or the next.

use super::lexer::{Note, Position, Token};

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The first word.
    pub keyword: Token,
    /// The other words on its line.
    pub args: Vec<Token>,
    /// Its block, if it has one.
    pub block: Option<Vec<Node>>,
}

impl Node {
    /// The words of the statement after the keyword, as text.
    pub fn words(&self) -> Vec<&str> {
        self.args.iter().map(|t| t.text.as_str()).collect()
    }
}

fn same_line(a: &Position, b: &Position) -> bool {
    a.line == b.line && a.file == b.file
}

/// Build the statement tree; unbalanced braces become error notes.
pub fn parse(tokens: &[Token], notes: &mut Vec<Note>) -> Vec<Node> {
    let mut at = 0;
    block(tokens, &mut at, None, notes)
}

fn block(
    tokens: &[Token],
    at: &mut usize,
    opened: Option<&Position>,
    notes: &mut Vec<Note>,
) -> Vec<Node> {
    let mut nodes = Vec::new();
    while *at < tokens.len() {
        let token = &tokens[*at];
        if token.is_close() {
            *at += 1;
            if opened.is_some() {
                return nodes;
            }
            notes.push(Note {
                at: token.at.clone(),
                message: "`}` closes nothing".into(),
                error: true,
            });
            continue;
        }
        if token.is_open() {
            *at += 1;
            notes.push(Note {
                at: token.at.clone(),
                message: "`{` without a keyword before it".into(),
                error: true,
            });
            block(tokens, at, Some(&token.at), notes);
            continue;
        }
        *at += 1;
        let mut args = Vec::new();
        while *at < tokens.len()
            && same_line(&tokens[*at].at, &token.at)
            && !tokens[*at].is_open()
            && !tokens[*at].is_close()
        {
            args.push(tokens[*at].clone());
            *at += 1;
        }
        let block = match tokens.get(*at) {
            Some(next) if next.is_open() => {
                *at += 1;
                Some(block(tokens, at, Some(&next.at), notes))
            }
            _ => None,
        };
        nodes.push(Node {
            keyword: token.clone(),
            args,
            block,
        });
    }
    if let Some(open) = opened {
        notes.push(Note {
            at: open.clone(),
            message: "this `{` is never closed".into(),
            error: true,
        });
    }
    nodes
}
