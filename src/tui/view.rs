//! Drawing one frame from a snapshot and the console state. Pure: the same
//! inputs draw the same screen.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::app::{App, Mode};
use crate::engine::journal::EventKind;
use crate::engine::snapshot::{InstanceView, Owner, ServerView};
use crate::engine::Snapshot;
use crate::ipvs::model::Health;
use crate::vrrp::instance::State;

/// Draw the whole console.
pub fn draw(frame: &mut Frame<'_>, app: &App, snapshot: Option<&Snapshot>) {
    let area = frame.area();
    let Some(snapshot) = snapshot else {
        let text = "waiting for the engine… (no snapshot yet, or the engine went away)  q quits";
        frame.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" director ")),
            area,
        );
        return;
    };
    let vrrp_height = 2 + snapshot
        .instances
        .iter()
        .map(instance_height)
        .sum::<u16>()
        .max(1);
    let servers: usize = snapshot.services.iter().map(|s| s.servers.len() + 1).sum();
    let [vrrp, services, events, status] = Layout::vertical([
        Constraint::Length(vrrp_height),
        Constraint::Length(servers as u16 + 3),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_vrrp(frame, vrrp, snapshot);
    draw_services(frame, services, app, snapshot);
    draw_events(frame, events, snapshot);
    draw_status(frame, status, app);
}

fn draw_vrrp(frame: &mut Frame<'_>, area: Rect, snapshot: &Snapshot) {
    let title = format!(
        " director · {} · {} data plane ",
        snapshot.node, snapshot.dataplane
    );
    let mut lines = Vec::new();
    for instance in &snapshot.instances {
        lines.extend(instance_lines(instance));
    }
    if snapshot.instances.is_empty() {
        lines.push(Line::from("no VRRP instance configured"));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

fn state_style(state: State) -> Style {
    let color = match state {
        State::Master => Color::Green,
        State::Backup => Color::Cyan,
        State::Fault => Color::Red,
        State::Init => Color::Yellow,
    };
    Style::default().fg(color).add_modifier(Modifier::BOLD)
}

/// Alerts shown per instance; more are summarised.
const MAX_ALERTS: usize = 3;

/// The lines one instance takes: two, plus one per alert (at most `MAX_ALERTS`).
fn instance_height(i: &InstanceView) -> u16 {
    2 + u16::from(!i.tracking.is_empty()) + i.alerts.len().min(MAX_ALERTS) as u16
}

fn instance_lines(i: &InstanceView) -> Vec<Line<'static>> {
    let owner = match i.owner {
        Owner::ThisNode => "this node".to_string(),
        Owner::Peer(peer) => format!("peer {peer}"),
        Owner::Unknown => "unknown".to_string(),
    };
    let since = i
        .owner_since_unix_ms
        .map(|ms| format!(" since {}", clock(ms)))
        .unwrap_or_default();
    let mut notes = String::new();
    if i.held {
        notes.push_str("  HELD (operator failover; r releases, t takes over)");
    }
    if i.releasing {
        notes.push_str("  releasing VIP");
    }
    if let Some(group) = &i.sync_group {
        notes.push_str(&format!("  group {group}"));
    }
    let priority = if i.priority == i.base_priority {
        i.priority.to_string()
    } else {
        format!("{}/{}", i.priority, i.base_priority)
    };
    let drops: u64 = i.drops.values().sum();
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} ", i.name),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{:<6}", i.state.name()), state_style(i.state)),
            Span::raw(format!(
                "  prio {priority}  v{} vrid {} on {}  VIP {}  owner: {owner}{since}{notes}",
                i.version,
                i.vrid,
                i.interface,
                i.vips.join(", ")
            )),
        ]),
        Line::from(format!(
            "  adverts sent {} received {} dropped {drops}  every {} ms  last: {}",
            i.adverts_sent,
            i.adverts_received,
            i.advert_interval_ms,
            i.last_transition.as_deref().unwrap_or("none"),
        )),
    ];
    if !i.tracking.is_empty() {
        lines.push(Line::from(format!("  tracking: {}", i.tracking.join(", "))));
    }
    let alert_style = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
    for (n, alert) in i.alerts.iter().enumerate().take(MAX_ALERTS) {
        let more = if n + 1 == MAX_ALERTS && i.alerts.len() > MAX_ALERTS {
            format!("  (+{} more)", i.alerts.len() - MAX_ALERTS)
        } else {
            String::new()
        };
        lines.push(Line::styled(
            format!(
                "  ALERT {} {}: {}{more}",
                alert.kind, alert.peer, alert.detail
            ),
            alert_style,
        ));
    }
    lines
}

