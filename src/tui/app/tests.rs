use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::*;
use crate::tui::fixture::{large_snapshot, peer_snapshot, snapshot};

fn console(pair: bool) -> (App, Vec<Option<Arc<Snapshot>>>) {
    let labels = if pair {
        vec!["d1".into(), "d2".into()]
    } else {
        vec!["d1".into()]
    };
    let mut nodes = vec![Some(Arc::new(snapshot()))];
    if pair {
        nodes.push(Some(Arc::new(peer_snapshot())));
    }
    (App::new(Keymap::load("default", None).0, labels), nodes)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn keys(app: &mut App, nodes: &[Option<Arc<Snapshot>>], text: &str) -> Outcome {
    let mut last = Outcome::Redraw;
    for c in text.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\u{1b}' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        last = app.on_key(key(code), nodes);
    }
    last
}

fn pending(app: &App) -> &Pending {
    match &app.mode {
        Mode::Confirm(pending) => pending,
        other => panic!("no confirmation asked, mode {other:?}"),
    }
}

#[test]
fn drain_asks_first_names_what_happens_and_sends_on_yes() {
    let (mut app, nodes) = console(false);
    assert_eq!(keys(&mut app, &nodes, "2jd"), Outcome::Redraw);
    assert_eq!(
        pending(&app).what,
        "drain web/rs1 (192.0.2.21:80): weight 1 -> 0; no new connections, its 4 active connections finish"
    );
    assert_eq!(
        keys(&mut app, &nodes, "y"),
        Outcome::Send {
            node: 0,
            command: Command::Drain {
                service: "web".into(),
                server: "rs1".into()
            }
        }
    );
    // A drained server undrains; anything but y cancels.
    keys(&mut app, &nodes, "jd");
    assert!(matches!(pending(&app).command, Command::Undrain { .. }));
    assert_eq!(keys(&mut app, &nodes, "n"), Outcome::Redraw);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app
        .notice
        .as_ref()
        .unwrap()
        .text
        .starts_with("cancelled: undrain web/rs2"));
}

#[test]
fn selection_stays_within_the_tree_and_service_rows_are_selectable() {
    let (mut app, nodes) = console(false);
    keys(&mut app, &nodes, "2");
    for _ in 0..10 {
        keys(&mut app, &nodes, "j");
    }
    assert_eq!(app.services.selected, 3, "service row + three servers");
    keys(&mut app, &nodes, "g");
    assert_eq!(app.services.selected, 0);
    assert!(app.selected_server(nodes[0].as_deref().unwrap()).is_none());
    keys(&mut app, &nodes, "d");
    assert_eq!(
        app.notice.as_ref().unwrap().tone,
        Tone::Error,
        "drain needs a server"
    );
}

#[test]
fn reweight_validates_then_confirms() {
    let (mut app, nodes) = console(false);
    keys(&mut app, &nodes, "2jw99999\n");
    let Mode::Weight { error, .. } = &app.mode else {
        panic!("prompt closed: {:?}", app.mode)
    };
    assert_eq!(
        error.as_deref(),
        Some("weight must be 0..=65535, not \"99999\"")
    );
    keys(&mut app, &nodes, "x");
    let Mode::Weight { error, input, .. } = &app.mode else {
        panic!()
    };
    assert_eq!(
        (error.as_deref(), input.as_str()),
        (Some("'x' is not a digit"), "99999")
    );
    for _ in 0..5 {
        app.on_key(key(KeyCode::Backspace), &nodes);
    }
    keys(&mut app, &nodes, "5\n");
    assert_eq!(pending(&app).what, "set web/rs1 weight 1 -> 5");
    assert_eq!(
        keys(&mut app, &nodes, "y"),
        Outcome::Send {
            node: 0,
            command: Command::SetWeight {
                service: "web".into(),
                server: "rs1".into(),
                weight: 5
            }
        }
    );
}

#[test]
fn add_remove_disable_and_zero_name_their_target() {
    let (mut app, nodes) = console(false);
    keys(&mut app, &nodes, "2a192.0.2.30\n");
    assert!(pending(&app)
        .what
        .starts_with("add 192.0.2.30:80 to web with weight 1"));
    keys(&mut app, &nodes, "n");
    keys(&mut app, &nodes, "jjjD");
    assert_eq!(
        pending(&app).what,
        "remove web/rs3 (192.0.2.23:80) from web; its 5 active connections finish"
    );
    keys(&mut app, &nodes, "n");
    keys(&mut app, &nodes, "e");
    assert_eq!(
        pending(&app).command,
        Command::Disable {
            service: "web".into(),
        }
    );
    assert!(pending(&app)
        .what
        .contains("its 9 active connections finish"));
    keys(&mut app, &nodes, "nz");
    assert_eq!(
        pending(&app).command,
        Command::Zero {
            service: Some("web".into())
        }
    );
}

#[test]
fn failover_on_the_overview_uses_the_selected_instance() {
    let (mut app, nodes) = console(false);
    keys(&mut app, &nodes, "f");
    assert_eq!(
        pending(&app).command,
        Command::Failover {
            instance: "VI_1".into()
        }
    );
    assert!(pending(&app).what.contains("hand 192.0.2.50 to the peer"));
    keys(&mut app, &nodes, "n");
    // Takeover on a director that is not backup goes to the engine, which refuses.
    keys(&mut app, &nodes, "t");
    assert_eq!(
        pending(&app).command,
        Command::Takeover {
            instance: "VI_1".into()
        }
    );
}

