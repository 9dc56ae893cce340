//! Helpers for turning statements into model values, each failure located
//! at the offending word.

use std::str::FromStr;

use super::keywords::Disposition;
use super::lexer::{Note, Position, Token};
use super::tree::Node;
use crate::config::values::Seconds;

/// Collects notes while a file is mapped.
#[derive(Debug, Default)]
pub struct Reader {
    /// Everything found so far.
    pub notes: Vec<Note>,
}

/// The edit distance between two keywords (for "did you mean").
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(previous + cost);
            previous = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The closest known keyword, if it is close enough to be a typo.
pub fn suggestion<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (distance(&word.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d > 0)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

impl Reader {
    /// An error at `at`.
    pub fn error(&mut self, at: &Position, message: String) {
        self.notes.push(Note {
            at: at.clone(),
            message,
            error: true,
        });
    }

    /// A warning at `at`.
    pub fn warn(&mut self, at: &Position, message: String) {
        self.notes.push(Note {
            at: at.clone(),
            message,
            error: false,
        });
    }

    /// The statement's first argument, or an error saying it needs one.
    pub fn value<'n>(&mut self, node: &'n Node) -> Option<&'n Token> {
        let first = node.args.first();
        if first.is_none() {
            self.error(
                &node.keyword.at,
                format!("`{}` needs a value", node.keyword.text),
            );
        }
        first
    }

    /// The first argument parsed as `T`.
    pub fn parse<T: FromStr>(&mut self, node: &Node, what: &str) -> Option<T> {
        let token = self.value(node)?;
        match token.text.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(
                    &token.at,
                    format!("`{}`: {:?} is not {what}", node.keyword.text, token.text),
                );
                None
            }
        }
    }

    /// The first argument as an integer checked by `check` (a validated value's constructor).
    pub fn ranged<T>(
        &mut self,
        node: &Node,
        check: impl Fn(i64) -> Result<T, String>,
    ) -> Option<T> {
        let number: i64 = self.parse(node, "an integer")?;
        match check(number) {
            Ok(v) => Some(v),
            Err(message) => {
                let at = node.args[0].at.clone();
                self.error(&at, message);
                None
            }
        }
    }

    /// The first argument as seconds (integer or fractional).
    pub fn seconds(&mut self, node: &Node) -> Option<Seconds> {
        let value: f64 = self.parse(node, "a number of seconds")?;
        if value.is_finite() && (0.0..=86_400.0).contains(&value) {
            Some(Seconds(std::time::Duration::from_secs_f64(value)))
        } else {
            let at = node.args[0].at.clone();
            self.error(
                &at,
                format!("`{}` must be 0..=86400 seconds", node.keyword.text),
            );
            None
        }
    }

    /// The rest of the line as one command line (scripts). A single quoted
    /// word is a whole command line, as keepalived reads
    /// `notify_master "/bin/script arg"`; several words are joined, keeping
    /// quoted ones with spaces as one word.
    pub fn rest(&mut self, node: &Node) -> Option<String> {
        self.value(node)?;
        if let [only] = node.args.as_slice() {
            return Some(only.text.clone());
        }
        Some(
            node.args
                .iter()
                .map(|t| {
                    if t.quoted && t.text.contains(' ') {
                        format!("\"{}\"", t.text)
                    } else {
                        t.text.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// A keyword director knows but does not act on yet.
    pub fn not_yet(&mut self, node: &Node) {
        self.warn(
            &node.keyword.at,
            format!(
                "`{}` is accepted but not yet supported; it has no effect",
                node.keyword.text
            ),
        );
    }

    /// A keyword that does not apply to director, and why.
    pub fn not_applicable(&mut self, node: &Node, why: &str) {
        self.warn(
            &node.keyword.at,
            format!(
                "`{}` does not apply here ({why}); ignored",
                node.keyword.text
            ),
        );
    }

    /// An old name, accepted as keepalived accepts it.
    pub fn deprecated(&mut self, node: &Node, current: &str) {
        self.warn(
            &node.keyword.at,
            format!(
                "`{}` is deprecated; keepalived now calls it `{current}`",
                node.keyword.text
            ),
        );
    }

    /// A keyword the section's mapper does not read: what the keyword table
    /// says of it, or else unknown — an error when it looks like a typo of a
    /// known one, otherwise a warning (it is ignored).
    pub fn unknown(&mut self, node: &Node, section: &str, known: &[&str]) {
        let word = &node.keyword.text;
        match super::keywords::disposition(section, word) {
            Some(Disposition::NotYet) => return self.not_yet(node),
            Some(Disposition::NotApplicable(why)) => return self.not_applicable(node, why),
            Some(Disposition::Deprecated(current)) => return self.deprecated(node, current),
            None => {}
        }
        let mut all = known.to_vec();
        for word in super::keywords::listed(section) {
            all.push(word);
        }
        let known = all;
        match suggestion(word, &known) {
            Some(close) => self.error(
                &node.keyword.at,
                format!("unknown keyword `{word}` in {section}; did you mean `{close}`?"),
            ),
            None => self.warn(
                &node.keyword.at,
                format!("unknown keyword `{word}` in {section}; ignored"),
            ),
        }
    }

    /// The block of a statement that needs one.
    pub fn block<'n>(&mut self, node: &'n Node) -> &'n [Node] {
        match &node.block {
            Some(block) => block,
            None => {
                self.error(
                    &node.keyword.at,
                    format!("`{}` needs a {{ … }} block", node.keyword.text),
                );
                &[]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        let known = ["advert_int", "priority", "interface"];
        assert_eq!(suggestion("advert_intt", &known), Some("advert_int"));
        assert_eq!(suggestion("priorty", &known), Some("priority"));
        assert_eq!(suggestion("smtp_alert", &known), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
