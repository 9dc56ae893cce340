//! How the console was asked to look and behave: command-line choices, the
//! user's keymap and theme files, and `NO_COLOR`.

use std::path::PathBuf;
use std::time::Duration;

use super::keymap::Keymap;
use super::theme::Theme;
use crate::config::diagnostic::Diagnostic;

/// The console's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Refuse every action that changes an engine.
    pub read_only: bool,
    /// Built-in keymap to start from.
    pub keymap: String,
    /// Built-in theme to start from.
    pub theme: String,
    /// How often counters are redrawn and the host sampled.
    pub tick: Duration,
    /// Capture the mouse (click selects, the wheel scrolls).
    pub mouse: bool,
    /// Where `keymap.toml` and `theme.toml` are looked for.
    pub config_dir: Option<PathBuf>,
    /// `NO_COLOR` is set: the mono theme, whatever else was asked.
    pub no_color: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            read_only: false,
            keymap: "default".into(),
            theme: "dark".into(),
            tick: Duration::from_secs(1),
            mouse: true,
            config_dir: user_config_dir(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        }
    }
}

/// `$XDG_CONFIG_HOME/director`, else `$HOME/.config/director`.
pub fn user_config_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("director"))
}

/// A user file: (path, text) when it exists; a problem when it cannot be read.
fn user_file(settings: &Settings, name: &str) -> Result<Option<(String, String)>, Diagnostic> {
    let Some(dir) = &settings.config_dir else {
        return Ok(None);
    };
    let path = dir.join(name);
    let shown = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((shown, text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Diagnostic::at(
            &shown,
            "",
            None,
            format!("cannot read: {e}"),
        )),
    }
}

/// The keymap and theme, and every problem met loading them.
pub fn load_looks(settings: &Settings) -> (Keymap, Theme, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let mut read = |name| {
        user_file(settings, name).unwrap_or_else(|problem| {
            problems.push(problem);
            None
        })
    };
    let keymap_file = read("keymap.toml");
    let theme_file = read("theme.toml");
    let (keymap, found) = Keymap::load(
        &settings.keymap,
        keymap_file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
    );
    problems.extend(found);
    let (theme, found) = Theme::load(
        &settings.theme,
        theme_file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
        settings.no_color,
    );
    problems.extend(found);
    (keymap, theme, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_files_are_read_from_the_config_dir_and_their_problems_kept() {
        let dir = std::env::temp_dir().join(format!("director-looks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("keymap.toml"), "[keys]\nquit = [\"x\"]\n").unwrap();
        std::fs::write(dir.join("theme.toml"), "[styles]\nmaster = \"plaid\"\n").unwrap();
        let settings = Settings {
            config_dir: Some(dir.clone()),
            no_color: false,
            ..Settings::default()
        };
        let (keymap, theme, problems) = load_looks(&settings);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(keymap.keys(crate::tui::keymap::Action::Quit), "x");
        assert_eq!(theme.name, "dark");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().contains("theme.toml:2:10"));
    }
}