#[test]
fn read_only_refuses_every_action_and_says_so() {
    let (mut app, nodes) = console(false);
    app.read_only = true;
    for action in "dwaDezftr".chars() {
        keys(&mut app, &nodes, "2j");
        assert_eq!(keys(&mut app, &nodes, &action.to_string()), Outcome::Redraw);
        assert_eq!(app.mode, Mode::Normal, "{action} opened something");
        let notice = app.notice.clone().unwrap();
        assert_eq!(notice.tone, Tone::Error);
        assert!(
            notice.text.starts_with("read-only console"),
            "{}",
            notice.text
        );
    }
}

#[test]
fn replies_show_on_the_status_line_refusals_as_errors() {
    let (mut app, _) = console(true);
    app.on_reply(
        1,
        Err("cannot fail over VI_1: this node is not master".into()),
    );
    assert_eq!(
        app.notice,
        Some(Notice {
            text: "d2: refused: cannot fail over VI_1: this node is not master".into(),
            tone: Tone::Error
        })
    );
    app.on_reply(
        0,
        Ok(crate::engine::Answer::Done("web/rs1: drained".into())),
    );
    assert_eq!(app.notice.as_ref().unwrap().tone, Tone::Ok);
}

#[test]
fn next_node_moves_actions_to_the_other_director() {
    let (mut app, nodes) = console(true);
    keys(&mut app, &nodes, "n");
    assert_eq!(app.node, 1);
    keys(&mut app, &nodes, "t");
    let pending = pending(&app);
    assert_eq!(pending.node, 1);
    assert!(
        pending.what.starts_with("d2: take over VI_1"),
        "{}",
        pending.what
    );
}

#[test]
fn filter_help_and_detail_come_and_go() {
    let (mut app, nodes) = console(false);
    keys(&mut app, &nodes, "/rs3\n");
    assert_eq!(
        (app.view, app.service_filter.as_str()),
        (View::Services, "rs3")
    );
    keys(&mut app, &nodes, "j\n");
    assert_eq!(
        app.detail,
        Some(ServerKey {
            service: "web".into(),
            server: "rs3".into()
        })
    );
    assert_eq!(app.wants_connections(), Some(0));
    keys(&mut app, &nodes, "\u{1b}");
    assert_eq!(app.detail, None);
    keys(&mut app, &nodes, "\u{1b}");
    assert_eq!(app.service_filter, "", "a second Esc clears the filter");
    keys(&mut app, &nodes, "?");
    assert_eq!(app.mode, Mode::Help);
    keys(&mut app, &nodes, "x");
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn ten_thousand_servers_page_and_the_view_keeps_the_selection_visible() {
    let (mut app, _) = console(false);
    let nodes = vec![Some(Arc::new(large_snapshot(100, 100)))];
    app.size = (160, 48);
    keys(&mut app, &nodes, "2");
    keys(&mut app, &nodes, "G");
    assert_eq!(app.services.selected, 100 * 101 - 1);
    let visible = crate::tui::view::list_rows(View::Services, 48);
    assert_eq!(app.services.top, app.services.selected + 1 - visible);
    app.on_key(key(KeyCode::PageUp), &nodes);
    assert_eq!(app.services.selected, 100 * 101 - 1 - visible);
    assert!(app.services.top <= app.services.selected);
}

#[test]
fn the_wheel_scrolls_and_a_click_selects() {
    let (mut app, nodes) = console(false);
    keys(&mut app, &nodes, "2");
    let mouse = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.on_mouse(mouse(MouseEventKind::ScrollDown, 5), &nodes);
    assert_eq!(app.services.selected, 3);
    app.on_mouse(
        mouse(MouseEventKind::Down(crossterm::event::MouseButton::Left), 4),
        &nodes,
    );
    assert_eq!(app.services.selected, 1, "row 4 is the second tree row");
    app.on_mouse(
        mouse(MouseEventKind::Down(crossterm::event::MouseButton::Left), 0),
        &nodes,
    );
    assert_eq!(
        app.view,
        View::Overview,
        "column 10 of the tab bar is the overview tab"
    );
}

#[test]
fn events_follow_the_newest_until_the_operator_scrolls_up() {
    let (mut app, _) = console(false);
    let mut snap = snapshot();
    let mut events = snap.events.to_vec();
    for n in 0..40 {
        events.push(crate::engine::journal::Event {
            unix_ms: 45_300_000 + n,
            kind: crate::engine::journal::EventKind::Health,
            text: format!("event {n}"),
        });
    }
    snap.events = events.into();
    snap.unix_ms += 1;
    app.observe(0, &snap);
    assert_eq!(app.events.selected, 41);
    let nodes = vec![Some(Arc::new(snap))];
    keys(&mut app, &nodes, "3k");
    assert!(!app.follow_events);
    keys(&mut app, &nodes, "G");
    assert!(app.follow_events);
}
