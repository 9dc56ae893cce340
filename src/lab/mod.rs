//! `director lab`: a throwaway lab in network namespaces — two directors,
//! three real servers and a client on one bridge — torn down on every exit.

pub mod agents;
pub mod netns;
pub mod topology;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use topology::{
    director_config, nodes, Node, CLIENT, DIRECTORS, PORT, PREFIX_LEN, REAL_SERVERS, SPARE_SERVER,
    VIP,
};

/// How to build a lab.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Namespace name prefix; namespaces are `PREFIX-d1`, `PREFIX-hub`, …
    pub prefix: String,
    /// The director binary to run inside the namespaces.
    pub binary: PathBuf,
    /// VRRP advertisement interval, seconds.
    pub advert_int: f64,
    /// Seconds a closed connection stays in InActConn.
    pub tcp_fin_timeout: u64,
}

/// A running lab. Dropping it tears everything down.
#[derive(Debug)]
pub struct Lab {
    options: LabOptions,
    dir: PathBuf,
    children: Vec<(String, Child)>,
}

/// The directory holding a lab's configs, sockets and logs.
pub fn lab_dir(prefix: &str) -> PathBuf {
    Path::new("/run/director-lab").join(prefix)
}

/// Remove whatever a crashed lab with this prefix left behind.
pub fn cleanup_stale(prefix: &str) {
    for ns in netns::list(prefix) {
        netns::remove(&ns);
    }
    let _ = std::fs::remove_dir_all(lab_dir(prefix));
}

impl Lab {
    /// Build the lab and start the real servers and both directors.
    pub fn up(options: LabOptions) -> Result<Lab, String> {
        netns::check_privileges()?;
        cleanup_stale(&options.prefix);
        let dir = lab_dir(&options.prefix);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut lab = Lab {
            options,
            dir,
            children: Vec::new(),
        };
        lab.build_network()?;
        for rs in REAL_SERVERS.into_iter().chain([SPARE_SERVER]) {
            let listen = format!("{}:{PORT}", rs.address);
            lab.spawn(
                rs,
                &[
                    "agent",
                    "http-server",
                    "--name",
                    rs.name,
                    "--listen",
                    &listen,
                ],
            )?;
        }
        for (index, director) in DIRECTORS.iter().enumerate() {
            lab.start_director(index, *director)?;
        }
        lab.wait_for_sockets(Duration::from_secs(10))?;
        Ok(lab)
    }

    /// The namespace of `node`.
    pub fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.options.prefix)
    }

    /// The control socket of director `index` (0-based).
    pub fn socket(&self, index: usize) -> PathBuf {
        self.dir.join(format!("{}.sock", DIRECTORS[index].name))
    }

    /// The log file of a node's main process.
    pub fn log(&self, node: &str) -> PathBuf {
        self.dir.join(format!("{node}.log"))
    }

    /// Start a gentle client load against the VIP.
    pub fn start_load(&mut self, rate: u32) -> Result<(), String> {
        let target = format!("{VIP}:{PORT}");
        let rate = rate.to_string();
        self.spawn(
            CLIENT,
            &["agent", "load", "--target", &target, "--rate", &rate],
        )
    }

    /// Run the director binary with `args` in `node`'s namespace and wait for it.
    pub fn run_in(&self, node: &str, args: &[&str]) -> Result<String, String> {
        let output = Command::new("ip")
            .args(["netns", "exec", &self.ns(node)])
            .arg(&self.options.binary)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run in {node}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{node}: {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Whether `address` is configured in `node`'s namespace.
    pub fn has_address(&self, node: &str, address: std::net::Ipv4Addr) -> bool {
        netns::ip_in(&self.ns(node), &["-4", "-o", "addr", "show"])
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!(" {address}/")))
            .unwrap_or(false)
    }

    /// Simulate a director node failure: SIGKILL its engine and take its link down.
    pub fn fail_director(&mut self, index: usize) -> Result<(), String> {
        let name = DIRECTORS[index].name;
        if let Some((_, child)) = self.children.iter_mut().find(|(n, _)| n == name) {
            let _ = child.kill();
            let _ = child.wait();
        }
        netns::ip_in(&self.ns(name), &["link", "set", "eth0", "down"]).map(|_| ())
    }

    /// Stop every process and remove every namespace and file of the lab.
    pub fn teardown(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
        }
        for (_, child) in &mut self.children {
            let _ = child.wait();
        }
        self.children.clear();
        cleanup_stale(&self.options.prefix);
    }

    fn build_network(&self) -> Result<(), String> {
        let hub = self.ns("hub");
        netns::add_hub(&hub)?;
        for node in nodes() {
            let cidr = format!("{}/{PREFIX_LEN}", node.address);
            netns::add_node(&hub, &self.ns(node.name), node.name, &[&cidr])?;
        }
        Ok(())
    }

    fn start_director(&mut self, index: usize, director: Node) -> Result<(), String> {
        let config = self.dir.join(format!("{}.toml", director.name));
        std::fs::write(&config, director_config(index, self.options.advert_int))
            .map_err(|e| format!("{}: {e}", config.display()))?;
        let config = config.display().to_string();
        let socket = self.socket(index).display().to_string();
        let fin = self.options.tcp_fin_timeout.to_string();
        self.spawn(
            director,
            &[
                "run",
                "--config",
                &config,
                "--control",
                &socket,
                "--tcp-fin-timeout",
                &fin,
                // The lab's real servers do not route through the
                // directors, as kernel NAT would need: always the proxy.
                "--dataplane",
                "userspace",
            ],
        )
    }

    fn spawn(&mut self, node: Node, args: &[&str]) -> Result<(), String> {
        let log_path = self.log(node.name);
        let log =
            std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.ns(node.name)])
            .arg(&self.options.binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        // SAFETY: only prctl runs between fork and exec, and it is
        // async-signal-safe. `ip netns exec` execs in place, so the lab's
        // processes die with the lab even when it is killed outright.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| format!("start {} in {}: {e}", args[0], node.name))?;
        self.children.push((node.name.to_string(), child));
        Ok(())
    }

    fn wait_for_sockets(&mut self, limit: Duration) -> Result<(), String> {
        let started = Instant::now();
        for index in 0..DIRECTORS.len() {
            let socket = self.socket(index);
            while !socket.exists() {
                if let Some((name, status)) = self.exited() {
                    let log = std::fs::read_to_string(self.log(&name)).unwrap_or_default();
                    return Err(format!("{name} exited ({status}) during start-up:\n{log}"));
                }
                if started.elapsed() > limit {
                    return Err(format!(
                        "{} did not appear within {limit:?}",
                        socket.display()
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    fn exited(&mut self) -> Option<(String, std::process::ExitStatus)> {
        self.children
            .iter_mut()
            .find_map(|(name, child)| child.try_wait().ok().flatten().map(|s| (name.clone(), s)))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.teardown();
    }
}
