//! The runs whose code the layout tool records: what an idle master does
//! (the failover benchmark's idle figure), a pair handing three instances
//! back and forth, and the embedded lab's directors under load (checks, the
//! virtual-server table, the data plane).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use director::lab::{netns, Lab, LabOptions};

/// One director process of a scenario, named for the report and the list.
pub struct Daemon {
    /// Scenario and node, e.g. "pair b".
    pub label: String,
    /// Its pid, for `/proc`.
    pub pid: i32,
}

/// Namespaces `PREFIX-a` and `PREFIX-b` on one bridge, removed on drop.
pub struct Topology {
    prefix: String,
    dir: PathBuf,
    binary: PathBuf,
    preload: PathBuf,
    children: Vec<Child>,
}

const SETTLE: Duration = Duration::from_secs(4);

impl Topology {
    /// Build the namespaces; daemons started later run `binary` with `preload`.
    pub fn new(prefix: &str, binary: &Path, preload: &Path) -> Result<Topology, String> {
        director::lab::cleanup_stale(prefix);
        let dir = std::env::temp_dir().join(format!("director-layout-{prefix}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let topology = Topology {
            prefix: prefix.to_string(),
            dir,
            binary: binary.to_path_buf(),
            preload: preload.to_path_buf(),
            children: Vec::new(),
        };
        let hub = topology.ns("hub");
        netns::add_hub(&hub)?;
        netns::add_node(
            &hub,
            &topology.ns("a"),
            "a",
            &["192.0.2.11/24", "2001:db8::11/64"],
        )?;
        netns::add_node(
            &hub,
            &topology.ns("b"),
            "b",
            &["192.0.2.12/24", "2001:db8::12/64"],
        )?;
        Ok(topology)
    }

    fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.prefix)
    }

    fn socket(&self, node: &str) -> PathBuf {
        self.dir.join(format!("{node}.sock"))
    }

    /// Start a director on `node` with the given instances; wait for its socket.
    fn start(&mut self, node: &str, priority: u8, instances: &[Instance]) -> Result<i32, String> {
        let mut config = format!("[global]\nrouter_id = \"{node}\"\n");
        for i in instances {
            config += &i.toml(priority);
        }
        let path = self.dir.join(format!("{node}.toml"));
        std::fs::write(&path, config).map_err(|e| format!("{}: {e}", path.display()))?;
        let socket = self.socket(node);
        let _ = std::fs::remove_file(&socket);
        let log = std::fs::File::create(self.dir.join(format!("{node}.log")))
            .map_err(|e| format!("log of {node}: {e}"))?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(node)])
            .arg(&self.binary)
            .args(["run", "--config"])
            .arg(&path)
            .arg("--control")
            .arg(&socket)
            .env("LD_PRELOAD", &self.preload)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("start director on {node}: {e}"))?;
        let pid = child.id() as i32;
        self.children.push(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            if Instant::now() > deadline {
                return Err(format!("director on {node}: no control socket after 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(pid)
    }

    /// `director ctl` against `node`'s daemon (its code is not recorded).
    fn ctl(&self, node: &str, args: &[&str]) {
        let _ = Command::new(&self.binary)
            .arg("ctl")
            .arg("--socket")
            .arg(self.socket(node))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    fn stop_all(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.children.clear();
        for node in ["a", "b"] {
            for vip in ["192.0.2.50/32", "192.0.2.60/32", "2001:db8::60/128"] {
                let _ = netns::ip_in(&self.ns(node), &["addr", "del", vip, "dev", "eth0"]);
            }
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        self.stop_all();
        director::lab::cleanup_stale(&self.prefix);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A VRRP instance of the scenarios' configs.
struct Instance {
    name: &'static str,
    vrid: u8,
    version: u8,
    advert: f64,
    vip: &'static str,
}

impl Instance {
    fn toml(&self, priority: u8) -> String {
        let auth = if self.version == 2 {
            "[vrrp_instance.authentication]\nauth_type = \"PASS\"\nauth_pass = \"s3cr3t\"\n"
        } else {
            ""
        };
        format!(
            "[[vrrp_instance]]\nname = \"{}\"\ninterface = \"eth0\"\nvirtual_router_id = {}\npriority = {priority}\nadvert_int = {}\nversion = \"{}\"\nvirtual_ipaddress = [\"{}\"]\n{auth}",
            self.name, self.vrid, self.advert, self.version, self.vip
        )
    }
}

/// The failover benchmark's idle master: v2, 1 s adverts, no peer.
const IDLE: Instance = Instance {
    name: "VI_1",
    vrid: 51,
    version: 2,
    advert: 1.0,
    vip: "192.0.2.50",
};

const FAST_V4: Instance = Instance {
    name: "VI_2",
    vrid: 52,
    version: 3,
    advert: 0.01,
    vip: "192.0.2.60",
};

const FAST_V6: Instance = Instance {
    name: "VI_3",
    vrid: 53,
    version: 3,
    advert: 0.01,
    vip: "2001:db8::60",
};

/// Run `measure` on each daemon, then stop them all.
fn record<T>(
    topology: &mut Topology,
    daemons: Vec<Daemon>,
    measure: &mut impl FnMut(&Daemon) -> Result<T, String>,
) -> Result<Vec<(Daemon, T)>, String> {
    let result = daemons
        .into_iter()
        .map(|d| measure(&d).map(|m| (d, m)))
        .collect();
    topology.stop_all();
    result
}

/// An idle master for `seconds`: the start-up release, the claim, the
/// gratuitous ARPs and their repeat, then adverts.
pub fn idle_master<T>(
    topology: &mut Topology,
    seconds: u64,
    measure: &mut impl FnMut(&Daemon) -> Result<T, String>,
) -> Result<Vec<(Daemon, T)>, String> {
    let pid = topology.start("a", 150, &[IDLE])?;
    std::thread::sleep(Duration::from_secs(seconds));
    let daemons = vec![Daemon {
        label: "idle master".into(),
        pid,
    }];
    record(topology, daemons, measure)
}

/// A pair with v2 and fast v3 instances (IPv4 and IPv6) that hands them
/// over and takes them back `cycles` times through the control socket.
pub fn handovers<T>(
    topology: &mut Topology,
    cycles: u32,
    measure: &mut impl FnMut(&Daemon) -> Result<T, String>,
) -> Result<Vec<(Daemon, T)>, String> {
    let instances = [IDLE, FAST_V4, FAST_V6];
    let a = topology.start("a", 150, &instances)?;
    let b = topology.start("b", 100, &instances)?;
    std::thread::sleep(SETTLE);
    for _ in 0..cycles {
        for i in &instances {
            topology.ctl("a", &["failover", i.name]);
        }
        std::thread::sleep(SETTLE);
        for i in &instances {
            topology.ctl("a", &["takeover", i.name]);
            topology.ctl("a", &["release", i.name]);
        }
        std::thread::sleep(SETTLE);
    }
    let daemons = vec![
        Daemon {
            label: "pair backup".into(),
            pid: b,
        },
        Daemon {
            label: "pair master".into(),
            pid: a,
        },
    ];
    record(topology, daemons, measure)
}

/// The embedded lab (`director lab`) under a gentle load for `seconds`.
pub fn lab<T>(
    prefix: &str,
    binary: &Path,
    preload: &Path,
    seconds: u64,
    measure: &mut impl FnMut(&Daemon) -> Result<T, String>,
) -> Result<Vec<(Daemon, T)>, String> {
    // The lab spawns its processes with this process's environment. Nothing
    // else runs while it starts, and the variable goes as soon as it is up.
    std::env::set_var("LD_PRELOAD", preload);
    let lab = Lab::up(LabOptions {
        prefix: prefix.to_string(),
        binary: binary.to_path_buf(),
        advert_int: 1.0,
        tcp_fin_timeout: 2,
    });
    std::env::remove_var("LD_PRELOAD");
    let mut lab = lab?;
    lab.start_load(20)?;
    std::thread::sleep(Duration::from_secs(seconds));
    let mut measured = Vec::new();
    for node in ["d1", "d2"] {
        let Some(pid) = netns::pids(&lab.ns(node)).into_iter().find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).any(|arg| arg == b"run"))
        }) else {
            return Err(format!("lab: no director daemon in {node}"));
        };
        let daemon = Daemon {
            label: format!("lab {node}"),
            pid,
        };
        let m = measure(&daemon)?;
        measured.push((daemon, m));
    }
    lab.teardown();
    Ok(measured)
}
