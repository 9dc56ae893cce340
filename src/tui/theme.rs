//! Colours by role: the built-in themes (`themes/*.toml`, compiled in) and a
//! user file that overrides single roles. `NO_COLOR` selects `mono` and
//! strips colour from any override.

mod role;
mod style_text;

use std::collections::BTreeMap;

use ratatui::style::{Color, Style};
use serde::Deserialize;
use toml::Spanned;

pub use role::{Role, ROLES};

use crate::config::diagnostic::Diagnostic;

/// The built-in themes: (name, file text).
pub const BUILT_IN: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// A style for every role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// Its name (the built-in it started from).
    pub name: String,
    styles: [Style; ROLES.len()],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    styles: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// Read one theme file: the roles it sets, and what could not be used.
fn parse(file: &str, text: &str) -> (Vec<(Role, Style)>, Vec<Diagnostic>) {
    let parsed: File = match toml::from_str(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            let message = e.message().to_string();
            return (
                Vec::new(),
                vec![Diagnostic::at(file, text, e.span(), message)],
            );
        }
    };
    let mut set = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in parsed.styles {
        let Some(role) = Role::from_name(name.get_ref()) else {
            let known: Vec<_> = ROLES.iter().map(|r| r.name()).collect();
            problems.push(Diagnostic::at(
                file,
                text,
                Some(name.span()),
                format!(
                    "unknown role {:?}; roles are: {}",
                    name.get_ref(),
                    known.join(", ")
                ),
            ));
            continue;
        };
        match style_text::parse(value.get_ref()) {
            Ok(style) => set.push((role, style)),
            Err(why) => problems.push(Diagnostic::at(file, text, Some(value.span()), why)),
        }
    }
    (set, problems)
}

impl Theme {
    /// The built-in theme `name` (mono when `no_color`), with `user`
    /// (file name, text) laid over it. Returns every problem found.
    pub fn load(
        name: &str,
        user: Option<(&str, &str)>,
        no_color: bool,
    ) -> (Theme, Vec<Diagnostic>) {
        let mut problems = Vec::new();
        let wanted = if no_color { "mono" } else { name };
        let (base_name, text) = match BUILT_IN.iter().find(|(n, _)| *n == wanted) {
            Some(found) => *found,
            None => {
                let names: Vec<_> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                problems.push(Diagnostic::at(
                    "--theme",
                    name,
                    None,
                    format!(
                        "no theme {name:?} (built in: {}); using dark",
                        names.join(", ")
                    ),
                ));
                BUILT_IN[0]
            }
        };
        let mut theme = Theme {
            name: base_name.to_string(),
            styles: [Style::default(); ROLES.len()],
        };
        let (base, found) = parse(&format!("themes/{base_name}.toml"), text);
        problems.extend(found);
        for (role, style) in base {
            theme.styles[role as usize] = style;
        }
        if let Some((file, text)) = user {
            let (overrides, found) = parse(file, text);
            problems.extend(found);
            for (role, mut style) in overrides {
                if no_color {
                    style.fg = None;
                    style.bg = None;
                }
                theme.styles[role as usize] = style;
            }
        }
        (theme, problems)
    }

    /// A built-in theme with no user file, for tests and benchmarks.
    pub fn built_in(name: &str) -> Theme {
        Theme::load(name, None, false).0
    }

    /// The style of `role`.
    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// Whether it uses any colour at all.
    pub fn has_color(&self) -> bool {
        let colored = |c: Option<Color>| c.is_some_and(|c| c != Color::Reset);
        self.styles.iter().any(|s| colored(s.fg) || colored(s.bg))
    }
}

#[cfg(test)]
mod tests;
