//! The services view: a tree of virtual service → real servers, built
//! only for the rows on screen.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::columns::{fit, Column, MARKER};
use super::format::{ago, fit as cut, rate, spark};
use crate::engine::snapshot::{ServerView, ServiceView};
use crate::engine::Snapshot;
use crate::ipvs::model::Health;
use crate::tui::app::history::ServerHistory;
use crate::tui::app::tree::TreeRow;
use crate::tui::app::{App, Mode};
use crate::tui::theme::{Role, Theme};

/// Draw the services tree.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, snapshot: &Snapshot, theme: &Theme) {
    let rows = app.tree(snapshot);
    let servers: usize = snapshot.services.iter().map(|s| s.servers.len()).sum();
    let mut title = format!(
        " services {} · real servers {} · sorted by {} ",
        snapshot.services.len(),
        servers,
        app.sort.label()
    );
    if !snapshot.unmanaged.is_empty() {
        title.push_str(&format!(
            "· {} unmanaged in the kernel (see overview) ",
            snapshot.unmanaged.len()
        ));
    }
    if !app.service_filter.is_empty() || app.mode == Mode::Filter {
        title.push_str(&format!(
            "· filter \"{}\" ({} rows) ",
            app.service_filter,
            rows.len()
        ));
    }
    let block = super::panel(title, theme);
    if rows.is_empty() {
        let text = if snapshot.services.is_empty() {
            "no virtual services configured on this director".to_string()
        } else {
            format!(
                "nothing matches \"{}\" (Esc clears the filter)",
                app.service_filter
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
    let columns = fit(area.width.saturating_sub(2));
    let header = Row::new(
        std::iter::once(Cell::from(""))
            .chain(columns.iter().map(|(_, title, _)| Cell::from(*title))),
    )
    .style(theme.style(Role::Header));
    let visible = area.height.saturating_sub(3) as usize;
    let top = app.services.top.min(rows.len().saturating_sub(1));
    let body: Vec<Row<'_>> = rows
        .iter()
        .enumerate()
        .skip(top)
        .take(visible)
        .map(|(index, row)| {
            let selected = index == app.services.selected;
            let marker = if selected { "▶" } else { " " };
            let (cells, style) = match *row {
                TreeRow::Service(s) => (
                    service_cells(&snapshot.services[s], &columns, theme),
                    theme.style(Role::Service),
                ),
                TreeRow::Server(s, j) => {
                    let service = &snapshot.services[s];
                    let server = &service.servers[j];
                    let last = j + 1 == service.servers.len();
                    let history = app.history.server(app.node, &service.name, &server.name);
                    let context = ServerContext {
                        now_ms: snapshot.unix_ms,
                        last,
                        history,
                        service_enabled: service.enabled,
                    };
                    (
                        server_cells(server, &context, &columns, theme),
                        Style::default(),
                    )
                }
            };
            let row = Row::new(std::iter::once(Cell::from(marker)).chain(cells));
            if selected {
                row.style(theme.style(Role::Selected))
            } else {
                row.style(style)
            }
        })
        .collect();
    let widths: Vec<Constraint> = std::iter::once(Constraint::Length(MARKER - 1))
        .chain(columns.iter().map(|(_, _, w)| Constraint::Length(*w)))
        .collect();
    frame.render_widget(Table::new(body, widths).header(header).block(block), area);
}

fn service_cells<'a>(
    service: &ServiceView,
    columns: &[(Column, &str, u16)],
    theme: &Theme,
) -> Vec<Cell<'a>> {
    let sum = |f: fn(&ServerView) -> u64| service.servers.iter().map(f).sum::<u64>();
    let up = service
        .servers
        .iter()
        .filter(|r| r.health != Health::Down)
        .count();
    columns
        .iter()
        .map(|(column, _, width)| {
            let width = usize::from(*width);
            match column {
                Column::Name => Cell::from(cut(&format!("▾ {}", service.name), width)),
                Column::Address => Cell::from(cut(&service.address, width)),
                Column::Forwarding => Cell::from(service.protocol.to_uppercase()),
                Column::Weight => {
                    let persistence = service
                        .persistence_secs
                        .map(|p| format!(" p{p}"))
                        .unwrap_or_default();
                    Cell::from(cut(&format!("{}{persistence}", service.scheduler), width))
                }
                Column::Active => Cell::from(sum(|r| r.active).to_string()),
                Column::Inactive => Cell::from(sum(|r| r.inactive).to_string()),
                Column::Persist => Cell::from(sum(|r| r.persistent).to_string()),
                Column::Cps => Cell::from(format!("{:.1}", service.traffic.cps)),
                Column::InRate => Cell::from(rate(service.traffic.in_bps)),
                Column::OutRate => Cell::from(rate(service.traffic.out_bps)),
                Column::CpsSpark | Column::InSpark | Column::OutSpark => Cell::from(""),
                Column::Health => {
                    let (text, role) = if !service.enabled {
                        ("OFF", Role::Drained)
                    } else if service.sorry_active {
                        ("SORRY", Role::Alert)
                    } else if !service.quorum_up {
                        ("NO QRM", Role::Down)
                    } else {
                        ("ok", Role::Up)
                    };
                    Cell::from(Span::styled(text, theme.style(role)))
                }
                Column::Check => {
                    let mut text = format!("{up}/{} up", service.servers.len());
                    if !service.enabled {
                        text.push_str(" · disabled: no new connections");
                    } else if service.sorry_active {
                        let sorry = service.sorry_server.as_deref().unwrap_or("?");
                        text.push_str(&format!(" · sorry server {sorry} serves"));
                    }
                    if service.checks_suspended {
                        text.push_str(" · checks off: no VIP (ha_suspend)");
                    }
                    Cell::from(cut(&text, width))
                }
            }
        })
        .collect()
}

