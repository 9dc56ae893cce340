//! The command line as a user meets it.

use std::process::Command;

fn director(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_director"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn config_check_accepts_the_shipped_example() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/examples/director.toml");
    let out = director(&["config", "check", example]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_check_points_at_line_and_column() {
    let path = std::env::temp_dir().join(format!("director-cli-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = 0\nvirtual_ipaddress = [\"192.0.2.50\"]\n",
    )
    .unwrap();
    let out = director(&["config", "check", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}:5:12: error: priority must be 1..=255, not 0\n  |\n5 | priority = 0\n  |            ^\n",
        path.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
}

#[test]
fn config_check_takes_a_guide_keepalived_conf_with_warnings_only() {
    let guide = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keepalived/guide-000.conf"
    );
    let out = director(&["config", "check", guide]);
    assert_eq!(out.status.code(), Some(2), "warnings only");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("guide-000.conf:4:47: warning: `//` starts a comment"),
        "{stderr}"
    );
    let json = director(&["config", "check", "--json", guide]);
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON diagnostics");
    let first = &parsed[0];
    assert_eq!(first["severity"], "warning");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(4), Some(47))
    );
}

#[test]
fn config_check_and_import_take_the_guides_ldirectord_cf() {
    let guide = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ldirectord/guide-002.cf"
    );
    let out = director(&["config", "check", guide]);
    assert_eq!(out.status.code(), Some(2), "warnings only");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("guide-002.cf:4:7: warning: `autoreload` does not apply here")
            && stderr.contains("guide-002.cf:5:7: warning: `logfile` does not apply here")
            && stderr.contains("usable, with 3 warning(s)"),
        "{stderr}"
    );
    let import = director(&["config", "import", guide]);
    assert!(import.status.success());
    let toml = String::from_utf8_lossy(&import.stdout);
    assert!(
        toml.contains("# ldirectord.cf line 7: virtual=192.168.34.41:443"),
        "{toml}"
    );
}

#[test]
fn run_with_a_bad_config_exits_with_the_config_code() {
    let out = director(&[
        "run",
        "--dataplane",
        "userspace",
        "--config",
        "/nonexistent/director.toml",
        "--control",
        "/tmp/x.sock",
    ]);
    assert_eq!(out.status.code(), Some(director::daemon::EXIT_BAD_CONFIG));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("/nonexistent/director.toml:0:0: cannot read"));
}

#[test]
fn lab_without_root_says_so_and_what_to_run_instead() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let out = director(&["lab"]);
        assert_lab_refusal(&out);
        return;
    }
    // As root, drop to nobody to see what a normal user sees.
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_director"),
            "lab",
        ])
        .output()
        .expect("setpriv (util-linux) is installed");
    assert_lab_refusal(&out);
}

fn assert_lab_refusal(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("needs root"), "{stderr}");
    assert!(
        stderr.contains("sudo cargo run --release -- lab"),
        "{stderr}"
    );
}

