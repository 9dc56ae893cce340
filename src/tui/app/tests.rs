use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::fixture::snapshot;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn d_drains_the_selected_server_and_undrains_a_drained_one() {
    let snap = snapshot();
    let mut app = App::default();
    assert_eq!(
        app.on_key(key(KeyCode::Char('d')), Some(&snap)),
        Outcome::Send(Command::Drain {
            service: "web".into(),
            server: "rs1".into()
        })
    );
    app.on_key(key(KeyCode::Char('j')), Some(&snap));
    assert_eq!(
        app.on_key(key(KeyCode::Char('d')), Some(&snap)),
        Outcome::Send(Command::Undrain {
            service: "web".into(),
            server: "rs2".into()
        })
    );
}

#[test]
fn selection_stays_within_the_list() {
    let snap = snapshot();
    let mut app = App::default();
    for _ in 0..10 {
        app.on_key(key(KeyCode::Down), Some(&snap));
    }
    assert_eq!(app.selected, 2);
    for _ in 0..10 {
        app.on_key(key(KeyCode::Char('k')), Some(&snap));
    }
    assert_eq!(app.selected, 0);
}

#[test]
fn w_prompts_validates_and_sends_a_weight() {
    let snap = snapshot();
    let mut app = App::default();
    app.on_key(key(KeyCode::Char('w')), Some(&snap));
    for c in "99999".chars() {
        app.on_key(key(KeyCode::Char(c)), Some(&snap));
    }
    assert_eq!(
        app.on_key(key(KeyCode::Enter), Some(&snap)),
        Outcome::Redraw
    );
    assert!(app.status.as_deref().unwrap().contains("0..=65535"));
    assert!(
        matches!(app.mode, Mode::Weight { .. }),
        "prompt stays open after a bad value"
    );
    for _ in 0..5 {
        app.on_key(key(KeyCode::Backspace), Some(&snap));
    }
    app.on_key(key(KeyCode::Char('7')), Some(&snap));
    assert_eq!(
        app.on_key(key(KeyCode::Enter), Some(&snap)),
        Outcome::Send(Command::SetWeight {
            service: "web".into(),
            server: "rs1".into(),
            weight: 7
        })
    );
}

#[test]
fn f_asks_before_failing_over() {
    let snap = snapshot();
    let mut app = App::default();
    assert_eq!(
        app.on_key(key(KeyCode::Char('f')), Some(&snap)),
        Outcome::Redraw
    );
    assert_eq!(
        app.on_key(key(KeyCode::Char('y')), Some(&snap)),
        Outcome::Send(Command::Failover {
            instance: "VI_1".into()
        })
    );
    app.on_key(key(KeyCode::Char('f')), Some(&snap));
    assert_eq!(
        app.on_key(key(KeyCode::Char('n')), Some(&snap)),
        Outcome::Redraw
    );
    assert_eq!(app.status.as_deref(), Some("failover cancelled"));
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut app = App::default();
    assert_eq!(app.on_key(key(KeyCode::Char('q')), None), Outcome::Quit);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.on_key(ctrl_c, None), Outcome::Quit);
}

#[test]
fn r_releases_a_held_instance_and_says_when_there_is_none() {
    let mut snap = snapshot();
    let mut app = App::default();
    assert_eq!(
        app.on_key(key(KeyCode::Char('r')), Some(&snap)),
        Outcome::Redraw
    );
    assert_eq!(
        app.status.as_deref(),
        Some("no VRRP instance is held on this node")
    );
    snap.instances[0].held = true;
    assert_eq!(
        app.on_key(key(KeyCode::Char('r')), Some(&snap)),
        Outcome::Send(Command::Release {
            instance: "VI_1".into()
        })
    );
}
