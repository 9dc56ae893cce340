//! The mouse, which is optional: a click selects, the wheel scrolls.

use std::sync::Arc;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::{App, Mode, Outcome, View, VIEWS};
use crate::engine::Snapshot;
use crate::tui::view;

/// Rows the wheel moves per notch.
const WHEEL_ROWS: isize = 3;

impl App {
    /// Handle one mouse event.
    pub fn on_mouse(&mut self, event: MouseEvent, nodes: &[Option<Arc<Snapshot>>]) -> Outcome {
        if self.mode != Mode::Normal {
            return Outcome::Redraw;
        }
        match event.kind {
            MouseEventKind::ScrollDown => self.step(nodes, WHEEL_ROWS),
            MouseEventKind::ScrollUp => self.step(nodes, -WHEEL_ROWS),
            MouseEventKind::Down(MouseButton::Left) => self.click(event.column, event.row, nodes),
            _ => {}
        }
        Outcome::Redraw
    }

    fn click(&mut self, column: u16, row: u16, nodes: &[Option<Arc<Snapshot>>]) {
        if row == 0 {
            if let Some(tab) = view::tab_at(column) {
                self.show(VIEWS[tab]);
            }
            return;
        }
        let Some(first) = view::first_list_row(self.view) else {
            return;
        };
        if self.detail.is_some() || row < first {
            return;
        }
        let offset = usize::from(row - first);
        let list = match self.view {
            View::Services => &self.services,
            View::Events => &self.events,
            View::Overview => return,
        };
        let target = list.top + offset;
        let delta = target as isize - list.selected as isize;
        self.step(nodes, delta);
    }
}
