//! The add-real-server form: address, port, weight, forwarding and check,
//! validated before anything is sent.

use std::net::IpAddr;

use crossterm::event::{KeyCode, KeyEvent};

use crate::config::Forwarding;
use crate::engine::command::AddCheck;
use crate::engine::snapshot::ServiceView;
use crate::engine::Command;

/// The form's fields, in tab order.
pub const FIELDS: [&str; 6] = ["name", "address", "port", "weight", "forwarding", "check"];

/// Index of the forwarding field, which cycles instead of taking text.
const FORWARDING: usize = 4;

/// A real server being described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddForm {
    /// The virtual service it joins.
    pub service: String,
    /// Whether the service is IPv4 (the server must be of its family).
    pub ipv4: bool,
    /// The field with the cursor.
    pub field: usize,
    /// Text of name, address, port, weight and check (forwarding unused).
    pub values: [String; 6],
    /// The forwarding method.
    pub forwarding: Forwarding,
    /// Why the last submit was refused.
    pub error: Option<String>,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormStep {
    /// Still editing.
    Editing,
    /// The operator gave up.
    Cancel,
    /// Valid: this is the command, and how to say what it will do.
    Submit(Command, String),
}

fn forwarding_name(forwarding: Forwarding) -> &'static str {
    match forwarding {
        Forwarding::Nat => "nat",
        Forwarding::Dr => "dr",
        Forwarding::Tun => "tun",
    }
}

impl AddForm {
    /// An empty form for `service`: its port, weight 1, NAT, a TCP check.
    pub fn new(service: &ServiceView) -> AddForm {
        let port = service
            .address
            .rsplit_once(':')
            .map_or("80", |(_, port)| port)
            .to_string();
        AddForm {
            service: service.name.clone(),
            ipv4: !service.address.starts_with('['),
            field: 1,
            values: [
                String::new(),
                String::new(),
                port,
                "1".into(),
                String::new(),
                "tcp".into(),
            ],
            forwarding: Forwarding::Nat,
            error: None,
        }
    }

    /// What a field shows.
    pub fn shown(&self, field: usize) -> &str {
        if field == FORWARDING {
            forwarding_name(self.forwarding)
        } else {
            &self.values[field]
        }
    }

    /// Take one key.
    pub fn key(&mut self, key: KeyEvent) -> FormStep {
        match key.code {
            KeyCode::Esc => return FormStep::Cancel,
            KeyCode::Tab | KeyCode::Down => self.field = (self.field + 1) % FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => {
                self.field = (self.field + FIELDS.len() - 1) % FIELDS.len()
            }
            KeyCode::Enter => match self.validate() {
                Ok((command, what)) => return FormStep::Submit(command, what),
                Err(why) => self.error = Some(why),
            },
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if self.field == FORWARDING => {
                let order = [Forwarding::Nat, Forwarding::Dr, Forwarding::Tun];
                let at = order
                    .iter()
                    .position(|f| *f == self.forwarding)
                    .unwrap_or(0);
                let step = if key.code == KeyCode::Left { 2 } else { 1 };
                self.forwarding = order[(at + step) % 3];
            }
            KeyCode::Backspace if self.field != FORWARDING => {
                self.values[self.field].pop();
            }
            KeyCode::Char(c)
                if self.field != FORWARDING
                    && !c.is_control()
                    && self.values[self.field].len() < 64 =>
            {
                self.values[self.field].push(c);
            }
            _ => {}
        }
        FormStep::Editing
    }

    /// The command the form describes, or the first thing wrong with it.
    pub fn validate(&self) -> Result<(Command, String), String> {
        let [name, address, port, weight, _, check] = &self.values;
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("address: {:?} is not an IP address", address.trim()))?;
        if address.is_ipv4() != self.ipv4 {
            let family = if self.ipv4 { "IPv4" } else { "IPv6" };
            return Err(format!("address: {} is an {family} service", self.service));
        }
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| format!("port: {:?} is not 0..=65535", port.trim()))?;
        let weight: u32 = weight
            .trim()
            .parse()
            .ok()
            .filter(|w| *w <= 65535)
            .ok_or_else(|| format!("weight: {:?} is not 0..=65535", weight.trim()))?;
        let check = match check.trim() {
            "" | "none" => None,
            text => Some(
                text.parse::<AddCheck>()
                    .map_err(|e| format!("check: {e}"))?,
            ),
        };
        let name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
        let target = if address.is_ipv4() {
            format!("{address}:{port}")
        } else {
            format!("[{address}]:{port}")
        };
        let checked = match &check {
            Some(check) => format!("checked by {check}, taking traffic once the check passes"),
            None => "unchecked, taking traffic at once".into(),
        };
        let what = format!(
            "add {}{target} to {} with weight {weight}, {} forwarding, {checked}",
            name.as_ref().map(|n| format!("{n} ")).unwrap_or_default(),
            self.service,
            forwarding_name(self.forwarding),
        );
        Ok((
            Command::AddServer {
                service: self.service.clone(),
                server: std::net::SocketAddr::new(address, port),
                weight,
                name,
                forwarding: self.forwarding,
                check,
            },
            what,
        ))
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;

    use super::*;
    use crate::tui::fixture::snapshot;

    fn type_text(form: &mut AddForm, text: &str) {
        for c in text.chars() {
            form.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    fn press(form: &mut AddForm, code: KeyCode) -> FormStep {
        form.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn a_filled_form_becomes_an_add_command_that_says_what_it_does() {
        let mut form = AddForm::new(&snapshot().services[0]);
        type_text(&mut form, "192.0.2.24");
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Backspace);
        type_text(&mut form, "3");
        press(&mut form, KeyCode::Tab);
        press(&mut form, KeyCode::Right);
        let FormStep::Submit(command, what) = press(&mut form, KeyCode::Enter) else {
            panic!("valid form refused: {:?}", form.error);
        };
        assert_eq!(
            command,
            Command::AddServer {
                service: "web".into(),
                server: "192.0.2.24:80".parse().unwrap(),
                weight: 3,
                name: None,
                forwarding: Forwarding::Dr,
                check: Some(AddCheck::Tcp),
            }
        );
        assert_eq!(
            what,
            "add 192.0.2.24:80 to web with weight 3, dr forwarding, checked by tcp, \
             taking traffic once the check passes"
        );
    }

    #[test]
    fn mistakes_are_named_and_keep_the_form_open() {
        let mut form = AddForm::new(&snapshot().services[0]);
        type_text(&mut form, "2001:db8::1");
        assert_eq!(press(&mut form, KeyCode::Enter), FormStep::Editing);
        assert_eq!(
            form.error.as_deref(),
            Some("address: web is an IPv4 service")
        );
        form.values[1] = "192.0.2.9".into();
        form.values[3] = "70000".into();
        press(&mut form, KeyCode::Enter);
        assert_eq!(
            form.error.as_deref(),
            Some("weight: \"70000\" is not 0..=65535")
        );
        form.values[3] = "1".into();
        form.values[5] = "icmp".into();
        press(&mut form, KeyCode::Enter);
        assert!(form
            .error
            .as_deref()
            .unwrap()
            .starts_with("check: check must be tcp"));
        assert_eq!(press(&mut form, KeyCode::Esc), FormStep::Cancel);
    }
}