/// What a server row needs beyond the server.
struct ServerContext<'a> {
    now_ms: u64,
    last: bool,
    history: Option<&'a ServerHistory>,
    service_enabled: bool,
}

fn weight_text(server: &ServerView) -> String {
    let mut text = if server.weight == server.configured_weight {
        server.weight.to_string()
    } else {
        format!("{}/{}", server.weight, server.configured_weight)
    };
    if server.drained {
        text.push_str(" drain");
    } else if server.overloaded {
        text.push_str(" over");
    }
    text
}

fn server_cells<'a>(
    server: &ServerView,
    context: &ServerContext<'_>,
    columns: &[(Column, &str, u16)],
    theme: &Theme,
) -> Vec<Cell<'a>> {
    let samples = |pick: fn(&crate::tui::app::history::Sample) -> f32, width: usize| {
        context
            .history
            .map(|h| spark(h.samples.iter().map(pick), width))
            .unwrap_or_default()
    };
    columns
        .iter()
        .map(|(column, _, width)| {
            let width = usize::from(*width);
            match column {
                Column::Name => {
                    let branch = if context.last { "└" } else { "├" };
                    Cell::from(cut(&format!("{branch} {}", server.name), width))
                }
                Column::Address => Cell::from(cut(&server.address, width)),
                Column::Forwarding => Cell::from(server.forwarding.clone()),
                Column::Weight => {
                    let role = if server.drained || !context.service_enabled {
                        Role::Drained
                    } else {
                        Role::Text
                    };
                    Cell::from(Span::styled(weight_text(server), theme.style(role)))
                }
                Column::Active => {
                    if server.drained && server.active == 0 {
                        Cell::from(Span::styled("0 empty", theme.style(Role::Drained)))
                    } else {
                        Cell::from(server.active.to_string())
                    }
                }
                Column::Inactive => Cell::from(server.inactive.to_string()),
                Column::Persist => Cell::from(server.persistent.to_string()),
                Column::Cps => Cell::from(format!("{:.1}", server.cps)),
                Column::CpsSpark => Cell::from(Span::styled(
                    samples(|s| s.cps, width),
                    theme.style(Role::Spark),
                )),
                Column::InRate => Cell::from(rate(server.in_bps)),
                Column::InSpark => Cell::from(Span::styled(
                    samples(|s| s.in_bps, width),
                    theme.style(Role::Spark),
                )),
                Column::OutRate => Cell::from(rate(server.out_bps)),
                Column::OutSpark => Cell::from(Span::styled(
                    samples(|s| s.out_bps, width),
                    theme.style(Role::Spark),
                )),
                Column::Health => {
                    let (text, role) = match server.health {
                        Health::Up => ("up", Role::Up),
                        Health::Down => ("DOWN", Role::Down),
                        Health::Unknown => ("-", Role::Unknown),
                    };
                    Cell::from(Span::styled(text, theme.style(role)))
                }
                Column::Check => {
                    let text = match (&server.last_check, server.last_check_unix_ms) {
                        (Some(text), Some(at)) => {
                            format!("{} ago: {text}", ago(context.now_ms, at))
                        }
                        _ => "-".to_string(),
                    };
                    Cell::from(cut(&text, width))
                }
            }
        })
        .collect()
}
