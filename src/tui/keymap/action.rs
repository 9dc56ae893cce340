//! What a key can ask the console to do.

/// One console action; keymaps bind keys to these by `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Show or hide the help overlay.
    Help,
    /// Select the previous row.
    Up,
    /// Select the next row.
    Down,
    /// One screen up.
    PageUp,
    /// One screen down.
    PageDown,
    /// The first row.
    Top,
    /// The last row.
    Bottom,
    /// The next view (overview → services → events).
    NextView,
    /// The previous view.
    PreviousView,
    /// The overview.
    Overview,
    /// The services tree.
    Services,
    /// The event timeline.
    Events,
    /// Open the selected real server's detail.
    Open,
    /// Leave a detail, a prompt or a filter.
    Back,
    /// Filter the current list.
    Filter,
    /// Sort the services tree by the next column.
    Sort,
    /// Focus the next attached director.
    NextNode,
    /// Drain the selected server, or undrain a drained one.
    Drain,
    /// Set the selected server's weight.
    Reweight,
    /// Add a real server to the selected service.
    AddServer,
    /// Remove the selected real server.
    RemoveServer,
    /// Disable or enable the selected service.
    ToggleService,
    /// Hand the VIP of the selected (or only master) instance to the peer.
    Failover,
    /// Take the VIP of a backup instance now.
    Takeover,
    /// Lift a failover's hold so the instance may preempt again.
    Release,
    /// Zero the counters of the selected service, or of all.
    Zero,
}

/// Every action, grouped and ordered as help lists them.
pub const GROUPS: [(&str, &[Action]); 3] = [
    (
        "move",
        &[
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::NextView,
            Action::PreviousView,
            Action::Overview,
            Action::Services,
            Action::Events,
            Action::Open,
            Action::Back,
            Action::Filter,
            Action::Sort,
            Action::NextNode,
        ],
    ),
    (
        "act (each asks first)",
        &[
            Action::Drain,
            Action::Reweight,
            Action::AddServer,
            Action::RemoveServer,
            Action::ToggleService,
            Action::Zero,
            Action::Failover,
            Action::Takeover,
            Action::Release,
        ],
    ),
    ("console", &[Action::Help, Action::Quit]),
];

/// Every action, in help's order.
pub fn all() -> impl Iterator<Item = Action> {
    GROUPS
        .iter()
        .flat_map(|(_, actions)| actions.iter().copied())
}

impl Action {
    /// Its name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::NextView => "next_view",
            Action::PreviousView => "previous_view",
            Action::Overview => "overview",
            Action::Services => "services",
            Action::Events => "events",
            Action::Open => "open",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Sort => "sort",
            Action::NextNode => "next_node",
            Action::Drain => "drain",
            Action::Reweight => "reweight",
            Action::AddServer => "add_server",
            Action::RemoveServer => "remove_server",
            Action::ToggleService => "toggle_service",
            Action::Failover => "failover",
            Action::Takeover => "takeover",
            Action::Release => "release",
            Action::Zero => "zero",
        }
    }

    /// The action a keymap file names, if any.
    pub fn from_name(name: &str) -> Option<Action> {
        all().find(|a| a.name() == name)
    }

    /// What it does, for the help overlay and the status line.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::NextView => "next view",
            Action::PreviousView => "previous view",
            Action::Overview => "overview",
            Action::Services => "services",
            Action::Events => "events",
            Action::Open => "server detail",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Sort => "sort",
            Action::NextNode => "next director",
            Action::Drain => "drain/undrain",
            Action::Reweight => "weight",
            Action::AddServer => "add server",
            Action::RemoveServer => "remove server",
            Action::ToggleService => "disable/enable service",
            Action::Failover => "failover",
            Action::Takeover => "takeover",
            Action::Release => "release hold",
            Action::Zero => "zero counters",
        }
    }

    /// Whether it changes the engine (refused by a read-only console).
    pub fn changes_engine(self) -> bool {
        matches!(
            self,
            Action::Drain
                | Action::Reweight
                | Action::AddServer
                | Action::RemoveServer
                | Action::ToggleService
                | Action::Failover
                | Action::Takeover
                | Action::Release
                | Action::Zero
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_and_named_uniquely() {
        for action in all() {
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert_eq!(all().filter(|a| *a == action).count(), 1);
        }
        assert_eq!(
            all().count(),
            Action::Zero as usize + 1,
            "an action is missing"
        );
    }
}
