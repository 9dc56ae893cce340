//! The overview: per attached director (side by side) its VRRP instances
//! and sync groups, who owns each VIP, counters and alerts; the services
//! at a glance; and the host.

use std::sync::Arc;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::format::{ago, bytes, clock, rate};
use crate::engine::snapshot::{InstanceView, Owner};
use crate::engine::Snapshot;
use crate::ipvs::model::Health;
use crate::tui::app::App;
use crate::tui::theme::{Role, Theme};
use crate::vrrp::instance::State;

/// The narrowest column that shows a director side by side with another.
const SIDE_BY_SIDE_WIDTH: u32 = 72;

/// Alerts shown per instance; more are summarised.
const MAX_ALERTS: usize = 3;

/// Draw the overview.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    nodes: &[Option<Arc<Snapshot>>],
    theme: &Theme,
) {
    let host_height = if app.host.is_some() { 4 } else { 0 };
    let [directors, host] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(host_height)]).areas(area);
    // Side by side when each director gets a readable width; stacked otherwise.
    let count = nodes.len().max(1) as u32;
    let shares = (0..count).map(|_| Constraint::Ratio(1, count));
    let columns = if u32::from(directors.width) / count >= SIDE_BY_SIDE_WIDTH {
        Layout::horizontal(shares).split(directors)
    } else {
        Layout::vertical(shares).split(directors)
    };
    let split = split_brain(nodes);
    for (index, column) in columns.iter().enumerate() {
        draw_director(frame, *column, app, nodes, index, &split, theme);
    }
    if let Some(stats) = &app.host {
        let mut interfaces: Vec<String> = stats
            .interfaces
            .iter()
            .take(6)
            .map(|i| format!("{} ↓{}/s ↑{}/s", i.name, rate(i.rx_bps), rate(i.tx_bps)))
            .collect();
        if stats.interfaces.len() > 6 {
            interfaces.push(format!("+{} more", stats.interfaces.len() - 6));
        }
        let lines = vec![
            Line::from(format!(
                "cpu {:.0}% of {} cores · memory {} of {}",
                stats.cpu_percent,
                stats.cores,
                bytes(stats.memory_used),
                bytes(stats.memory_total)
            )),
            Line::from(interfaces.join("  ")),
        ];
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(super::panel(" host ".into(), theme)),
            host,
        );
    }
}

/// Instances that are MASTER on more than one attached director.
fn split_brain(nodes: &[Option<Arc<Snapshot>>]) -> Vec<String> {
    let masters: Vec<(&str, u8)> = nodes
        .iter()
        .flatten()
        .flat_map(|s| s.instances.iter())
        .filter(|i| i.state == State::Master)
        .map(|i| (i.name.as_str(), i.vrid))
        .collect();
    let mut split = Vec::new();
    for snapshot in nodes.iter().flatten() {
        for i in &snapshot.instances {
            let key = (i.name.as_str(), i.vrid);
            if masters.iter().filter(|m| **m == key).count() > 1 && !split.contains(&i.name) {
                split.push(i.name.clone());
            }
        }
    }
    split
}

fn draw_director(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    nodes: &[Option<Arc<Snapshot>>],
    index: usize,
    split: &[String],
    theme: &Theme,
) {
    let label = app.node_labels.get(index).cloned().unwrap_or_default();
    let focused = index == app.node && nodes.len() > 1;
    let mut lines = Vec::new();
    let title = match nodes.get(index).and_then(|n| n.as_deref()) {
        Some(snapshot) => {
            lines.extend(director_lines(app, snapshot, index, split, theme));
            format!(" {} · {} data plane ", snapshot.node, snapshot.dataplane)
        }
        None => {
            match app.node_errors.get(index).cloned().flatten() {
                Some(why) => lines.push(Line::styled(
                    format!("connection lost: {why}"),
                    theme.style(Role::Error),
                )),
                None => lines.push(Line::styled(
                    "waiting for the first state…",
                    theme.style(Role::Dim),
                )),
            }
            format!(" {label} ")
        }
    };
    let title = if focused {
        format!("{title}◀ ")
    } else {
        title
    };
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .border_style(theme.style(if focused { Role::Title } else { Role::Border }))
                .title(Span::styled(title, theme.style(Role::Title))),
        ),
        area,
    );
}

fn state_role(state: State) -> Role {
    match state {
        State::Master => Role::Master,
        State::Backup => Role::Backup,
        State::Fault => Role::Fault,
        State::Init => Role::Init,
    }
}

fn director_lines(
    app: &App,
    snapshot: &Snapshot,
    index: usize,
    split: &[String],
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if snapshot.instances.is_empty() {
        lines.push(Line::styled(
            "no VRRP instance configured",
            theme.style(Role::Dim),
        ));
    }
    for (n, instance) in snapshot.instances.iter().enumerate() {
        let selected = index == app.node && n == app.instance;
        lines.extend(instance_lines(instance, snapshot.unix_ms, selected, theme));
        if split.contains(&instance.name) {
            lines.push(Line::styled(
                format!(
                    "  ALERT split brain: {} is MASTER on more than one director",
                    instance.name
                ),
                theme.style(Role::Alert),
            ));
        }
    }
    lines.extend(sync_group_lines(snapshot, theme));
    lines.push(Line::raw(""));
    lines.push(services_line(snapshot));
    if !snapshot.unmanaged.is_empty() {
        lines.push(Line::styled(
            format!(
                "not managed by director, left alone in the kernel: {}",
                snapshot.unmanaged.join(", ")
            ),
            theme.style(Role::Dim),
        ));
    }
    lines
}

