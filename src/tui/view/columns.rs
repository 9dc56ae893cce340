//! Which services-table columns fit: the most important first, the rest
//! as the terminal widens.

/// One column of the services table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Service or server name.
    Name,
    /// `address:port`.
    Address,
    /// Forwarding (Masq, Route, Tunnel) or the service's protocol.
    Forwarding,
    /// Weight (and configured weight when they differ), or the scheduler.
    Weight,
    /// ActiveConn.
    Active,
    /// InActConn.
    Inactive,
    /// PersistConn.
    Persist,
    /// Connections per second.
    Cps,
    /// Connections per second, recent history.
    CpsSpark,
    /// Bytes per second in.
    InRate,
    /// Bytes per second in, recent history.
    InSpark,
    /// Bytes per second out.
    OutRate,
    /// Bytes per second out, recent history.
    OutSpark,
    /// Health (or the service's quorum).
    Health,
    /// The last check result and its age.
    Check,
}

/// (column, title, width, priority: 0 always shown, higher dropped first).
const SPECS: [(Column, &str, u16, u8); 15] = [
    (Column::Name, "NAME", 10, 0),
    (Column::Address, "ADDRESS", 16, 0),
    (Column::Forwarding, "FWD", 6, 4),
    (Column::Weight, "WEIGHT", 9, 0),
    (Column::Active, "ACTIVE", 7, 0),
    (Column::Inactive, "INACT", 6, 1),
    (Column::Persist, "PERSIST", 7, 4),
    (Column::Cps, "CPS", 6, 1),
    (Column::CpsSpark, "CPS~", 8, 5),
    (Column::InRate, "IN/s", 7, 3),
    (Column::InSpark, "IN~", 8, 5),
    (Column::OutRate, "OUT/s", 7, 3),
    (Column::OutSpark, "OUT~", 8, 5),
    (Column::Health, "HEALTH", 6, 0),
    (Column::Check, "LAST CHECK", 8, 2),
];

/// Width of the selection marker before the first column.
pub const MARKER: u16 = 2;

/// The columns that fit in `width` (inside the borders), in display
/// order, with their widths. Space left over widens the last check, the
/// name and the address.
pub fn fit(width: u16) -> Vec<(Column, &'static str, u16)> {
    let mut used = MARKER;
    let mut chosen = [false; SPECS.len()];
    for priority in 0..=5 {
        for (index, (_, _, w, p)) in SPECS.iter().enumerate() {
            if *p == priority && used + w < width {
                chosen[index] = true;
                used += w + 1;
            }
        }
    }
    let mut columns: Vec<_> = SPECS
        .iter()
        .zip(chosen)
        .filter(|(_, keep)| *keep)
        .map(|((column, title, w, _), _)| (*column, *title, *w))
        .collect();
    let mut spare = width.saturating_sub(used);
    let shares = [
        (Column::Check, 22),
        (Column::Name, 10),
        (Column::Address, 8),
        (Column::Check, u16::MAX),
    ];
    for (wanted, most) in shares {
        if let Some(entry) = columns.iter_mut().find(|(c, _, _)| *c == wanted) {
            let extra = spare.min(most);
            entry.2 += extra;
            spare -= extra;
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(width: u16) -> Vec<Column> {
        fit(width).into_iter().map(|(c, _, _)| c).collect()
    }

    #[test]
    fn narrow_terminals_keep_the_essentials_and_wide_ones_get_everything() {
        let narrow = names(78);
        for essential in [
            Column::Name,
            Column::Address,
            Column::Weight,
            Column::Active,
            Column::Health,
        ] {
            assert!(
                narrow.contains(&essential),
                "{essential:?} missing at 80 columns"
            );
        }
        assert_eq!(names(158).len(), SPECS.len());
        for width in [40, 78, 100, 158, 300] {
            let total: u16 = fit(width).iter().map(|(_, _, w)| w + 1).sum::<u16>() + MARKER;
            assert!(total <= width.max(total.min(width)), "overflow at {width}");
        }
    }

    #[test]
    fn columns_keep_display_order() {
        let order: Vec<usize> = names(158)
            .iter()
            .map(|c| SPECS.iter().position(|(s, _, _, _)| s == c).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]));
    }
}
