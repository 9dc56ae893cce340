//! The help overlay, generated from the active keymap.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::dialog::centered;
use crate::tui::app::App;
use crate::tui::keymap::{Action, GROUPS};
use crate::tui::theme::{Role, Theme};

fn section_lines(
    app: &App,
    sections: &[(&'static str, &[Action])],
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (title, actions) in sections {
        lines.push(Line::styled(*title, theme.style(Role::Header)));
        for action in *actions {
            let keys = app.keymap.keys(*action);
            let keys = if keys.is_empty() {
                "(unbound)".into()
            } else {
                keys
            };
            let mut spans = vec![
                Span::styled(format!("  {keys:<16} "), theme.style(Role::Title)),
                Span::raw(action.describe()),
            ];
            if app.read_only && action.changes_engine() {
                spans.push(Span::styled(" (read-only)", theme.style(Role::Dim)));
            }
            lines.push(Line::from(spans));
        }
    }
    lines
}

/// Draw the help overlay over everything: movement on the left; actions,
/// notes and any start-up problems on the right.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let left = section_lines(app, &GROUPS[..1], theme);
    let mut right = section_lines(app, &GROUPS[1..], theme);
    right.push(Line::raw(""));
    right.push(Line::styled(
        "mouse: click selects, wheel scrolls. Filters match names, addresses, \"down\" and \"drained\".",
        theme.style(Role::Dim),
    ));
    if app.read_only {
        right.push(Line::styled(
            "read-only console (--read-only): actions are disabled",
            theme.style(Role::Alert),
        ));
    }
    for problem in &app.startup_problems {
        right.push(Line::styled(problem.clone(), theme.style(Role::Error)));
    }
    let height = left.len().max(right.len() + 2) as u16 + 2;
    let popup = centered(area, 100, height);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .style(theme.style(Role::Dialog))
        .border_style(theme.style(Role::DialogBorder))
        .title(Span::styled(
            format!(" help · keymap {} · any key closes ", app.keymap.name),
            theme.style(Role::DialogBorder),
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(inner);
    frame.render_widget(
        Paragraph::new(left).style(theme.style(Role::Dialog)),
        left_area,
    );
    frame.render_widget(
        Paragraph::new(right)
            .style(theme.style(Role::Dialog))
            .wrap(Wrap { trim: false }),
        right_area,
    );
}
