//! A guard for test runs: with `DIRECTOR_HOST_GUARD` set (this repository's
//! `.cargo/config.toml` sets it for `cargo test`, `cargo bench` and
//! `cargo run`), director refuses to change the host it runs on. In the
//! host's own network namespace it exits, naming what it was about to do,
//! instead of programming the kernel's IPVS table, adding or removing an
//! address, or installing nftables rules. A test that starts director
//! without a namespace of its own, or without pinning `--dataplane`, then
//! fails loudly instead of touching the machine.

use std::os::unix::fs::MetadataExt;
use std::sync::OnceLock;

/// The environment variable that arms the guard.
pub const VARIABLE: &str = "DIRECTOR_HOST_GUARD";

/// The exit code of a refusal (EX_SOFTWARE: a test is wrong, not the host).
pub const EXIT_HOST_GUARD: i32 = 70;

/// Whether this process runs in the host's network namespace: the one
/// every ancestor it can see shares. A namespace of its own shows as an
/// ancestor (the test, `ip netns exec`'s caller, `unshare`'s) on another
/// side. PID 1's namespace cannot always be read (sandboxes forbid it),
/// so the ancestry is the witness; with no witness the guard refuses.
fn in_host_namespace() -> bool {
    let namespace = |pid: &str| {
        std::fs::metadata(format!("/proc/{pid}/ns/net"))
            .map(|m| (m.dev(), m.ino()))
            .ok()
    };
    let parent = |pid: &str| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
        (ppid != "0").then(|| ppid.to_string())
    };
    let Some(own) = namespace("self") else {
        return true;
    };
    let mut pid = "self".to_string();
    // Bounded: an ancestry is short, and PID 1 ends it.
    for _ in 0..64 {
        let Some(up) = parent(&pid) else {
            break;
        };
        if namespace(&up).is_some_and(|theirs| theirs != own) {
            return false;
        }
        pid = up;
    }
    true
}

/// Whether the guard forbids changing this host.
fn armed() -> bool {
    static ARMED: OnceLock<bool> = OnceLock::new();
    *ARMED.get_or_init(|| {
        std::env::var_os(VARIABLE).is_some_and(|v| !v.is_empty() && v != "0") && in_host_namespace()
    })
}

/// Exit before doing `what` to the host when the guard is armed (`what`
/// is only formatted then).
pub fn check(what: std::fmt::Arguments<'_>) {
    if armed() {
        eprintln!(
            "director: refusing to {what} in the host's own network namespace: {VARIABLE} is set \
             (by .cargo/config.toml for cargo test, bench and run). Start director in a network \
             namespace of its own, and pin --dataplane userspace unless the kernel plane is the \
             point; unset {VARIABLE} to run on this host for real"
        );
        std::process::exit(EXIT_HOST_GUARD);
    }
}
