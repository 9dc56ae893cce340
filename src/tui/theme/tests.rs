use ratatui::style::{Color, Modifier};

use super::*;

#[test]
fn every_built_in_theme_styles_every_role_cleanly() {
    for (name, text) in BUILT_IN {
        let (set, problems) = parse(name, text);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        for role in ROLES {
            assert!(
                set.iter().any(|(r, _)| *r == role),
                "{name} has no style for {}",
                role.name()
            );
        }
    }
}

#[test]
fn mono_has_no_colour_and_no_color_selects_it() {
    assert!(!Theme::built_in("mono").has_color());
    assert!(Theme::built_in("dark").has_color());
    let (theme, problems) = Theme::load("light", None, true);
    assert!(problems.is_empty());
    assert_eq!(theme.name, "mono");
}

#[test]
fn a_user_file_overrides_single_roles() {
    let user = "[styles]\nmaster = \"#00ff00 bold\"\n";
    let (theme, problems) = Theme::load("dark", Some(("theme.toml", user)), false);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(theme.style(Role::Master).fg, Some(Color::Rgb(0, 255, 0)));
    assert_eq!(
        theme.style(Role::Backup),
        Theme::built_in("dark").style(Role::Backup)
    );
    // NO_COLOR keeps the override's emphasis but drops its colour.
    let (mono, _) = Theme::load("dark", Some(("theme.toml", user)), true);
    assert_eq!(mono.style(Role::Master).fg, None);
    assert!(mono
        .style(Role::Master)
        .add_modifier
        .contains(Modifier::BOLD));
}

#[test]
fn mistakes_are_reported_with_file_line_and_column() {
    let user = "[styles]\nmaster = \"purple\"\nglow = \"red\"\n";
    let (theme, problems) = Theme::load("dark", Some(("/etc/theme.toml", user)), false);
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown
        .iter()
        .any(|s| s.contains("/etc/theme.toml:2:10") && s.contains("purple")));
    assert!(shown
        .iter()
        .any(|s| s.contains(":3:1") && s.contains("unknown role \"glow\"")));
    assert_eq!(
        theme.style(Role::Master),
        Theme::built_in("dark").style(Role::Master)
    );
    let (fallback, problems) = Theme::load("solarized", None, false);
    assert_eq!(fallback.name, "dark");
    assert!(problems[0].to_string().contains("no theme \"solarized\""));
}
