//! The services tree as rows: each virtual service followed by its real
//! servers, filtered and sorted the way the operator asked.

use crate::engine::snapshot::{ServerView, ServiceView};
use crate::engine::Snapshot;
use crate::ipvs::model::Health;

/// One row of the tree, by index into the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeRow {
    /// `services[i]`.
    Service(usize),
    /// `services[i].servers[j]`.
    Server(usize, usize),
}

/// How real servers are ordered within their service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Configuration order.
    #[default]
    Config,
    /// Name (then address).
    Name,
    /// Most active connections first.
    Active,
    /// Most connections per second first.
    Cps,
    /// Highest weight first.
    Weight,
    /// Down first, then unknown, then up.
    Health,
}

impl SortKey {
    /// The next key in the cycle the sort action walks.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Config => SortKey::Name,
            SortKey::Name => SortKey::Active,
            SortKey::Active => SortKey::Cps,
            SortKey::Cps => SortKey::Weight,
            SortKey::Weight => SortKey::Health,
            SortKey::Health => SortKey::Config,
        }
    }

    /// How the header names it.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Config => "config order",
            SortKey::Name => "name",
            SortKey::Active => "active conns",
            SortKey::Cps => "conns/s",
            SortKey::Weight => "weight",
            SortKey::Health => "health (down first)",
        }
    }
}

fn matches(text: &str, needle: &str) -> bool {
    needle.is_empty() || text.to_lowercase().contains(needle)
}

fn server_matches(server: &ServerView, needle: &str) -> bool {
    matches(&server.name, needle)
        || matches(&server.address, needle)
        || (needle == "down" && server.health == Health::Down)
        || (needle == "drained" && server.drained)
}

fn service_matches(service: &ServiceView, needle: &str) -> bool {
    matches(&service.name, needle) || matches(&service.address, needle)
}

fn health_rank(health: Health) -> u8 {
    match health {
        Health::Down => 0,
        Health::Unknown => 1,
        Health::Up => 2,
    }
}

/// The rows to show. A service matching `filter` shows all its servers; a
/// service that does not shows only the servers that match (and is hidden
/// when none do). "down" and "drained" also match servers in that state.
pub fn rows(snapshot: &Snapshot, filter: &str, sort: SortKey) -> Vec<TreeRow> {
    let needle = filter.trim().to_lowercase();
    let mut rows = Vec::new();
    for (s, service) in snapshot.services.iter().enumerate() {
        let whole = service_matches(service, &needle);
        let mut servers: Vec<usize> = (0..service.servers.len())
            .filter(|&j| whole || server_matches(&service.servers[j], &needle))
            .collect();
        if !whole && servers.is_empty() {
            continue;
        }
        let of = |j: &usize| &service.servers[*j];
        match sort {
            SortKey::Config => {}
            SortKey::Name => servers
                .sort_by(|a, b| (&of(a).name, &of(a).address).cmp(&(&of(b).name, &of(b).address))),
            SortKey::Active => servers.sort_by_key(|j| std::cmp::Reverse(of(j).active)),
            SortKey::Cps => servers.sort_by(|a, b| of(b).cps.total_cmp(&of(a).cps)),
            SortKey::Weight => servers.sort_by_key(|j| std::cmp::Reverse(of(j).weight)),
            SortKey::Health => servers.sort_by_key(|j| health_rank(of(j).health)),
        }
        rows.push(TreeRow::Service(s));
        rows.extend(servers.into_iter().map(|j| TreeRow::Server(s, j)));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::snapshot;

    #[test]
    fn the_tree_lists_each_service_then_its_servers() {
        let rows = rows(&snapshot(), "", SortKey::Config);
        assert_eq!(rows[0], TreeRow::Service(0));
        assert_eq!(
            rows[1..4],
            [
                TreeRow::Server(0, 0),
                TreeRow::Server(0, 1),
                TreeRow::Server(0, 2)
            ]
        );
    }

    #[test]
    fn a_filter_keeps_matching_servers_under_their_service() {
        let snap = snapshot();
        assert_eq!(
            rows(&snap, "RS3", SortKey::Config),
            [TreeRow::Service(0), TreeRow::Server(0, 2)]
        );
        assert_eq!(
            rows(&snap, "drained", SortKey::Config)[1],
            TreeRow::Server(0, 1)
        );
        assert!(rows(&snap, "nothing-like-this", SortKey::Config).is_empty());
        // The service's own name shows all of it.
        assert_eq!(rows(&snap, "web", SortKey::Config).len(), 4);
    }

    #[test]
    fn sorting_orders_servers_within_their_service() {
        let snap = snapshot();
        let active = rows(&snap, "", SortKey::Active);
        assert_eq!(
            active[1..],
            [
                TreeRow::Server(0, 2),
                TreeRow::Server(0, 0),
                TreeRow::Server(0, 1)
            ]
        );
        let mut key = SortKey::Config;
        for _ in 0..6 {
            key = key.next();
        }
        assert_eq!(key, SortKey::Config, "the cycle comes back round");
    }
}
