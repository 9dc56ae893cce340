//! One real server in detail: its settings and counters, rate history,
//! check history, connections and events.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::events::{event_row, WIDTHS};
use super::format::{ago, clock, rate};
use super::panel;
use crate::engine::snapshot::{ServerView, ServiceView};
use crate::engine::Snapshot;
use crate::ipvs::model::Health;
use crate::tui::app::history::{Sample, ServerHistory};
use crate::tui::app::{App, ServerKey};
use crate::tui::theme::{Role, Theme};

/// Draw the detail of `key`.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    snapshot: &Snapshot,
    key: &ServerKey,
    theme: &Theme,
) {
    let found = snapshot
        .services
        .iter()
        .find(|s| s.name == key.service)
        .and_then(|s| Some((s, s.servers.iter().find(|r| r.name == key.server)?)));
    let Some((service, server)) = found else {
        let text = format!(
            "{}/{} is no longer in the table (removed?). Esc goes back.",
            key.service, key.server
        );
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.style(Role::Error))
                .block(panel(format!(" {}/{} ", key.service, key.server), theme)),
            area,
        );
        return;
    };
    let history = app.history.server(app.node, &service.name, &server.name);
    // Wide: facts beside the sparklines. Narrow: facts over a row of three
    // small sparklines.
    let wide = area.width >= 120;
    let [top, sparks, middle, bottom] = Layout::vertical([
        Constraint::Length(9),
        Constraint::Length(if wide { 0 } else { 3 }),
        Constraint::Min(4),
        Constraint::Length(area.height.saturating_sub(9) / 3),
    ])
    .areas(area);
    let (facts, sparks) = if wide {
        let [facts, sparks] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
        (
            facts,
            Layout::vertical([Constraint::Ratio(1, 3); 3]).split(sparks),
        )
    } else {
        (
            top,
            Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(sparks),
        )
    };
    draw_facts(frame, facts, snapshot, service, server, theme);
    draw_sparks(frame, &sparks, history, server, theme);
    let [checks, connections] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(middle);
    draw_checks(frame, checks, snapshot.unix_ms, history, theme);
    draw_connections(frame, connections, app, service, server, theme);
    draw_events(frame, bottom, snapshot, service, server, theme);
}

fn draw_facts(
    frame: &mut Frame<'_>,
    area: Rect,
    snapshot: &Snapshot,
    service: &ServiceView,
    server: &ServerView,
    theme: &Theme,
) {
    let dim = |text: &str| Span::styled(text.to_string(), theme.style(Role::Dim));
    let (health, role) = match server.health {
        Health::Up => ("up", Role::Up),
        Health::Down => ("DOWN", Role::Down),
        Health::Unknown => ("not checked yet", Role::Unknown),
    };
    let mut weight = format!(
        "{} (configured {})",
        server.weight, server.configured_weight
    );
    if server.drained {
        weight.push_str(if server.active == 0 {
            " · drained, empty"
        } else {
            " · drained, connections finishing"
        });
    }
    if server.overloaded {
        weight.push_str(" · OVERLOADED (upper threshold)");
    }
    let last = match (&server.last_check, server.last_check_unix_ms) {
        (Some(text), Some(at)) => {
            let took = server
                .last_check_seconds
                .map(|s| format!(", took {:.0} ms", s * 1000.0))
                .unwrap_or_default();
            format!("{text} ({} ago{took})", ago(snapshot.unix_ms, at))
        }
        _ => "-".into(),
    };
    let lines = vec![
        Line::from(vec![
            dim("address    "),
            Span::raw(server.address.clone()),
            dim("  via "),
            Span::raw(server.forwarding.clone()),
        ]),
        Line::from(vec![dim("weight     "), Span::raw(weight)]),
        Line::from(vec![
            dim("conns      "),
            Span::raw(format!(
                "active {} · inactive {} · persistent {} · total {}",
                server.active, server.inactive, server.persistent, server.conns
            )),
        ]),
        Line::from(vec![
            dim("thresholds "),
            Span::raw(format!(
                "upper {} · lower {} · connect failures {}",
                server.uthreshold, server.lthreshold, server.connect_failures
            )),
        ]),
        Line::from(vec![
            dim("health     "),
            Span::styled(health, theme.style(role)),
            Span::raw(format!(
                " · {} checks · {} failed / {} passed in a row",
                server.checks_run, server.failures_in_a_row, server.passes_in_a_row
            )),
        ]),
        Line::from(vec![dim("last check "), Span::raw(last)]),
        Line::from(vec![
            dim("traffic    "),
            Span::raw(format!(
                "{:.1} conn/s · in {}/s · out {}/s",
                server.cps,
                rate(server.in_bps),
                rate(server.out_bps)
            )),
        ]),
    ];
    let title = format!(" {} / {} · {} ", service.name, server.name, service.address);
    frame.render_widget(Paragraph::new(lines).block(panel(title, theme)), area);
}

