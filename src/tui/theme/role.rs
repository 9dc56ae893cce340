//! The roles a theme styles: each a kind of thing on screen.

/// One kind of thing on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Ordinary text.
    Text,
    /// Secondary text.
    Dim,
    /// Panel titles.
    Title,
    /// Panel borders.
    Border,
    /// The selected row.
    Selected,
    /// An inactive view tab.
    Tab,
    /// The active view tab.
    TabActive,
    /// Table headers.
    Header,
    /// A virtual-service row.
    Service,
    /// VRRP MASTER.
    Master,
    /// VRRP BACKUP.
    Backup,
    /// VRRP FAULT.
    Fault,
    /// VRRP INIT.
    Init,
    /// A healthy real server.
    Up,
    /// A failed real server.
    Down,
    /// A server not checked yet.
    Unknown,
    /// A drained server, or a disabled service.
    Drained,
    /// Alerts: a mismatched peer, split brain, a fault cause.
    Alert,
    /// VRRP events.
    VrrpEvent,
    /// Health events.
    HealthEvent,
    /// Operator events.
    OperatorEvent,
    /// Engine events.
    EngineEvent,
    /// Sparklines.
    Spark,
    /// The status line.
    Status,
    /// An accepted action's reply.
    Ok,
    /// A refused action or an error.
    Error,
    /// Dialog bodies.
    Dialog,
    /// Dialog borders.
    DialogBorder,
}

/// Every role, in declaration order (its index is `role as usize`).
pub const ROLES: [Role; 28] = [
    Role::Text,
    Role::Dim,
    Role::Title,
    Role::Border,
    Role::Selected,
    Role::Tab,
    Role::TabActive,
    Role::Header,
    Role::Service,
    Role::Master,
    Role::Backup,
    Role::Fault,
    Role::Init,
    Role::Up,
    Role::Down,
    Role::Unknown,
    Role::Drained,
    Role::Alert,
    Role::VrrpEvent,
    Role::HealthEvent,
    Role::OperatorEvent,
    Role::EngineEvent,
    Role::Spark,
    Role::Status,
    Role::Ok,
    Role::Error,
    Role::Dialog,
    Role::DialogBorder,
];

impl Role {
    /// Its name in theme files.
    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Dim => "dim",
            Role::Title => "title",
            Role::Border => "border",
            Role::Selected => "selected",
            Role::Tab => "tab",
            Role::TabActive => "tab_active",
            Role::Header => "header",
            Role::Service => "service",
            Role::Master => "master",
            Role::Backup => "backup",
            Role::Fault => "fault",
            Role::Init => "init",
            Role::Up => "up",
            Role::Down => "down",
            Role::Unknown => "unknown",
            Role::Drained => "drained",
            Role::Alert => "alert",
            Role::VrrpEvent => "vrrp_event",
            Role::HealthEvent => "health_event",
            Role::OperatorEvent => "operator_event",
            Role::EngineEvent => "engine_event",
            Role::Spark => "spark",
            Role::Status => "status",
            Role::Ok => "ok",
            Role::Error => "error",
            Role::Dialog => "dialog",
            Role::DialogBorder => "dialog_border",
        }
    }

    /// The role a theme file names, if any.
    pub fn from_name(name: &str) -> Option<Role> {
        ROLES.into_iter().find(|r| r.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_indexed_by_declaration_order() {
        for (index, role) in ROLES.into_iter().enumerate() {
            assert_eq!(role as usize, index);
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
    }
}
