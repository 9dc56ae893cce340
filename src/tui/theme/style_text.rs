//! A style as theme files write it: "black on lightcyan bold".

use ratatui::style::{Color, Modifier, Style};

const NAMED: [(&str, Color); 17] = [
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

const MODIFIERS: [(&str, Modifier); 5] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
];

fn color(word: &str) -> Option<Color> {
    if let Some(hex) = word.strip_prefix('#') {
        let value = u32::from_str_radix(hex, 16)
            .ok()
            .filter(|_| hex.len() == 6)?;
        let [_, r, g, b] = value.to_be_bytes();
        return Some(Color::Rgb(r, g, b));
    }
    NAMED.iter().find(|(n, _)| *n == word).map(|(_, c)| *c)
}

/// Parse `[fg] [on bg] [modifier…]`, in any order.
pub fn parse(text: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut words = text.split_whitespace().map(str::to_ascii_lowercase);
    while let Some(word) = words.next() {
        if word == "on" {
            let bg = words
                .next()
                .ok_or_else(|| format!("{text:?}: \"on\" needs a background colour"))?;
            style.bg = Some(color(&bg).ok_or_else(|| unknown(text, &bg))?);
        } else if let Some((_, modifier)) = MODIFIERS.iter().find(|(n, _)| *n == word) {
            style = style.add_modifier(*modifier);
        } else {
            style.fg = Some(color(&word).ok_or_else(|| unknown(text, &word))?);
        }
    }
    Ok(style)
}

fn unknown(text: &str, word: &str) -> String {
    format!(
        "{text:?}: {word:?} is not a colour (a terminal colour name, #rrggbb or reset) \
         nor a modifier (bold, dim, italic, underlined, reversed)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_read_as_written() {
        assert_eq!(
            parse("black on lightcyan bold").unwrap(),
            Style::default()
                .fg(Color::Black)
                .bg(Color::LightCyan)
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            parse("#8a6d00").unwrap(),
            Style::default().fg(Color::Rgb(0x8a, 0x6d, 0))
        );
        assert_eq!(
            parse("reversed").unwrap(),
            Style::default().add_modifier(Modifier::REVERSED)
        );
    }

    #[test]
    fn mistakes_name_the_word() {
        assert!(parse("purple")
            .unwrap_err()
            .contains("\"purple\" is not a colour"));
        assert!(parse("red on").unwrap_err().contains("needs a background"));
        assert!(parse("#12345").unwrap_err().contains("\"#12345\""));
    }
}
