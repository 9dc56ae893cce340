//! Network namespaces through iproute2: create, run in, list, remove.

use std::process::{Command, Output, Stdio};

/// Run `ip` with `args`; an error carries the command and its stderr.
pub fn ip(args: &[&str]) -> Result<Output, String> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip {}: {e} (is iproute2 installed?)", args.join(" ")))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Run `ip` inside namespace `ns`.
pub fn ip_in(ns: &str, args: &[&str]) -> Result<Output, String> {
    let mut full = vec!["-n", ns];
    full.extend_from_slice(args);
    ip(&full)
}

/// Every namespace whose name starts with `prefix-`.
pub fn list(prefix: &str) -> Vec<String> {
    let Ok(output) = ip(&["netns", "list"]) else {
        return Vec::new();
    };
    let wanted = format!("{prefix}-");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with(&wanted))
        .map(str::to_string)
        .collect()
}

/// The pids of processes living in namespace `ns`.
pub fn pids(ns: &str) -> Vec<i32> {
    ip(&["netns", "pids", ns])
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Kill every process in `ns`, then delete it.
pub fn remove(ns: &str) {
    for pid in pids(ns) {
        // SAFETY: kill(2) with a pid read from the namespace; no memory involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let _ = ip(&["netns", "delete", ns]);
}

/// Whether this process can create namespaces: root, and `ip netns` works.
pub fn check_privileges() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("needs root: it creates network namespaces, veth pairs and a bridge".into());
    }
    ip(&["netns", "list"])
        .map(|_| ())
        .map_err(|e| format!("network namespaces are not available: {e}"))
}

/// Run `f` on a fresh thread that has entered namespace `ns`, and return its
/// result. Sockets `f` opens stay in that namespace after the thread ends.
pub fn in_namespace<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let path = format!("/run/netns/{ns}");
    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    std::thread::spawn(move || {
        use std::os::fd::AsRawFd;
        // SAFETY: setns on a namespace file we hold open; it only affects this thread.
        if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns {path}: {}", std::io::Error::last_os_error()));
        }
        Ok(f())
    })
    .join()
    .map_err(|_| "the namespace thread panicked".to_string())?
}

/// Create namespace `hub` holding a bridge `br0` (no STP, no forwarding delay).
pub fn add_hub(hub: &str) -> Result<(), String> {
    ip(&["netns", "add", hub])?;
    ip_in(
        hub,
        &[
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
        ],
    )?;
    ip_in(hub, &["link", "set", "br0", "up"])?;
    ip_in(hub, &["link", "set", "lo", "up"])?;
    Ok(())
}

/// Create namespace `ns` with an `eth0` whose peer, named `port`, is on
/// `hub`'s bridge; give `eth0` the `addresses` (CIDR) and bring it and `lo`
/// up. IPv6 duplicate address detection is off so addresses work at once.
pub fn add_node(hub: &str, ns: &str, port: &str, addresses: &[&str]) -> Result<(), String> {
    ip(&["netns", "add", ns])?;
    for key in ["all", "default"] {
        let path = format!("/proc/sys/net/ipv6/conf/{key}/accept_dad");
        // Best effort: a kernel without IPv6 has no such file.
        let _ = in_namespace(ns, move || std::fs::write(path, "0"));
    }
    ip(&[
        "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", hub,
    ])?;
    ip_in(hub, &["link", "set", "dev", port, "master", "br0", "up"])?;
    for address in addresses {
        ip_in(ns, &["addr", "add", address, "dev", "eth0"])?;
    }
    ip_in(ns, &["link", "set", "eth0", "up"])?;
    ip_in(ns, &["link", "set", "lo", "up"])?;
    Ok(())
}
