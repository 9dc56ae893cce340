//! The guard that keeps tests off the host (src/host_guard.rs): with
//! DIRECTOR_HOST_GUARD set, as .cargo/config.toml sets it for every test,
//! director in the host's own network namespace refuses to program the
//! kernel's IPVS table; in a namespace of its own it goes ahead.

mod common;

use std::process::{Command, Output};

fn run_kernel_plane(prefix: &[&str], dir: &std::path::Path) -> Output {
    std::fs::write(dir.join("d.toml"), "[global]\nrouter_id = \"guard\"\n").unwrap();
    let director = env!("CARGO_BIN_EXE_director");
    let args = [
        "run",
        "--dataplane",
        "kernel",
        "--config",
        &dir.join("d.toml").display().to_string(),
        "--control",
        &dir.join("d.sock").display().to_string(),
    ];
    let mut command = match prefix {
        [] => Command::new(director),
        [program, rest @ ..] => {
            let mut c = Command::new(program);
            c.args(rest).arg(director);
            c
        }
    };
    // Bounded: the guard exits at once, and a kernel plane without IPVS
    // fails at once; a plane that started is stopped by the timeout.
    command
        .args(args)
        .env(director::host_guard::VARIABLE, "1")
        .output()
        .unwrap()
}

#[test]
fn the_guard_refuses_the_host_and_lets_a_namespace_of_its_own_go_ahead() {
    assert_eq!(
        std::env::var(director::host_guard::VARIABLE).as_deref(),
        Ok("1"),
        ".cargo/config.toml arms the guard for every test"
    );
    let dir = std::env::temp_dir().join(format!("director-guard-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let host = run_kernel_plane(&["timeout", "10"], &dir);
    let stderr = String::from_utf8_lossy(&host.stderr).to_string();
    assert_eq!(
        host.status.code(),
        Some(director::host_guard::EXIT_HOST_GUARD),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "refusing to program the kernel's IPVS table in the host's own network namespace"
        ),
        "{stderr}"
    );
    // Negative control: in a network namespace of its own the guard lets
    // director go on (to a kernel plane, or to its own error without IPVS).
    if common::namespaces_available("host guard in a namespace") {
        let own = run_kernel_plane(&["timeout", "3", "unshare", "--net", "--"], &dir);
        let stderr = String::from_utf8_lossy(&own.stderr);
        assert_ne!(
            own.status.code(),
            Some(director::host_guard::EXIT_HOST_GUARD),
            "{stderr}"
        );
        assert!(!stderr.contains("refusing to"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