/// A sparkline: its label, what it plots, and the value now.
type Series = (&'static str, fn(&Sample) -> f32, String);

fn draw_sparks(
    frame: &mut Frame<'_>,
    rows: &[Rect],
    history: Option<&ServerHistory>,
    server: &ServerView,
    theme: &Theme,
) {
    let series: [Series; 3] = [
        ("conn/s", |s| s.cps, format!("{:.1}", server.cps)),
        ("in B/s", |s| s.in_bps, rate(server.in_bps)),
        ("out B/s", |s| s.out_bps, rate(server.out_bps)),
    ];
    for ((label, pick, now), row) in series.into_iter().zip(rows.iter()) {
        let width = usize::from(row.width.saturating_sub(2));
        let data: Vec<u64> = history
            .map(|h| {
                let skip = h.samples.len().saturating_sub(width);
                h.samples
                    .iter()
                    .skip(skip)
                    .map(|s| (pick(s) * 10.0).round() as u64)
                    .collect()
            })
            .unwrap_or_default();
        frame.render_widget(
            Sparkline::default()
                .data(&data)
                .style(theme.style(Role::Spark))
                .block(panel(format!(" {label} {now} "), theme)),
            *row,
        );
    }
}

fn draw_checks(
    frame: &mut Frame<'_>,
    area: Rect,
    now_ms: u64,
    history: Option<&ServerHistory>,
    theme: &Theme,
) {
    let visible = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line<'_>> = match history {
        Some(h) if !h.checks.is_empty() => h
            .checks
            .iter()
            .rev()
            .take(visible)
            .map(|c| {
                let role = match c.health {
                    Health::Up => Role::Up,
                    Health::Down => Role::Down,
                    Health::Unknown => Role::Unknown,
                };
                Line::from(vec![
                    Span::raw(format!(
                        "{} {:>4} ago ",
                        clock(c.unix_ms),
                        ago(now_ms, c.unix_ms)
                    )),
                    Span::styled(c.text.clone(), theme.style(role)),
                ])
            })
            .collect(),
        _ => vec![Line::styled(
            "no check result seen since the console started",
            theme.style(Role::Dim),
        )],
    };
    frame.render_widget(
        Paragraph::new(lines).block(panel(" checks, newest first ".into(), theme)),
        area,
    );
}

fn draw_connections(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    service: &ServiceView,
    server: &ServerView,
    theme: &Theme,
) {
    let block = panel(" connections ".into(), theme);
    let rows = match &app.connections {
        Some(c) if c.node == app.node => &c.rows,
        _ => {
            frame.render_widget(
                Paragraph::new("reading the connection table…")
                    .style(theme.style(Role::Dim))
                    .block(block),
                area,
            );
            return;
        }
    };
    let mine: Vec<_> = match rows {
        Ok(rows) => rows
            .iter()
            .filter(|r| {
                r.destination.to_string() == server.address
                    && r.virtual_address.to_string() == service.address
            })
            .collect(),
        Err(why) => {
            frame.render_widget(
                Paragraph::new(format!("cannot read the connection table: {why}"))
                    .style(theme.style(Role::Error))
                    .block(block),
                area,
            );
            return;
        }
    };
    let visible = area.height.saturating_sub(3) as usize;
    let title = format!(" connections {} ", mine.len());
    let body: Vec<Row<'_>> = mine
        .iter()
        .take(visible)
        .map(|c| {
            Row::new([
                c.source.to_string(),
                c.state.clone(),
                format!("{}s", c.expires_secs),
            ])
        })
        .collect();
    let header = Row::new(["SOURCE", "STATE", "EXPIRES"]).style(theme.style(Role::Header));
    frame.render_widget(
        Table::new(
            body,
            [
                Constraint::Min(16),
                Constraint::Length(11),
                Constraint::Length(8),
            ],
        )
        .header(header)
        .block(panel(title, theme)),
        area,
    );
}

fn draw_events(
    frame: &mut Frame<'_>,
    area: Rect,
    snapshot: &Snapshot,
    service: &ServiceView,
    server: &ServerView,
    theme: &Theme,
) {
    let needle = format!("{}/{}", service.name, server.name);
    let visible = area.height.saturating_sub(2) as usize;
    let mine: Vec<_> = snapshot
        .events
        .iter()
        .filter(|e| e.text.contains(&needle))
        .collect();
    let skip = mine.len().saturating_sub(visible);
    let rows: Vec<Row<'_>> = mine[skip..].iter().map(|e| event_row(e, theme)).collect();
    frame.render_widget(
        Table::new(rows, WIDTHS).block(panel(format!(" events of {needle} "), theme)),
        area,
    );
}
