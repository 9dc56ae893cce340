//! The event timeline: state changes, health flips and operator actions
//! (who, what, when), filterable, built only for the rows on screen.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::format::clock;
use crate::engine::journal::{Event, EventKind};
use crate::engine::Snapshot;
use crate::tui::app::{App, Mode};
use crate::tui::theme::{Role, Theme};

/// The role an event kind is drawn in.
pub fn kind_role(kind: EventKind) -> Role {
    match kind {
        EventKind::Vrrp => Role::VrrpEvent,
        EventKind::Health => Role::HealthEvent,
        EventKind::Operator => Role::OperatorEvent,
        EventKind::Engine => Role::EngineEvent,
    }
}

/// One event as a table row.
pub fn event_row(event: &Event, theme: &Theme) -> Row<'static> {
    let kind = format!("{:?}", event.kind).to_lowercase();
    Row::new([
        Cell::from(clock(event.unix_ms)),
        Cell::from(Span::styled(kind, theme.style(kind_role(event.kind)))),
        Cell::from(event.text.clone()),
    ])
}

/// The widths of an event table's columns.
pub const WIDTHS: [Constraint; 3] = [
    Constraint::Length(8),
    Constraint::Length(8),
    Constraint::Min(10),
];

/// Draw the timeline.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, snapshot: &Snapshot, theme: &Theme) {
    let rows = app.event_rows(snapshot);
    let mut title = format!(" events {} ", rows.len());
    if !app.event_filter.is_empty() || app.mode == Mode::Filter {
        title.push_str(&format!(
            "· filter \"{}\" (text, or a kind: vrrp, health, operator, engine) ",
            app.event_filter
        ));
    }
    if app.follow_events {
        title.push_str("· following ");
    }
    let block = super::panel(title, theme);
    if rows.is_empty() {
        let text = if snapshot.events.is_empty() {
            "no events yet".to_string()
        } else {
            format!(
                "no event matches \"{}\" (Esc clears the filter)",
                app.event_filter
            )
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.style(Role::Dim))
                .block(block),
            area,
        );
        return;
    }
    let visible = area.height.saturating_sub(3) as usize;
    let top = app.events.top.min(rows.len().saturating_sub(1));
    let body: Vec<Row<'_>> = rows
        .iter()
        .enumerate()
        .skip(top)
        .take(visible)
        .map(|(index, &event)| {
            let row = event_row(&snapshot.events[event], theme);
            if index == app.events.selected && !app.follow_events {
                row.style(theme.style(Role::Selected))
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(["TIME", "KIND", "WHAT (who: what)"]).style(theme.style(Role::Header));
    frame.render_widget(Table::new(body, WIDTHS).header(header).block(block), area);
}
