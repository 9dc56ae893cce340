//! Drawing one frame from the snapshots, the console state and a theme.
//! Pure: the same inputs draw the same screen.
//!
//! Every screen is a tab bar (row 0), the view, and a status line (last
//! row). Lists build only the rows that are on screen.

mod columns;
mod detail;
mod dialog;
mod events;
pub mod format;
mod help;
mod overview;
mod services;
mod status;

use std::sync::Arc;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, Mode, View, VIEWS};
use super::theme::{Role, Theme};
use crate::engine::Snapshot;

/// Rows a view's list shows on a terminal `height` rows high: the frame
/// minus the tab bar, the status line, two borders and the header.
pub fn list_rows(view: View, height: u16) -> usize {
    match view {
        View::Overview => usize::from(height.saturating_sub(4)),
        View::Services | View::Events => usize::from(height.saturating_sub(5)),
    }
}

/// The screen row of a view's first list row, when it has a list.
pub fn first_list_row(view: View) -> Option<u16> {
    match view {
        View::Overview => None,
        View::Services | View::Events => Some(3),
    }
}

const BRAND: &str = " director ";

fn tab_label(index: usize, view: View) -> String {
    format!(" {} {} ", index + 1, view.label())
}

/// Which tab a click on the tab bar at `column` hits.
pub fn tab_at(column: u16) -> Option<usize> {
    let mut x = BRAND.chars().count();
    for (index, view) in VIEWS.into_iter().enumerate() {
        let width = tab_label(index, view).chars().count();
        if (x..x + width).contains(&usize::from(column)) {
            return Some(index);
        }
        x += width + 1;
    }
    None
}

/// Draw the whole console.
pub fn draw(frame: &mut Frame<'_>, app: &App, nodes: &[Option<Arc<Snapshot>>], theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.style(Role::Text)), area);
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(frame, tabs, app, nodes, theme);
    match app.focused(nodes) {
        _ if app.view == View::Overview => overview::draw(frame, body, app, nodes, theme),
        Some(snapshot) => match app.view {
            View::Services => match &app.detail {
                Some(key) => detail::draw(frame, body, app, snapshot, key, theme),
                None => services::draw(frame, body, app, snapshot, theme),
            },
            _ => events::draw(frame, body, app, snapshot, theme),
        },
        None => draw_waiting(frame, body, app, theme),
    }
    status::draw(frame, status, app, nodes, theme);
    match &app.mode {
        Mode::Help => help::draw(frame, area, app, theme),
        Mode::Confirm(pending) => dialog::confirm(frame, area, pending, theme),
        Mode::Weight {
            target,
            current,
            input,
            error,
        } => dialog::weight(
            frame,
            area,
            (target, *current),
            input,
            error.as_deref(),
            theme,
        ),
        Mode::Form(form) => dialog::form(frame, area, form, theme),
        Mode::Normal | Mode::Filter => {}
    }
}

fn draw_tabs(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    nodes: &[Option<Arc<Snapshot>>],
    theme: &Theme,
) {
    let mut spans = vec![Span::styled(BRAND, theme.style(Role::Title))];
    for (index, view) in VIEWS.into_iter().enumerate() {
        let role = if view == app.view {
            Role::TabActive
        } else {
            Role::Tab
        };
        spans.push(Span::styled(tab_label(index, view), theme.style(role)));
        spans.push(Span::raw(" "));
    }
    let focused = app.node_labels.get(app.node).cloned().unwrap_or_default();
    let plane = app
        .focused(nodes)
        .map(|s| format!(" · {}", s.dataplane))
        .unwrap_or_default();
    spans.push(Span::styled(
        format!(" {focused}{plane}"),
        theme.style(Role::Title),
    ));
    if app.node_labels.len() > 1 {
        let others: Vec<_> = app
            .node_labels
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != app.node)
            .map(|(_, l)| l.as_str())
            .collect();
        spans.push(Span::styled(
            format!(" + {}", others.join(", ")),
            theme.style(Role::Dim),
        ));
    }
    if app.read_only {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" READ-ONLY ", theme.style(Role::Alert)));
    }
    if let Some(snapshot) = app.focused(nodes) {
        spans.push(Span::styled(
            format!(" {} UTC", format::clock(snapshot.unix_ms)),
            theme.style(Role::Dim),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A bordered panel titled `title`, in the theme's colours.
fn panel<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)))
}

/// The focused director has sent nothing yet, or its connection is gone.
fn draw_waiting(frame: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let label = app.node_labels.get(app.node).cloned().unwrap_or_default();
    let (text, role) = match app.node_errors.get(app.node).cloned().flatten() {
        Some(why) => (
            format!("{label}: connection lost: {why}\nThe daemon may have stopped; restart it (systemctl start director) and start the console again."),
            Role::Error,
        ),
        None => (
            format!("waiting for {label}'s state… (the engine is starting, or the daemon does not answer)"),
            Role::Dim,
        ),
    };
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.style(role))
            .wrap(Wrap { trim: false })
            .block(panel(format!(" {label} "), theme)),
        area,
    );
}

#[cfg(test)]
mod tests;
