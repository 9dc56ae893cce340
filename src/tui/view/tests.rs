use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::tui::fixture::snapshot;

fn render(app: &App, snapshot: Option<&Snapshot>) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 24)).unwrap();
    terminal.draw(|frame| draw(frame, app, snapshot)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let width = buffer.area.width as usize;
    buffer
        .content()
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn overview_of_a_master_with_a_drained_server() {
    let app = App {
        selected: 1,
        ..App::default()
    };
    insta::assert_snapshot!(render(&app, Some(&snapshot())));
}

#[test]
fn weight_prompt_replaces_the_key_hints() {
    let app = App {
        mode: Mode::Weight { input: "12".into() },
        ..App::default()
    };
    let screen = render(&app, Some(&snapshot()));
    assert!(screen.contains("new weight (0..=65535): 12_"), "{screen}");
}

#[test]
fn without_a_snapshot_it_says_it_is_waiting() {
    insta::assert_snapshot!(render(&App::default(), None));
}

#[test]
fn clock_is_utc_hours_minutes_seconds() {
    assert_eq!(clock(45_296_000), "12:34:56");
}

#[test]
fn alerts_and_tracking_are_shown_on_the_instance() {
    let mut snap = snapshot();
    let instance = &mut snap.instances[0];
    instance.priority = 130;
    instance.tracking = vec!["eth1 down: -20".into()];
    instance.alerts.push(crate::engine::snapshot::AlertView {
        kind: "auth".into(),
        peer: "192.0.2.12".parse().unwrap(),
        detail: "peer's password differs".into(),
        since_unix_ms: 0,
        last_unix_ms: 0,
    });
    let screen = render(&App::default(), Some(&snap));
    assert!(screen.contains("prio 130/150"), "{screen}");
    assert!(screen.contains("tracking: eth1 down: -20"), "{screen}");
    assert!(
        screen.contains("ALERT auth 192.0.2.12: peer's password differs"),
        "{screen}"
    );
}