#[test]
fn import_and_export_round_trip_through_the_command_line() {
    let guide = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keepalived/guide-000.conf"
    );
    let imported = director(&["config", "import", guide]);
    assert_eq!(imported.status.code(), Some(0));
    let toml = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(
        toml.contains("# from ") && toml.contains("guide-000.conf:7"),
        "{toml}"
    );
    let path = std::env::temp_dir().join(format!("director-import-{}.toml", std::process::id()));
    std::fs::write(&path, &toml).unwrap();
    let exported = director(&[
        "config",
        "export",
        "--format",
        "keepalived",
        path.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(exported.status.code(), Some(0));
    let text = String::from_utf8_lossy(&exported.stdout);
    assert!(
        text.contains("vrrp_instance VI_1 {") && text.contains("auth_pass 1111"),
        "{text}"
    );
    assert!(text.contains("real_server 192.168.100.10 80 {"), "{text}");
}

#[test]
fn completions_load_in_bash_and_the_manual_page_is_roff() {
    let script = director(&["completions", "bash"]);
    assert!(script.status.success());
    let text = String::from_utf8_lossy(&script.stdout).into_owned();
    assert!(text.contains("ctl") && text.contains("drain"), "{text}");
    let path = std::env::temp_dir().join(format!("director-completion-{}", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let loaded = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p director", path.display()))
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        String::from_utf8_lossy(&loaded.stdout).contains("-F _director"),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let page = director(&["man"]);
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(page.contains(".TH director 1"), "{page}");
    assert!(page.contains("ctl"), "the page lists the subcommands");
    let unknown = director(&["completions", "tcsh"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("tcsh"));
}

/// Start `director run` on a config naming router `j` with `args` and
/// `env`, stop it once it serves, and return what it wrote on stderr.
fn stderr_of_a_short_run(tag: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    short_run(tag, "[global]\nrouter_id = \"j\"\n", args, env, |_| {})
}

/// Start `director run` on `config` with `args` and `env`; once it serves,
/// hand its pid to `while_serving`, then stop it and return its stderr.
fn short_run(
    tag: &str,
    config: &str,
    args: &[&str],
    env: &[(&str, &str)],
    while_serving: impl FnOnce(u32),
) -> String {
    let dir = std::env::temp_dir().join(format!("director-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.toml"), config).unwrap();
    let socket = dir.join("d.sock");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_director"))
        .args(["run", "--dataplane", "userspace"])
        .args(args)
        .arg("--config")
        .arg(dir.join("d.toml"))
        .arg("--control")
        .arg(&socket)
        .envs(env.iter().copied())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !socket.exists() && started.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    while_serving(child.id());
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn log_format_json_writes_one_object_per_line() {
    let text = stderr_of_a_short_run("json-log", &["--log-format", "json"], &[]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "engine" && l["message"] == "engine started on j"),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["unix_ms"].as_u64().is_some() && l["level"].is_string()),
        "{text}"
    );
}

#[test]
fn text_logs_carry_journald_priorities_when_stderr_is_the_journal() {
    let text = stderr_of_a_short_run("journal-log", &[], &[("JOURNAL_STREAM", "8:1234")]);
    assert!(
        text.lines()
            .any(|l| l == "<6>director: engine: engine started on j"),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.starts_with('<')),
        "every line has a priority: {text}"
    );
}

/// Whether this runs as root; if not, says that `test` is skipped and
/// `why`, and fails under CI, which runs as root.
fn root_for(test: &str, why: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs as root and must run {test}"
    );
    eprintln!("SKIPPED {test}: {why}");
    false
}

#[test]
fn a_missing_capability_is_named_with_its_own_exit_code() {
    if !root_for(
        "a_missing_capability_is_named_with_its_own_exit_code",
        "needs root to drop a capability",
    ) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("director-caps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("d.toml");
    std::fs::write(
        &config,
        "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"lo\"\nvirtual_router_id = 51\npriority = 100\nvirtual_ipaddress = [\"192.0.2.50\"]\n",
    )
    .unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--bounding-set=-net_raw", "--inh-caps=-net_raw", "--"])
        .arg(env!("CARGO_BIN_EXE_director"))
        .args(["run", "--dataplane", "userspace", "--config"])
        .arg(&config)
        .arg("--control")
        .arg(dir.join("d.sock"))
        .output()
        .expect("setpriv runs (util-linux)");
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert!(stderr.contains("missing CAP_NET_RAW"), "{stderr}");
}

/// The locked memory (`VmLck`, KiB) of a daemon started on `global`, once it
/// serves, and its stderr. Memory is locked before the socket is served.
fn locked_memory_of_a_short_run(tag: &str, global: &str) -> (u64, String) {
    let mut locked = None;
    let said = short_run(tag, &format!("[global]\n{global}"), &[], &[], |pid| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        locked = status
            .lines()
            .find_map(|l| l.strip_prefix("VmLck:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok());
    });
    (locked.expect("VmLck in /proc/PID/status"), said)
}

#[test]
fn lock_memory_keeps_every_page_and_the_default_locks_none() {
    if !root_for(
        "lock_memory_keeps_every_page_and_the_default_locks_none",
        "mlockall beyond RLIMIT_MEMLOCK needs root",
    ) {
        return;
    }
    let (locked, said) = locked_memory_of_a_short_run("locked", "lock_memory = true\n");
    assert!(locked > 1024, "{locked} KiB locked: {said}");
    assert!(
        said.contains("lock_memory: every page stays in memory"),
        "{said}"
    );
    let (locked, said) = locked_memory_of_a_short_run("unlocked", "");
    assert_eq!(locked, 0, "{said}");
}
