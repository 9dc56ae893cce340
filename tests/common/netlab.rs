//! A throwaway network of namespaces on one bridge for interop tests, and
//! guards that stop processes and remove namespaces on every exit path.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use director::lab::netns;

/// Namespaces on a bridge; removed (with their processes) on drop.
pub struct NetLab {
    /// Name prefix.
    pub prefix: String,
    /// Scratch directory for configs, logs and sockets.
    pub dir: PathBuf,
    processes: Vec<(String, Child)>,
}

impl NetLab {
    /// A hub with a bridge.
    pub fn new(prefix: &str) -> NetLab {
        director::lab::cleanup_stale(prefix);
        let dir = std::env::temp_dir().join(format!("director-{prefix}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = NetLab {
            prefix: prefix.to_string(),
            dir,
            processes: Vec::new(),
        };
        netns::add_hub(&lab.ns("hub")).unwrap();
        lab
    }

    /// The namespace name of `node`.
    pub fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.prefix)
    }

    /// Add a node with an `eth0` on the bridge and these addresses (CIDR).
    pub fn node(&self, node: &str, addresses: &[&str]) {
        netns::add_node(&self.ns("hub"), &self.ns(node), node, addresses)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Run a shell command in `node` and return its stdout.
    pub fn sh(&self, node: &str, command: &str) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns(node), "sh", "-c", command])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether `address` (no prefix) is configured in `node`.
    pub fn has_address(&self, node: &str, address: &str) -> bool {
        netns::ip_in(&self.ns(node), &["-o", "addr", "show"])
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!(" {address}/")))
            .unwrap_or(false)
    }

    /// Start `program args` in `node`, logging to `DIR/<name>.log`.
    pub fn spawn(&mut self, name: &str, node: &str, program: &str, args: &[&str]) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(node), program])
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.processes.push((name.to_string(), child));
    }

    /// A process's log so far.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Send `signal` to the process started as `name` and wait for it to exit.
    pub fn stop(&mut self, name: &str, signal: i32) {
        if let Some(at) = self.processes.iter().position(|(n, _)| n == name) {
            let (_, mut child) = self.processes.remove(at);
            // SAFETY: kill(2) on our own child.
            unsafe { libc::kill(child.id() as i32, signal) };
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start a keepalived (VRRP only, in the foreground) with `config` in `node`.
    pub fn keepalived(&mut self, name: &str, node: &str, config: &str) {
        let conf = self.dir.join(format!("{name}.conf"));
        std::fs::write(&conf, config).unwrap();
        let pid = self.dir.join(format!("{name}.pid"));
        let vrrp_pid = self.dir.join(format!("{name}.vrrp.pid"));
        let (conf, pid, vrrp_pid) = (
            conf.display().to_string(),
            pid.display().to_string(),
            vrrp_pid.display().to_string(),
        );
        self.spawn(
            name,
            node,
            "keepalived",
            &[
                "-P", "-l", "-D", "-G", "-n", "-f", &conf, "-p", &pid, "-r", &vrrp_pid,
            ],
        );
    }

    /// Start `director run` with `config` (native TOML) in `node`; returns its control socket.
    pub fn director(&mut self, name: &str, node: &str, config: &str) -> PathBuf {
        self.director_with(name, node, &format!("{name}.toml"), config)
    }

    /// Start `director run` with `config` written to `file` (its extension
    /// picks the syntax) in `node`; returns its control socket.
    pub fn director_with(&mut self, name: &str, node: &str, file: &str, config: &str) -> PathBuf {
        self.director_args(name, node, file, config, &[])
    }

    /// Start `director run` as `director_with` does, with `extra` arguments.
    pub fn director_args(
        &mut self,
        name: &str,
        node: &str,
        file: &str,
        config: &str,
        extra: &[&str],
    ) -> PathBuf {
        let conf = self.dir.join(file);
        std::fs::write(&conf, config).unwrap();
        let socket = self.dir.join(format!("{name}.sock"));
        let _ = std::fs::remove_file(&socket);
        let (conf_s, socket_s) = (conf.display().to_string(), socket.display().to_string());
        let args = [
            // Pinned: a test about VRRP or checks never chooses the plane
            // from the host (which may have IPVS loaded).
            &[
                "run",
                "--dataplane",
                "userspace",
                "--config",
                &conf_s,
                "--control",
                &socket_s,
            ][..],
            extra,
        ]
        .concat();
        self.spawn(name, node, env!("CARGO_BIN_EXE_director"), &args);
        socket
    }

    /// A file in the lab's own directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for NetLab {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for (name, _) in &self.processes {
                eprintln!("----- {name} log -----\n{}", self.log(name));
            }
        }
        for (_, child) in &mut self.processes {
            let _ = child.kill();
            let _ = child.wait();
        }
        director::lab::cleanup_stale(&self.prefix);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
