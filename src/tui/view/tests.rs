//! Every view in every theme, at 80×24 and 160×48, including empty and
//! error states. Each snapshot holds the text and, below it, the styled
//! runs of each row (so a theme change shows up as a diff).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::Terminal;

use super::*;
use crate::tui::app::{App, Notice, Tone};
use crate::tui::fixture::{peer_snapshot, snapshot, troubled_snapshot};
use crate::tui::host::{HostStats, InterfaceRate};
use crate::tui::keymap::Keymap;
use crate::tui::theme::{Theme, BUILT_IN};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// The text of every row, then each row's non-default style runs.
fn render(buffer: &Buffer) -> String {
    let width = buffer.area.width as usize;
    let rows: Vec<_> = buffer.content().chunks(width).collect();
    let mut out: Vec<String> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect();
    out.push("--- styles (row: from-to style) ---".into());
    for (y, row) in rows.iter().enumerate() {
        let mut runs = Vec::new();
        let mut start = 0;
        for x in 1..=row.len() {
            let style = |i: usize| row[i].style();
            if x == row.len() || style(x) != style(start) {
                if style(start) != Style::default() {
                    let s = style(start);
                    runs.push(format!(
                        "{start}-{} {}{}{}",
                        x - 1,
                        s.fg.map(|c| format!("fg:{c} ")).unwrap_or_default(),
                        s.bg.map(|c| format!("bg:{c} ")).unwrap_or_default(),
                        if s.add_modifier.is_empty() {
                            String::new()
                        } else {
                            format!("{:?}", s.add_modifier)
                        },
                    ));
                }
                start = x;
            }
        }
        if !runs.is_empty() {
            out.push(format!("{y}: {}", runs.join(" | ")));
        }
    }
    out.join("\n")
}

fn host() -> HostStats {
    HostStats {
        cpu_percent: 7.5,
        cores: 2,
        memory_used: 3 << 30,
        memory_total: 24 << 30,
        interfaces: vec![
            InterfaceRate {
                name: "eth0".into(),
                rx_bps: 125_000.0,
                tx_bps: 2_400_000.0,
            },
            InterfaceRate {
                name: "lo".into(),
                rx_bps: 0.0,
                tx_bps: 0.0,
            },
        ],
    }
}

/// A console on d1 (and d2 when `pair`), fed a few snapshots so that the
/// sparklines and check history have something to show.
fn app(pair: bool) -> (App, Vec<Option<Arc<Snapshot>>>) {
    let labels = if pair {
        vec!["d1".into(), "d2".into()]
    } else {
        vec!["d1".into()]
    };
    let mut app = App::new(Keymap::load("default", None).0, labels);
    app.host = Some(host());
    let mut snap = snapshot();
    for step in 0..12u64 {
        snap.unix_ms = 45_290_000 + step * 500;
        for (n, server) in snap.services[0].servers.iter_mut().enumerate() {
            server.cps = ((step + n as u64) % 5) as f64;
            server.out_bps = (step * 1000 * (n as u64 + 1)) as f64;
        }
        snap.services[0].servers[0].last_check_unix_ms = Some(45_290_000 + step / 4 * 2000);
        app.observe(0, &snap);
    }
    let mut nodes = vec![Some(Arc::new(snap))];
    if pair {
        nodes.push(Some(Arc::new(peer_snapshot())));
    }
    app.node_errors = vec![None; nodes.len()];
    (app, nodes)
}

fn press(app: &mut App, nodes: &[Option<Arc<Snapshot>>], keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\t' => KeyCode::Tab,
            '\u{1b}' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE), nodes);
    }
}

/// Snapshot `name` in every theme and size.
fn each_look(name: &str, setup: impl Fn(&mut App, &mut Vec<Option<Arc<Snapshot>>>), pair: bool) {
    for (theme_name, _) in BUILT_IN {
        let theme = Theme::built_in(theme_name);
        for (width, height) in SIZES {
            let (mut app, mut nodes) = app(pair);
            app.size = (width, height);
            setup(&mut app, &mut nodes);
            let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
            terminal
                .draw(|frame| draw(frame, &app, &nodes, &theme))
                .unwrap();
            let shown = render(terminal.backend().buffer());
            insta::assert_snapshot!(format!("{name}-{theme_name}-{width}x{height}"), shown);
        }
    }
}

#[test]
fn overview() {
    each_look("overview", |_, _| {}, false);
}

#[test]
fn overview_of_a_pair_side_by_side() {
    each_look("overview-pair", |_, _| {}, true);
}

#[test]
fn overview_in_trouble() {
    each_look(
        "overview-trouble",
        |_, nodes| nodes[0] = Some(Arc::new(troubled_snapshot())),
        false,
    );
}

