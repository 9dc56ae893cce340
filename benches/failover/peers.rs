//! The two routers of a trial — a director pair or a keepalived pair — in
//! namespaces `a` (priority 150) and `b` (priority 100).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Which implementation runs on both routers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// director.
    Director,
    /// keepalived 2.2.7.
    Keepalived,
}

/// Protocol settings of a trial.
#[derive(Debug, Clone, Copy)]
pub struct Vrrp {
    /// 2 or 3.
    pub version: u8,
    /// Advert interval in seconds.
    pub advert: f64,
}

/// One running router.
pub struct Router {
    pub child: Child,
    pub socket: Option<PathBuf>,
    pub vrrp_pid_file: Option<PathBuf>,
}

fn director_conf(name: &str, priority: u8, vrrp: Vrrp) -> String {
    let auth = if vrrp.version == 2 {
        "[vrrp_instance.authentication]\nauth_type = \"PASS\"\nauth_pass = \"s3cr3t\"\n"
    } else {
        ""
    };
    format!(
        "[global]\nrouter_id = \"{name}\"\n[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = {priority}\nadvert_int = {}\nversion = \"{}\"\nvirtual_ipaddress = [\"192.0.2.50\"]\n{auth}",
        vrrp.advert, vrrp.version
    )
}

fn keepalived_conf(name: &str, priority: u8, vrrp: Vrrp) -> String {
    let auth = if vrrp.version == 2 {
        "  authentication {\n    auth_type PASS\n    auth_pass s3cr3t\n  }\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n  router_id {name}\n  vrrp_version {}\n}}\nvrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority {priority}\n  advert_int {}\n{auth}  virtual_ipaddress {{\n    192.0.2.50\n  }}\n}}\n",
        vrrp.version, vrrp.advert
    )
}

/// Start `kind` as router `name` in namespace `ns`.
pub fn start(kind: Kind, dir: &Path, ns: &str, name: &str, priority: u8, vrrp: Vrrp) -> Router {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", ns])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    match kind {
        Kind::Director => {
            let conf = dir.join(format!("{name}.toml"));
            std::fs::write(&conf, director_conf(name, priority, vrrp)).unwrap();
            let socket = dir.join(format!("{name}.sock"));
            let _ = std::fs::remove_file(&socket);
            let child = command
                .arg(director_binary())
                .args(["run", "--dataplane", "userspace", "--config"])
                .arg(&conf)
                .arg("--control")
                .arg(&socket)
                .spawn()
                .unwrap();
            Router {
                child,
                socket: Some(socket),
                vrrp_pid_file: None,
            }
        }
        Kind::Keepalived => {
            let conf = dir.join(format!("{name}.conf"));
            std::fs::write(&conf, keepalived_conf(name, priority, vrrp)).unwrap();
            let pid = dir.join(format!("{name}.pid"));
            let vrrp_pid = dir.join(format!("{name}.vrrp.pid"));
            // A stale pid file naming a live process makes keepalived exit 0 at once.
            let _ = std::fs::remove_file(&pid);
            let _ = std::fs::remove_file(&vrrp_pid);
            let child = command
                .args(["keepalived", "-P", "-l", "-G", "-n", "-f"])
                .arg(&conf)
                .arg("-p")
                .arg(&pid)
                .arg("-r")
                .arg(&vrrp_pid)
                .spawn()
                .unwrap();
            Router {
                child,
                socket: None,
                vrrp_pid_file: Some(vrrp_pid),
            }
        }
    }
}

/// The director measured: this build, or `DIRECTOR=path` (an older build,
/// to compare in the same conditions).
fn director_binary() -> String {
    std::env::var("DIRECTOR").unwrap_or_else(|_| env!("CARGO_BIN_EXE_director").to_string())
}

impl Router {
    /// Send `signal` and wait (bounded) for the process to end.
    pub fn stop(mut self, signal: i32) {
        let vrrp_child = self.vrrp_pid_file.as_ref().and(self.vrrp_pid());
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // keepalived's VRRP child outlives its parent by about a second.
        if let Some(pid) = vrrp_child {
            while running(pid) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            // SAFETY: SIGKILL ends a straggler; a gone pid just fails.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }

    /// Die without a word: SIGKILL the VRRP process (keepalived's child would
    /// otherwise resign when its parent dies; its parent is frozen first so
    /// it cannot respawn the child). Returns at once; `stop` reaps later.
    pub fn crash(&self) {
        let parent = self.child.id() as i32;
        // SAFETY: signals to the router's own processes.
        unsafe {
            match self.vrrp_pid().filter(|pid| *pid != parent) {
                Some(vrrp) => {
                    libc::kill(parent, libc::SIGSTOP);
                    libc::kill(vrrp, libc::SIGKILL);
                }
                None => {
                    libc::kill(parent, libc::SIGKILL);
                }
            }
        }
    }

    /// The pid of the process started (keepalived's parent, or director).
    pub fn root_pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The pid of the process doing VRRP (keepalived's VRRP child, or director).
    pub fn vrrp_pid(&self) -> Option<i32> {
        match &self.vrrp_pid_file {
            None => Some(self.child.id() as i32),
            Some(file) => std::fs::read_to_string(file).ok()?.trim().parse().ok(),
        }
    }
}

/// Whether `pid` exists and is not a zombie.
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(") ")
            .next()
            .is_some_and(|rest| !rest.starts_with('Z'))
    })
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
