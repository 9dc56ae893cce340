//! Dialogs over the view: confirmation, the weight prompt and the
//! add-server form.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::app::form::{AddForm, FIELDS};
use crate::tui::app::{Pending, ServerKey};
use crate::tui::theme::{Role, Theme};

/// A `width` × `height` box in the middle of `area`, shrunk to fit.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn dialog(frame: &mut Frame<'_>, area: Rect, title: String, lines: Vec<Line<'_>>, theme: &Theme) {
    // Room for wrapped text: roughly one extra row per 60 characters.
    let text: usize = lines.iter().map(|l| l.width() / 60).sum();
    let popup = centered(area, 64, (lines.len() + text) as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .style(theme.style(Role::Dialog))
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .border_style(theme.style(Role::DialogBorder))
                    .title(Span::styled(title, theme.style(Role::DialogBorder))),
            ),
        popup,
    );
}

/// Ask for a yes before `pending` is sent.
pub fn confirm(frame: &mut Frame<'_>, area: Rect, pending: &Pending, theme: &Theme) {
    let lines = vec![
        Line::raw(pending.what.clone()),
        Line::raw(""),
        Line::from(vec![
            Span::styled("y", theme.style(Role::Title)),
            Span::raw(" does it · any other key cancels"),
        ]),
    ];
    dialog(frame, area, " confirm ".into(), lines, theme);
}

/// The weight prompt.
pub fn weight(
    frame: &mut Frame<'_>,
    area: Rect,
    (target, current): (&ServerKey, u32),
    input: &str,
    error: Option<&str>,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::from(vec![
            Span::raw("weight (0..=65535): "),
            Span::styled(format!("{input}_"), theme.style(Role::Title)),
        ]),
        Line::styled("Enter continues · Esc cancels", theme.style(Role::Dim)),
    ];
    if let Some(error) = error {
        lines.push(Line::styled(error.to_string(), theme.style(Role::Error)));
    }
    let title = format!(
        " {}/{}: weight now {current} ",
        target.service, target.server
    );
    dialog(frame, area, title, lines, theme);
}

/// The add-server form.
pub fn form(frame: &mut Frame<'_>, area: Rect, form: &AddForm, theme: &Theme) {
    let mut lines: Vec<Line<'_>> = FIELDS
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let here = index == form.field;
            let value = form.shown(index).to_string();
            let shown = if here { format!("{value}_") } else { value };
            Line::from(vec![
                Span::raw(if here { "▶ " } else { "  " }),
                Span::styled(format!("{label:<11}"), theme.style(Role::Dim)),
                Span::styled(
                    shown,
                    theme.style(if here { Role::Title } else { Role::Text }),
                ),
            ])
        })
        .collect();
    lines.push(Line::styled(
        "check: tcp, http, http:/path or none · forwarding: ←/→ · name optional",
        theme.style(Role::Dim),
    ));
    lines.push(Line::styled(
        "Tab/↓ next field · Enter continues · Esc cancels",
        theme.style(Role::Dim),
    ));
    if let Some(error) = &form.error {
        lines.push(Line::styled(error.clone(), theme.style(Role::Error)));
    }
    dialog(
        frame,
        area,
        format!(" add a real server to {} ", form.service),
        lines,
        theme,
    );
}
