//! Keys to actions: the built-in keymaps (`keymaps/*.toml`, compiled in)
//! and a user file that overrides single actions. Problems in either are
//! reported with file, line and column, and never stop the console.

mod action;
mod chord;

use std::collections::{BTreeMap, HashMap};

use crossterm::event::KeyEvent;
use serde::Deserialize;
use toml::Spanned;

pub use action::{all, Action, GROUPS};
pub use chord::Chord;

use crate::config::diagnostic::Diagnostic;

/// The built-in keymaps: (name, file text).
pub const BUILT_IN: [(&str, &str); 2] = [
    ("default", include_str!("../../keymaps/default.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Which keys do what.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// Its name (the built-in it started from).
    pub name: String,
    by_key: HashMap<Chord, Action>,
    by_action: BTreeMap<Action, Vec<Chord>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    keys: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
}

/// One file's bindings: (action, its keys) in file order.
type Bindings = Vec<(Action, Vec<Chord>)>;

/// Read one keymap file; what cannot be used is reported, the rest kept.
fn parse(file: &str, text: &str) -> (Bindings, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let parsed: File = match toml::from_str(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            let message = e.message().to_string();
            problems.push(Diagnostic::at(file, text, e.span(), message));
            return (Vec::new(), problems);
        }
    };
    let mut bindings = Vec::new();
    // (key, where it was first bound, to what) for conflict reports.
    let mut seen: HashMap<Chord, (usize, Action)> = HashMap::new();
    let mut entries: Vec<_> = parsed.keys.into_iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    for (name, keys) in entries {
        let Some(action) = Action::from_name(name.get_ref()) else {
            let known: Vec<_> = all().map(|a| a.name()).collect();
            problems.push(Diagnostic::at(
                file,
                text,
                Some(name.span()),
                format!(
                    "unknown action {:?}; actions are: {}",
                    name.get_ref(),
                    known.join(", ")
                ),
            ));
            continue;
        };
        let mut chords = Vec::new();
        for key in keys.into_inner() {
            let chord = match Chord::parse(key.get_ref()) {
                Ok(chord) => chord,
                Err(why) => {
                    problems.push(Diagnostic::at(file, text, Some(key.span()), why));
                    continue;
                }
            };
            let here = Diagnostic::at(file, text, Some(key.span()), String::new());
            match seen.get(&chord) {
                Some((line, other)) => problems.push(Diagnostic {
                    message: format!(
                        "key {chord} is bound to both {} (line {line}) and {}; {} keeps it",
                        other.name(),
                        action.name(),
                        other.name()
                    ),
                    ..here
                }),
                None => {
                    seen.insert(chord, (here.line, action));
                    chords.push(chord);
                }
            }
        }
        bindings.push((action, chords));
    }
    (bindings, problems)
}

impl Keymap {
    /// The built-in keymap `name`, with `user` (file name, text) laid over
    /// it: each action the user file lists gets exactly those keys, taken
    /// from whatever action had them. Returns every problem found.
    pub fn load(name: &str, user: Option<(&str, &str)>) -> (Keymap, Vec<Diagnostic>) {
        let mut problems = Vec::new();
        let (base_name, text) = match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some(found) => *found,
            None => {
                let names: Vec<_> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                problems.push(Diagnostic::at(
                    "--keymap",
                    name,
                    None,
                    format!(
                        "no keymap {name:?} (built in: {}); using default",
                        names.join(", ")
                    ),
                ));
                BUILT_IN[0]
            }
        };
        let (base, found) = parse(&format!("keymaps/{base_name}.toml"), text);
        problems.extend(found);
        let mut keymap = Keymap {
            name: base_name.to_string(),
            by_key: HashMap::new(),
            by_action: BTreeMap::new(),
        };
        for (action, chords) in base {
            keymap.bind(action, chords);
        }
        if let Some((file, text)) = user {
            let (overrides, found) = parse(file, text);
            problems.extend(found);
            for (action, chords) in overrides {
                keymap.bind(action, chords);
            }
        }
        (keymap, problems)
    }

    /// Give `action` exactly `chords`, taking each from any other action.
    fn bind(&mut self, action: Action, chords: Vec<Chord>) {
        for old in self.by_action.remove(&action).unwrap_or_default() {
            self.by_key.remove(&old);
        }
        for chord in &chords {
            if let Some(previous) = self.by_key.insert(*chord, action) {
                if let Some(keys) = self.by_action.get_mut(&previous) {
                    keys.retain(|k| k != chord);
                }
            }
        }
        self.by_action.insert(action, chords);
    }

    /// The action a key press asks for.
    pub fn action(&self, key: KeyEvent) -> Option<Action> {
        self.by_key.get(&Chord::of(key)).copied()
    }

    /// The keys of `action`, as help shows them ("j/down"); empty when unbound.
    pub fn keys(&self, action: Action) -> String {
        self.by_action
            .get(&action)
            .map(|keys| {
                keys.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// The first key of `action`, for the status line; empty when unbound.
    pub fn key(&self, action: Action) -> String {
        self.by_action
            .get(&action)
            .and_then(|keys| keys.first())
            .map(ToString::to_string)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