fn draw_services(frame: &mut Frame<'_>, area: Rect, app: &App, snapshot: &Snapshot) {
    let header = Row::new([
        "",
        "REAL SERVER",
        "ADDRESS",
        "WEIGHT",
        "ACTIVE",
        "INACT",
        "CPS",
        "HEALTH",
        "LAST CHECK",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let mut rows = Vec::new();
    let mut index = 0;
    for service in &snapshot.services {
        rows.push(
            Row::new(vec![
                Cell::from(""),
                Cell::from(service.name.clone()),
                Cell::from(service.address.clone()),
                Cell::from(format!("{} {}", service.protocol, service.scheduler)),
            ])
            .style(Style::default().fg(Color::Magenta)),
        );
        for server in &service.servers {
            let selected = index == app.selected;
            rows.push(server_row(server, selected));
            index += 1;
        }
    }
    let widths = [
        Constraint::Length(1),
        Constraint::Length(14),
        Constraint::Length(21),
        Constraint::Length(12),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(Block::bordered().title(" virtual services "));
    frame.render_widget(table, area);
}

fn server_row(server: &ServerView, selected: bool) -> Row<'static> {
    let weight = if server.drained {
        format!("0 drained({})", server.configured_weight)
    } else if server.weight != server.configured_weight {
        format!("{} ({})", server.weight, server.configured_weight)
    } else {
        server.weight.to_string()
    };
    let (health, health_color) = match server.health {
        Health::Up => ("up", Color::Green),
        Health::Down => ("DOWN", Color::Red),
        Health::Unknown => ("-", Color::Gray),
    };
    let empty = if server.drained && server.active == 0 {
        " (empty)"
    } else {
        ""
    };
    let row = Row::new(vec![
        Cell::from(if selected { ">" } else { " " }),
        Cell::from(server.name.clone()),
        Cell::from(server.address.clone()),
        Cell::from(weight),
        Cell::from(format!("{}{empty}", server.active)),
        Cell::from(server.inactive.to_string()),
        Cell::from(format!("{:.1}", server.cps)),
        Cell::from(health).style(Style::default().fg(health_color)),
        Cell::from(server.last_check.clone().unwrap_or_else(|| "-".into())),
    ]);
    if selected {
        row.style(Style::default().add_modifier(Modifier::REVERSED))
    } else {
        row
    }
}

fn draw_events(frame: &mut Frame<'_>, area: Rect, snapshot: &Snapshot) {
    let visible = area.height.saturating_sub(2) as usize;
    let skip = snapshot.events.len().saturating_sub(visible);
    let lines: Vec<Line<'_>> = snapshot.events[skip..]
        .iter()
        .map(|e| {
            let color = match e.kind {
                EventKind::Vrrp => Color::Cyan,
                EventKind::Health => Color::Yellow,
                EventKind::Operator => Color::Magenta,
                EventKind::Engine => Color::Gray,
            };
            Line::from(vec![
                Span::raw(format!("{} ", clock(e.unix_ms))),
                Span::styled(
                    format!("{:<8} ", format!("{:?}", e.kind).to_lowercase()),
                    Style::default().fg(color),
                ),
                Span::raw(e.text.clone()),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" events ")),
        area,
    );
}

fn draw_status(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let text = match &app.mode {
        Mode::Weight { input } => {
            format!("new weight (0..=65535): {input}_   Enter applies, Esc cancels")
        }
        Mode::ConfirmFailover { instance } => {
            format!("hand {instance}'s addresses to the peer? y confirms, any other key cancels")
        }
        Mode::Normal => {
            let keys =
                "j/k select  d drain/undrain  w weight  f failover  t takeover  r release  q quit";
            match &app.status {
                Some(status) => format!("{status}  │  {keys}"),
                None => keys.to_string(),
            }
        }
    };
    frame.render_widget(
        Paragraph::new(text).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

/// `HH:MM:SS` (UTC) of a Unix time in milliseconds.
pub fn clock(unix_ms: u64) -> String {
    let secs = unix_ms / 1000 % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests;