fn instance_lines(
    i: &InstanceView,
    now_ms: u64,
    selected: bool,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let name_style = if selected {
        theme.style(Role::Selected)
    } else {
        theme
            .style(Role::Text)
            .add_modifier(ratatui::style::Modifier::BOLD)
    };
    let priority = if i.priority == i.base_priority {
        format!("prio {}", i.priority)
    } else {
        format!("prio {} (base {})", i.priority, i.base_priority)
    };
    let mut head = vec![
        Span::styled(
            format!("{}{} ", if selected { "▶" } else { "" }, i.name),
            name_style,
        ),
        Span::styled(
            format!(" {} ", i.state.name()),
            theme.style(state_role(i.state)),
        ),
        Span::raw(format!(
            "  {priority}  v{} vrid {} on {}",
            i.version, i.vrid, i.interface
        )),
    ];
    if i.held {
        head.push(Span::styled("  HELD", theme.style(Role::Drained)));
    }
    if i.releasing {
        head.push(Span::styled("  releasing VIP", theme.style(Role::Drained)));
    }
    let owner = match i.owner {
        Owner::ThisNode => "this director".to_string(),
        Owner::Peer(peer) => format!("peer {peer}"),
        Owner::Unknown => "unknown".to_string(),
    };
    let since = i
        .owner_since_unix_ms
        .map(|ms| format!(" since {} ({} ago)", clock(ms), ago(now_ms, ms)))
        .unwrap_or_default();
    let drops: u64 = i.drops.values().sum();
    let drop_detail = if drops == 0 {
        "none".to_string()
    } else {
        i.drops
            .iter()
            .map(|(why, n)| format!("{why} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = vec![
        Line::from(head),
        Line::from(vec![
            Span::styled("  VIP ", theme.style(Role::Dim)),
            Span::raw(i.vips.join(", ")),
            Span::styled("  owner ", theme.style(Role::Dim)),
            Span::styled(owner, theme.style(Role::Title)),
            Span::raw(since),
        ]),
        Line::from(vec![
            Span::styled("  last ", theme.style(Role::Dim)),
            Span::raw(i.last_transition.clone().unwrap_or_else(|| "none".into())),
        ]),
        Line::from(vec![
            Span::styled("  adverts ", theme.style(Role::Dim)),
            Span::raw(format!(
                "sent {} received {} every {} ms · transitions {} · dropped: {drop_detail}",
                i.adverts_sent, i.adverts_received, i.advert_interval_ms, i.transitions
            )),
        ]),
    ];
    if !i.tracking.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("  tracking ", theme.style(Role::Dim)),
            Span::raw(i.tracking.join(", ")),
        ]));
    }
    if i.state == State::Fault {
        lines.push(Line::styled(
            format!(
                "  ALERT fault: {}",
                i.last_transition.as_deref().unwrap_or("cause unknown")
            ),
            theme.style(Role::Alert),
        ));
    }
    for (n, alert) in i.alerts.iter().enumerate().take(MAX_ALERTS) {
        let more = if n + 1 == MAX_ALERTS && i.alerts.len() > MAX_ALERTS {
            format!(" (+{} more)", i.alerts.len() - MAX_ALERTS)
        } else {
            String::new()
        };
        lines.push(Line::styled(
            format!(
                "  ALERT {} {}: {}{more}",
                alert.kind, alert.peer, alert.detail
            ),
            theme.style(Role::Alert),
        ));
    }
    lines
}

fn sync_group_lines(snapshot: &Snapshot, theme: &Theme) -> Vec<Line<'static>> {
    let mut groups: Vec<&str> = snapshot
        .instances
        .iter()
        .filter_map(|i| i.sync_group.as_deref())
        .collect();
    groups.dedup();
    groups
        .into_iter()
        .map(|group| {
            let members: Vec<&InstanceView> = snapshot
                .instances
                .iter()
                .filter(|i| i.sync_group.as_deref() == Some(group))
                .collect();
            let together = members.windows(2).all(|w| w[0].state == w[1].state);
            let list: Vec<String> = members
                .iter()
                .map(|i| format!("{} {}", i.name, i.state.name()))
                .collect();
            let (note, style) = if together {
                ("", Style::default())
            } else {
                ("  ALERT members disagree", theme.style(Role::Alert))
            };
            Line::from(vec![
                Span::styled(format!("sync group {group}: "), theme.style(Role::Dim)),
                Span::raw(list.join(", ")),
                Span::styled(note, style),
            ])
        })
        .collect()
}

fn services_line(snapshot: &Snapshot) -> Line<'static> {
    let servers = snapshot.services.iter().flat_map(|s| s.servers.iter());
    let (mut total, mut down, mut drained, mut active) = (0, 0, 0, 0);
    for server in servers {
        total += 1;
        down += usize::from(server.health == Health::Down);
        drained += usize::from(server.drained);
        active += server.active;
    }
    let cps: f64 = snapshot.services.iter().map(|s| s.traffic.cps).sum();
    Line::from(format!(
        "services {} · real servers {total} ({down} down, {drained} drained) · active {active} · {cps:.1} conn/s",
        snapshot.services.len()
    ))
}
