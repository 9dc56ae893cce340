//! Operator overrides that outlive a restart: drains, weights, servers
//! added or removed at run time, disabled services. They are kept as the
//! commands that recreate them, in a state file written atomically (write,
//! fsync, rename), and replayed when the engine starts. A file that cannot
//! be read is set aside and reported, never trusted.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::command::{AddCheck, Command};
use super::state::EngineState;
use crate::config::Forwarding;

/// The state file's format version. Version 1 named a service's disabling
/// `set_service_enabled` and an added server by `address` and `port`; it
/// is read and rewritten as version 2.
const VERSION: u32 = 2;

/// A version 1 override as version 2 writes it.
fn from_version_1(mut command: serde_json::Value) -> serde_json::Value {
    let Some(fields) = command.as_object_mut() else {
        return command;
    };
    match fields.get("action").and_then(|a| a.as_str()) {
        Some("set_service_enabled") => {
            let enabled = fields.remove("enabled").and_then(|e| e.as_bool());
            let action = if enabled == Some(true) {
                "enable"
            } else {
                "disable"
            };
            fields.insert("action".into(), action.into());
        }
        Some("add_server") => {
            let address = fields.remove("address");
            let port = fields.remove("port");
            let address = address.as_ref().and_then(|a| a.as_str());
            let port = port.as_ref().and_then(|p| p.as_u64());
            let server = address
                .and_then(|a| a.parse::<std::net::IpAddr>().ok())
                .zip(port.and_then(|p| u16::try_from(p).ok()))
                .map(|(ip, port)| std::net::SocketAddr::new(ip, port).to_string());
            if let Some(server) = server {
                fields.insert("server".into(), server.into());
            }
        }
        _ => {}
    }
    command
}

/// The overrides of a state file's text, of either version.
fn parse(text: &str) -> Result<Vec<Command>, String> {
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
        overrides: Vec<serde_json::Value>,
    }
    let file: Versioned = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let migrate = match file.version {
        1 => from_version_1,
        VERSION => std::convert::identity,
        other => return Err(format!("unknown version {other}")),
    };
    file.overrides
        .into_iter()
        .map(|command| serde_json::from_value(migrate(command)).map_err(|e| e.to_string()))
        .collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    /// Commands that recreate the overrides, in order.
    overrides: Vec<Command>,
}

/// The command that adds `server` (not in the configuration) back.
fn added(service: &str, server: &crate::engine::state::ServerRuntime) -> Command {
    let check = if !server.config.tcp_check.is_empty() {
        Some(AddCheck::Tcp)
    } else {
        server.config.http_get.first().map(|h| AddCheck::Http {
            path: h.urls.first().map_or("/".into(), |u| u.path.clone()),
        })
    };
    Command::AddServer {
        service: service.to_string(),
        server: server.address(),
        weight: server.weight,
        name: server.config.name.clone(),
        forwarding: server.config.forwarding.unwrap_or(Forwarding::Nat),
        check,
    }
}

/// The commands that turn the configured state into `state`'s.
pub fn overrides(state: &EngineState) -> Vec<Command> {
    let mut commands: Vec<Command> = state
        .instances
        .iter()
        .filter(|i| i.fsm.held())
        .map(|i| Command::Hold {
            instance: i.config.name.clone(),
        })
        .collect();
    for service in &state.services {
        let name = service.config.display_name();
        let configured: std::collections::HashMap<_, _> = service
            .config
            .real_servers
            .iter()
            .map(|c| ((c.address, c.port.0), c))
            .collect();
        // A configured server that is not running: an operator removed it.
        for real in &service.config.real_servers {
            let at = std::net::SocketAddr::new(real.address, real.port.0);
            if !service.servers.iter().any(|r| r.address() == at) {
                commands.push(Command::RemoveServer {
                    service: name.clone(),
                    server: real.display_name(),
                    force: false,
                });
            }
        }
        for server in &service.servers {
            let server_name = server.config.display_name();
            match configured.get(&(server.config.address, server.config.port.0)) {
                None => commands.push(added(&name, server)),
                Some(configured) if server.weight != configured.weight.0 => {
                    commands.push(Command::SetWeight {
                        service: name.clone(),
                        server: server_name.clone(),
                        weight: server.weight,
                    })
                }
                Some(_) => {}
            }
            if server.drained {
                commands.push(Command::Drain {
                    service: name.clone(),
                    server: server_name,
                });
            }
        }
        if !service.enabled {
            commands.push(Command::Disable { service: name });
        }
    }
    commands
}

