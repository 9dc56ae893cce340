use crossterm::event::{KeyCode, KeyModifiers};

use super::*;

fn press(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn the_built_in_keymaps_are_clean_and_bind_every_action() {
    for (name, _) in BUILT_IN {
        let (keymap, problems) = Keymap::load(name, None);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        for action in all() {
            assert!(
                !keymap.keys(action).is_empty(),
                "{name}: {action:?} unbound"
            );
        }
    }
}

#[test]
fn default_has_arrows_vi_keys_help_filter() {
    let (keymap, _) = Keymap::load("default", None);
    assert_eq!(keymap.action(press(KeyCode::Char('j'))), Some(Action::Down));
    assert_eq!(keymap.action(press(KeyCode::Down)), Some(Action::Down));
    assert_eq!(keymap.action(press(KeyCode::Char('?'))), Some(Action::Help));
    assert_eq!(
        keymap.action(press(KeyCode::Char('/'))),
        Some(Action::Filter)
    );
    assert_eq!(keymap.keys(Action::Up), "up/k");
}

#[test]
fn a_user_file_overrides_single_actions_and_steals_their_keys() {
    let user = "[keys]\nzero = [\"d\"]\n";
    let (keymap, problems) = Keymap::load("default", Some(("keymap.toml", user)));
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(keymap.action(press(KeyCode::Char('d'))), Some(Action::Zero));
    assert_eq!(keymap.action(press(KeyCode::Char('z'))), None);
    assert_eq!(keymap.keys(Action::Drain), "", "drain lost its only key");
    assert_eq!(keymap.action(press(KeyCode::Char('j'))), Some(Action::Down));
}

#[test]
fn conflicts_and_mistakes_are_reported_with_file_and_line() {
    let user = "[keys]\ndrain = [\"x\"]\nzero = [\"x\", \"hyper-q\"]\nfly = [\"y\"]\n";
    let (keymap, problems) = Keymap::load("default", Some(("/home/op/keymap.toml", user)));
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{shown:#?}");
    assert_eq!((problems[0].line, problems[0].column), (3, 9));
    assert!(
        shown[0].contains("/home/op/keymap.toml:3:9"),
        "{}",
        shown[0]
    );
    assert!(
        shown[0].contains("key x is bound to both drain (line 2) and zero"),
        "{}",
        shown[0]
    );
    assert!(shown[1].contains("unknown key \"hyper-q\""), "{}", shown[1]);
    assert!(shown[2].contains(":4:1") && shown[2].contains("unknown action \"fly\""));
    // What could be used still is.
    assert_eq!(
        keymap.action(press(KeyCode::Char('x'))),
        Some(Action::Drain)
    );
}

#[test]
fn a_broken_file_or_unknown_keymap_falls_back_and_says_so() {
    let (keymap, problems) = Keymap::load("vim", Some(("k.toml", "[keys\n")));
    assert_eq!(keymap.name, "default");
    assert!(problems[0].to_string().contains("no keymap \"vim\""));
    assert_eq!(problems[1].file, "k.toml");
    assert_eq!(keymap.action(press(KeyCode::Char('q'))), Some(Action::Quit));
}