#[test]
fn overview_of_a_kernel_plane_with_unmanaged_services() {
    each_look(
        "overview-kernel",
        |_, nodes| {
            let mut kernel = snapshot();
            kernel.dataplane = crate::ipvs::model::PlaneKind::Kernel;
            kernel.unmanaged = vec!["TCP 203.0.113.1:80".into(), "FWM 7".into()];
            nodes[0] = Some(Arc::new(kernel));
        },
        false,
    );
}

#[test]
fn overview_waiting_and_lost() {
    each_look(
        "overview-waiting-lost",
        |app, nodes| {
            nodes[0] = None;
            nodes[1] = None;
            app.node_errors[1] = Some("the director closed the connection".into());
        },
        true,
    );
}

#[test]
fn services() {
    each_look("services", |app, nodes| press(app, nodes, "2jj"), false);
}

#[test]
fn services_in_trouble() {
    each_look(
        "services-trouble",
        |app, nodes| {
            nodes[0] = Some(Arc::new(troubled_snapshot()));
            press(app, nodes, "2");
        },
        false,
    );
}

#[test]
fn services_filtered_and_sorted() {
    each_look(
        "services-filtered",
        |app, nodes| press(app, nodes, "2/rs\ns"),
        false,
    );
}

#[test]
fn services_empty_and_no_match() {
    each_look(
        "services-empty",
        |app, nodes| {
            let mut empty = snapshot();
            empty.services.clear();
            nodes[0] = Some(Arc::new(empty));
            press(app, nodes, "2");
        },
        false,
    );
    each_look(
        "services-no-match",
        |app, nodes| press(app, nodes, "2/zzz"),
        false,
    );
}

#[test]
fn detail() {
    each_look(
        "detail",
        |app, nodes| {
            press(app, nodes, "2j\n");
            app.on_connections(
                0,
                serde_json::from_str(r#"[{"protocol":"TCP","expires_secs":890,"state":"ESTABLISHED","source":"198.51.100.7:51234","virtual_address":"192.0.2.50:80","destination":"192.0.2.21:80"},
                      {"protocol":"TCP","expires_secs":100,"state":"TIME_WAIT","source":"198.51.100.8:40000","virtual_address":"192.0.2.50:80","destination":"192.0.2.22:80"}]"#).map(crate::engine::Answer::Connections).map_err(|e| e.to_string()),
            );
        },
        false,
    );
}

#[test]
fn detail_of_a_removed_server_and_an_unreadable_table() {
    each_look(
        "detail-gone",
        |app, nodes| {
            press(app, nodes, "2j\n");
            let mut without = snapshot();
            without.services[0].servers.remove(0);
            nodes[0] = Some(Arc::new(without));
        },
        false,
    );
    each_look(
        "detail-table-error",
        |app, nodes| {
            press(app, nodes, "2j\n");
            app.on_connections(0, Err("the engine is gone".into()));
        },
        false,
    );
}

#[test]
fn events() {
    each_look("events", |app, nodes| press(app, nodes, "3"), false);
    each_look(
        "events-filtered",
        |app, nodes| press(app, nodes, "3/operator\n"),
        false,
    );
}

#[test]
fn help() {
    each_look("help", |app, nodes| press(app, nodes, "2?"), false);
}

#[test]
fn confirmation_dialog() {
    each_look(
        "confirm-drain",
        |app, nodes| press(app, nodes, "2jd"),
        false,
    );
}

#[test]
fn weight_prompt_with_an_error() {
    each_look(
        "weight-prompt",
        |app, nodes| press(app, nodes, "2jw12x"),
        false,
    );
}

#[test]
fn add_form_with_an_error() {
    each_look(
        "add-form",
        |app, nodes| press(app, nodes, "2a2001:db8::1\n"),
        false,
    );
}

#[test]
fn a_refused_action_and_read_only() {
    each_look(
        "refused",
        |app, nodes| {
            press(app, nodes, "2");
            app.on_reply(0, Err("no VRRP instance named \"VI_9\"".into()));
        },
        false,
    );
    each_look(
        "read-only",
        |app, nodes| {
            app.read_only = true;
            press(app, nodes, "2jd");
        },
        false,
    );
    // The notice the app raised is the one shown.
    let (mut app, nodes) = app(false);
    app.read_only = true;
    press(&mut app, &nodes, "2jd");
    assert_eq!(
        app.notice,
        Some(Notice {
            text: "read-only console (--read-only): drain/undrain is disabled".into(),
            tone: Tone::Error
        })
    );
}

#[test]
fn tab_clicks_match_the_drawn_tabs() {
    assert_eq!(tab_at(0), None);
    assert_eq!(tab_at(11), Some(0));
    assert_eq!(tab_at(23), Some(1));
    assert_eq!(tab_at(35), None);
    assert_eq!(tab_at(37), Some(2));
    assert_eq!(tab_at(60), None);
}
