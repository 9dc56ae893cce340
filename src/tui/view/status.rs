//! The status line: what the mode expects, or the last notice and the
//! keys that matter in the current view.

use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::engine::Snapshot;
use crate::tui::app::{App, Mode, Tone, View};
use crate::tui::keymap::Action;
use crate::tui::theme::{Role, Theme};

fn view_actions(app: &App) -> &'static [Action] {
    match (app.view, app.detail.is_some()) {
        (View::Overview, _) => &[
            Action::Failover,
            Action::Takeover,
            Action::Release,
            Action::NextNode,
            Action::Services,
            Action::Help,
            Action::Quit,
        ],
        (View::Services, false) => &[
            Action::Drain,
            Action::Reweight,
            Action::AddServer,
            Action::RemoveServer,
            Action::ToggleService,
            Action::Open,
            Action::Filter,
            Action::Sort,
            Action::Failover,
            Action::Help,
            Action::Quit,
        ],
        (View::Services, true) => &[
            Action::Back,
            Action::Drain,
            Action::Reweight,
            Action::RemoveServer,
            Action::Help,
        ],
        (View::Events, _) => &[
            Action::Filter,
            Action::Back,
            Action::Bottom,
            Action::Help,
            Action::Quit,
        ],
    }
}

fn hints(app: &App) -> String {
    let moves = match (app.keymap.key(Action::Up), app.keymap.key(Action::Down)) {
        (up, down) if !up.is_empty() && !down.is_empty() => vec![format!("{up}/{down} move")],
        _ => Vec::new(),
    };
    moves
        .into_iter()
        .chain(
            view_actions(app)
                .iter()
                .filter(|a| !(app.read_only && a.changes_engine()))
                .filter_map(|a| {
                    let key = app.keymap.key(*a);
                    (!key.is_empty()).then(|| format!("{key} {}", a.describe()))
                }),
        )
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Draw the status line.
pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    _nodes: &[Option<Arc<Snapshot>>],
    theme: &Theme,
) {
    let bar = theme.style(Role::Status);
    let line = match &app.mode {
        Mode::Filter => {
            let filter = if app.view == View::Events {
                &app.event_filter
            } else {
                &app.service_filter
            };
            Line::styled(
                format!("filter: {filter}_   Enter keeps it · Esc clears it"),
                bar,
            )
        }
        Mode::Help => Line::styled("help: any key closes", bar),
        Mode::Confirm(_) => Line::styled("confirm: y does it, any other key cancels", bar),
        Mode::Weight { .. } | Mode::Form(_) => Line::styled("Enter continues · Esc cancels", bar),
        Mode::Normal => {
            let mut spans = Vec::new();
            if let Some(notice) = &app.notice {
                let role = match notice.tone {
                    Tone::Info => Role::Status,
                    Tone::Ok => Role::Ok,
                    Tone::Error => Role::Error,
                };
                spans.push(Span::styled(
                    format!(" {} ", notice.text),
                    theme.style(role),
                ));
                spans.push(Span::styled(" │ ", bar));
            }
            spans.push(Span::styled(hints(app), bar));
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line).style(bar), area);
}