/// An override in words, for `ctl status` and the console.
pub fn describe(command: &Command) -> String {
    match command {
        Command::Drain { service, server } => format!("{service}/{server} drained"),
        Command::SetWeight {
            service,
            server,
            weight,
        } => format!("{service}/{server} weight {weight}"),
        Command::RemoveServer {
            service, server, ..
        } => format!("{service}/{server} removed"),
        Command::AddServer {
            service,
            server,
            weight,
            ..
        } => format!("{service}: {server} added (weight {weight})"),
        Command::Disable { service } => format!("{service} disabled"),
        Command::Hold { instance } => format!("{instance} held (no preemption until released)"),
        other => format!("{other:?}"),
    }
}

/// Where overrides are kept.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path`.
    pub fn new(path: &Path) -> StateFile {
        StateFile {
            path: path.to_path_buf(),
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write `overrides` atomically: a temporary file, fsync, rename, fsync
    /// of the directory.
    pub fn save(&self, overrides: &[Command]) -> std::io::Result<()> {
        let directory = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(directory)?;
        let file = File {
            version: VERSION,
            overrides: overrides.to_vec(),
        };
        let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        let temporary = self.path.with_extension("json.tmp");
        {
            let mut out = std::fs::File::create(&temporary)?;
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
            out.sync_all()?;
        }
        std::fs::rename(&temporary, &self.path)?;
        std::fs::File::open(directory)?.sync_all()
    }

    /// The overrides kept, none when there is no file. A file that does not
    /// parse is renamed aside (`.corrupt`) and reported as an error.
    pub fn load(&self) -> Result<Vec<Command>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        match parse(&text) {
            Ok(overrides) => Ok(overrides),
            Err(why) => {
                let aside = self.path.with_extension("json.corrupt");
                let moved = std::fs::rename(&self.path, &aside)
                    .map(|()| format!("moved to {}", aside.display()))
                    .unwrap_or_else(|e| format!("could not move it aside: {e}"));
                Err(format!(
                    "{}: not a director state file ({why}); ignored and {moved}",
                    self.path.display()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::engine::command::Request;

    const CONFIG: &str = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.50"
port = 80
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.21"
port = 80
[[virtual_server.real_server]]
name = "rs2"
address = "192.0.2.22"
port = 80
[[virtual_server.real_server]]
name = "rs3"
address = "192.0.2.23"
port = 80
"#;

    fn state() -> EngineState {
        let config = crate::config::parse_str("t.toml", CONFIG).unwrap();
        EngineState::new(&config, "d1".into(), &[], crate::engine::clock::Now::read())
    }

    fn apply(state: &mut EngineState, command: Command) {
        let request = Request {
            command,
            origin: "test".into(),
        };
        state.apply(&request, Instant::now()).0.unwrap();
    }

    #[test]
    fn replaying_the_overrides_on_a_fresh_state_recreates_them() {
        let mut changed = state();
        apply(
            &mut changed,
            Command::Drain {
                service: "web".into(),
                server: "rs1".into(),
            },
        );
        apply(
            &mut changed,
            Command::SetWeight {
                service: "web".into(),
                server: "rs2".into(),
                weight: 7,
            },
        );
        apply(
            &mut changed,
            Command::RemoveServer {
                service: "web".into(),
                server: "rs3".into(),
                force: false,
            },
        );
        apply(
            &mut changed,
            Command::AddServer {
                service: "web".into(),
                server: "192.0.2.24:80".parse().unwrap(),
                weight: 2,
                name: Some("rs4".into()),
                forwarding: Forwarding::Dr,
                check: Some(AddCheck::Tcp),
            },
        );
        apply(
            &mut changed,
            Command::Disable {
                service: "web".into(),
            },
        );
        let kept = overrides(&changed);
        assert_eq!(kept.len(), 5, "{kept:?}");
        let mut fresh = state();
        for command in kept.clone() {
            apply(&mut fresh, command);
        }
        assert_eq!(overrides(&fresh), kept);
        let table = |s: &EngineState| format!("{:?}", s.snapshot().services);
        let (a, b) = (table(&changed), table(&fresh));
        assert_eq!(a.len(), b.len());
        assert!(fresh.snapshot().server("web", "rs1").unwrap().drained);
        assert_eq!(fresh.snapshot().server("web", "rs2").unwrap().weight, 7);
        assert!(fresh.snapshot().server("web", "rs3").is_none());
        assert!(!fresh.snapshot().services[0].enabled);
    }

    #[test]
    fn a_held_instance_is_kept_and_held_again() {
        let text = format!(
            "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = 100\nvirtual_ipaddress = [\"192.0.2.50\"]\n{CONFIG}"
        );
        let config = crate::config::parse_str("t.toml", &text).unwrap();
        let own = ["192.0.2.1".parse().unwrap()];
        let mut held = EngineState::new(
            &config,
            "d1".into(),
            &own,
            crate::engine::clock::Now::read(),
        );
        apply(
            &mut held,
            Command::Hold {
                instance: "VI_1".into(),
            },
        );
        let kept = overrides(&held);
        assert_eq!(
            kept,
            [Command::Hold {
                instance: "VI_1".into()
            }]
        );
        assert_eq!(
            describe(&kept[0]),
            "VI_1 held (no preemption until released)"
        );
        let mut fresh = EngineState::new(
            &config,
            "d1".into(),
            &own,
            crate::engine::clock::Now::read(),
        );
        apply(&mut fresh, kept[0].clone());
        assert!(fresh.instances[0].fsm.held());
    }

    #[test]
    fn the_file_round_trips_and_a_corrupt_one_is_set_aside() {
        let dir = std::env::temp_dir().join(format!("director-state-{}", std::process::id()));
        let file = StateFile::new(&dir.join("state.json"));
        assert_eq!(
            file.load().unwrap(),
            Vec::<Command>::new(),
            "no file, no overrides"
        );
        let kept = vec![Command::Drain {
            service: "web".into(),
            server: "rs1".into(),
        }];
        file.save(&kept).unwrap();
        assert_eq!(file.load().unwrap(), kept);
        std::fs::write(file.path(), "{ not json").unwrap();
        let error = file.load().unwrap_err();
        assert!(error.contains("not a director state file"), "{error}");
        assert!(dir.join("state.json.corrupt").exists());
        assert!(!file.path().exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_version_1_file_is_read_as_version_2() {
        let v1 = r#"{"version":1,"overrides":[
            {"action":"set_service_enabled","service":"web","enabled":false},
            {"action":"add_server","service":"web","address":"2001:db8::24","port":80,
             "weight":2,"name":"rs4","forwarding":"dr","check":{"kind":"tcp"}},
            {"action":"drain","service":"web","server":"rs1"}]}"#;
        assert_eq!(
            parse(v1).unwrap(),
            [
                Command::Disable {
                    service: "web".into()
                },
                Command::AddServer {
                    service: "web".into(),
                    server: "[2001:db8::24]:80".parse().unwrap(),
                    weight: 2,
                    name: Some("rs4".into()),
                    forwarding: Forwarding::Dr,
                    check: Some(AddCheck::Tcp),
                },
                Command::Drain {
                    service: "web".into(),
                    server: "rs1".into()
                },
            ]
        );
        let future = r#"{"version":3,"overrides":[]}"#;
        assert_eq!(parse(future).unwrap_err(), "unknown version 3");
    }
}
