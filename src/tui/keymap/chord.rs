//! One key with its modifiers, as keymap files spell it ("ctrl-c", "up", "?").

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key as the keymap matches it: the code, plus ctrl/alt (and shift for
/// keys that are not characters; a character's case already says shift).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    code: KeyCode,
    modifiers: KeyModifiers,
}

const NAMED: [(&str, KeyCode); 14] = [
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
];

impl Chord {
    /// The chord a key press matches.
    pub fn of(key: KeyEvent) -> Chord {
        Chord::new(key.code, key.modifiers)
    }

    fn new(code: KeyCode, modifiers: KeyModifiers) -> Chord {
        let mut kept =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            kept.remove(KeyModifiers::SHIFT);
        }
        Chord {
            code,
            modifiers: kept,
        }
    }

    /// Parse a key as keymap files write it.
    pub fn parse(text: &str) -> Result<Chord, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = text;
        while let Some((prefix, tail)) = rest.split_once('-') {
            let modifier = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" => KeyModifiers::CONTROL,
                "alt" | "meta" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => break,
            };
            if tail.is_empty() {
                break;
            }
            modifiers |= modifier;
            rest = tail;
        }
        let code = match rest.chars().count() {
            0 => return Err("an empty key".into()),
            1 => KeyCode::Char(rest.chars().next().unwrap_or(' ')),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if lower == "space" {
                    KeyCode::Char(' ')
                } else if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
                    *code
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse().ok()) {
                    if !(1..=12).contains(&n) {
                        return Err(format!("no function key {text:?} (f1..f12)"));
                    }
                    KeyCode::F(n)
                } else {
                    return Err(format!(
                        "unknown key {text:?}: use one character, a name such as up, enter, \
                         pagedown or f1, and ctrl-/alt-/shift- prefixes"
                    ));
                }
            }
        };
        Ok(Chord::new(code, modifiers))
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, named)| *named == code)
                    .map_or("?", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_back() {
        for text in [
            "q", "?", "G", "ctrl-c", "alt-<", "up", "pagedown", "f1", "space", "-",
        ] {
            assert_eq!(Chord::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Chord::parse("Ctrl-Alt-x").unwrap().to_string(),
            "ctrl-alt-x"
        );
    }

    #[test]
    fn a_press_matches_its_chord_whatever_shift_says_about_characters() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Chord::of(shifted), Chord::parse("G").unwrap());
        let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Chord::of(backtab), Chord::parse("backtab").unwrap());
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Chord::of(ctrl_c), Chord::parse("ctrl-c").unwrap());
    }

    #[test]
    fn bad_keys_say_what_is_wrong() {
        assert!(Chord::parse("hyper-x").unwrap_err().contains("unknown key"));
        assert!(Chord::parse("f13").unwrap_err().contains("f1..f12"));
        assert_eq!(Chord::parse("").unwrap_err(), "an empty key");
    }
}
