//! Two director engines as a VRRP pair in network namespaces: a sync group
//! of two instances, and tracking (an interface, a script) driving a
//! failover. Needs root.

mod common;

use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

use common::netlab::NetLab;
use common::{attach_retrying, namespaces_available, prefix, snapshot_where, wait_until};
use director::engine::{Command, Request};
use director::vrrp::instance::State;

fn instance(name: &str, vrid: u8, priority: u8, vip: &str, extra: &str) -> String {
    format!(
        "[[vrrp_instance]]\nname = \"{name}\"\ninterface = \"eth0\"\nvirtual_router_id = {vrid}\npriority = {priority}\nadvert_int = 0.1\nvirtual_ipaddress = [\"{vip}\"]\ngarp_master_delay = 0\n{extra}"
    )
}

fn pair(tag: &str) -> NetLab {
    let lab = NetLab::new(&prefix(tag));
    lab.node("a", &["192.0.2.11/24"]);
    lab.node("b", &["192.0.2.12/24"]);
    lab
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_groups_own_tracking_faults_every_member() {
    if !namespaces_available("a_sync_groups_own_tracking_faults_every_member") {
        return;
    }
    let mut lab = pair("sgtrack");
    let file = lab.dir.join("maintenance");
    std::fs::write(&file, "0\n").unwrap();
    let conf = format!(
        "[[vrrp_track_file]]\nname = \"maint\"\nfile = \"{}\"\nweight = 0\n{}{}[[vrrp_sync_group]]\nname = \"G\"\ngroup = [\"VI_1\", \"VI_2\"]\n[[vrrp_sync_group.track_file]]\nname = \"maint\"\n",
        file.display(),
        instance("VI_1", 51, 150, "192.0.2.50", ""),
        instance("VI_2", 52, 150, "192.0.2.60", "")
    );
    let a = attach_retrying(&lab.director("a", "a", &conf)).await;
    let all = |state: State| {
        move |s: &director::engine::Snapshot| s.instances.iter().all(|i| i.state == state)
    };
    snapshot_where(&a, Duration::from_secs(10), all(State::Master)).await;
    std::fs::write(&file, "1\n").unwrap();
    let faulted = snapshot_where(&a, Duration::from_secs(10), all(State::Fault)).await;
    assert!(
        faulted
            .instances
            .iter()
            .all(|i| i.tracking == ["maint non-zero: FAULT"]),
        "{:?}",
        faulted
            .instances
            .iter()
            .map(|i| &i.tracking)
            .collect::<Vec<_>>()
    );
    std::fs::write(&file, "0\n").unwrap();
    snapshot_where(&a, Duration::from_secs(10), all(State::Master)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_delay_holds_the_instances_in_init_until_it_is_over() {
    if !namespaces_available("startup_delay_holds_the_instances_in_init_until_it_is_over") {
        return;
    }
    let mut lab = pair("delay");
    let conf = format!(
        "[global]\nstartup_delay = 1.5\n{}",
        instance("VI_1", 51, 150, "192.0.2.50", "")
    );
    let a = attach_retrying(&lab.director("a", "a", &conf)).await;
    let early = snapshot_where(&a, Duration::from_secs(10), |_| true).await;
    assert_eq!(early.instances[0].state, State::Init, "held at first");
    let master = snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    let at = |text: &str| {
        master
            .events
            .iter()
            .find(|e| e.text.contains(text))
            .unwrap_or_else(|| panic!("no event {text:?}: {:?}", master.events))
            .unix_ms
    };
    let held = at("VRRP instances start (startup_delay over)") - at("engine started");
    // Both times are whole milliseconds: allow for the rounding.
    assert!(held >= 1_499, "held {held} ms, startup_delay 1.5 s");
    assert!(
        at("-> MASTER") >= at("VRRP instances start (startup_delay over)"),
        "master only after the delay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracked_process_that_stops_lowers_priority_until_it_runs_again() {
    if !namespaces_available("a_tracked_process_that_stops_lowers_priority_until_it_runs_again") {
        return;
    }
    let mut lab = pair("proc");
    // A process with a name of its own: sleep, copied under that name,
    // started (and stopped, whatever happens) by the lab.
    let name = format!("trk{}", std::process::id() % 100_000);
    let program = lab.file(&name);
    std::fs::copy("/bin/sleep", &program).unwrap();
    let program = program.display().to_string();
    lab.spawn("tracked", "b", &program, &["60"]);
    let conf = format!(
        "[[vrrp_track_process]]\nname = \"chk\"\nprocess = \"{name}\"\nweight = -60\n{}[[vrrp_instance.track_process]]\nname = \"chk\"\n",
        instance("VI_1", 51, 150, "192.0.2.50", "")
    );
    let a = attach_retrying(&lab.director("a", "a", &conf)).await;
    let at = |priority: u8| {
        move |s: &director::engine::Snapshot| {
            s.instances[0].state == State::Master && s.instances[0].priority == priority
        }
    };
    snapshot_where(&a, Duration::from_secs(10), at(150)).await;

    lab.stop("tracked", libc::SIGKILL);
    let lowered = snapshot_where(&a, Duration::from_secs(5), at(90)).await;
    assert_eq!(lowered.instances[0].tracking, ["chk down: -60"]);

    lab.spawn("again", "b", &program, &["60"]);
    snapshot_where(&a, Duration::from_secs(5), at(150)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_faults_while_its_own_link_is_down_unless_dont_track_primary() {
    if !namespaces_available(
        "an_instance_faults_while_its_own_link_is_down_unless_dont_track_primary",
    ) {
        return;
    }
    let mut lab = pair("primary");
    let conf = format!(
        "{}{}",
        instance("VI_1", 51, 150, "192.0.2.50", ""),
        instance("VI_2", 52, 150, "192.0.2.60", "dont_track_primary = true\n")
    );
    let a = attach_retrying(&lab.director("a", "a", &conf)).await;
    let states = |s: &director::engine::Snapshot| -> Vec<State> {
        s.instances.iter().map(|i| i.state).collect()
    };
    snapshot_where(&a, Duration::from_secs(10), |s| {
        states(s) == [State::Master, State::Master]
    })
    .await;

    lab.sh("a", "ip link set eth0 down");
    let down = snapshot_where(&a, Duration::from_secs(5), |s| {
        states(s) == [State::Fault, State::Master]
    })
    .await;
    assert_eq!(down.instances[0].tracking, ["eth0 down: FAULT"]);
    assert!(
        wait_until(Duration::from_secs(5), || !lab
            .has_address("a", "192.0.2.50")),
        "the faulted instance kept its address"
    );
    assert!(
        lab.has_address("a", "192.0.2.60"),
        "dont_track_primary keeps it"
    );

    lab.sh("a", "ip link set eth0 up");
    snapshot_where(&a, Duration::from_secs(10), |s| {
        states(s) == [State::Master, State::Master]
    })
    .await;
    assert!(wait_until(Duration::from_secs(5), || lab
        .has_address("a", "192.0.2.50")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_in_one_sync_group_member_moves_the_whole_group() {
    if !namespaces_available("a_fault_in_one_sync_group_member_moves_the_whole_group") {
        return;
    }
    let mut lab = pair("sg");
    // A veth pair inside a (this kernel has no dummy driver); VI_2 tracks trk0 with weight 0.
    lab.sh(
        "a",
        "ip link add trk0 type veth peer name trk1 && ip link set trk1 up && ip link set trk0 up",
    );
    let group = "[[vrrp_sync_group]]\nname = \"G\"\ngroup = [\"VI_1\", \"VI_2\"]\n";
    let a_conf = format!(
        "{}{}{group}",
        instance("VI_1", 51, 150, "192.0.2.50", ""),
        instance(
            "VI_2",
            52,
            150,
            "192.0.2.60",
            "[[vrrp_instance.track_interface]]\nname = \"trk0\"\n"
        )
    );
    let b_conf = format!(
        "{}{}{group}",
        instance("VI_1", 51, 100, "192.0.2.50", ""),
        instance("VI_2", 52, 100, "192.0.2.60", "")
    );
    let state = lab.file("a-state.json");
    let state_arg = state.display().to_string();
    let a_args = ["--state-file", state_arg.as_str()];
    let a = attach_retrying(&lab.director_args("a", "a", "a.toml", &a_conf, &a_args)).await;
    let b = attach_retrying(&lab.director("b", "b", &b_conf)).await;
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances.iter().all(|i| i.state == State::Master)
    })
    .await;
    snapshot_where(&b, Duration::from_secs(10), |s| {
        s.instances.iter().all(|i| i.state == State::Backup)
    })
    .await;
    assert_eq!(
        a.snapshots.borrow().as_ref().unwrap().instances[0]
            .sync_group
            .as_deref(),
        Some("G")
    );

    lab.sh("a", "ip link set trk0 down");
    let faulted = snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances.iter().all(|i| i.state == State::Fault)
    })
    .await;
    assert!(
        faulted.instances[1]
            .tracking
            .iter()
            .any(|t| t == "trk0 down: FAULT"),
        "{:?}",
        faulted.instances[1].tracking
    );
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .has_address("b", "192.0.2.50")
            && lab.has_address("b", "192.0.2.60")),
        "b did not take both addresses"
    );
    assert!(!lab.has_address("a", "192.0.2.50") && !lab.has_address("a", "192.0.2.60"));

    lab.sh("a", "ip link set trk0 up");
    snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances.iter().all(|i| i.state == State::Master)
    })
    .await;
    assert!(wait_until(Duration::from_secs(5), || group_on(&lab, "a")));

    // An operator failover of one member moves the whole group, and the
    // group stays moved: every member follows held, so none preempts back
    // (and drags the rest with it) until the operator releases.
    fail_group_over(&lab, &a).await;
    snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances
            .iter()
            .all(|i| i.state == State::Backup && i.held)
    })
    .await;
    // Six Master_Down_Intervals at 0.1 s adverts.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        group_on(&lab, "b") && group_off(&lab, "a"),
        "the group came back on its own"
    );

    // Releasing one member lets it preempt, and the group follows it.
    operator(
        &a,
        Command::Release {
            instance: "VI_1".into(),
        },
    )
    .await;
    assert!(
        wait_until(Duration::from_secs(5), || group_on(&lab, "a")
            && group_off(&lab, "b")),
        "the group did not come back after a release"
    );
    snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances
            .iter()
            .all(|i| i.state == State::Master && !i.held)
    })
    .await;

    // Failed over again, then the peer dies: the group takes over, which
    // ends the holds, and the state file forgets them (or a restart would
    // hold the node again).
    fail_group_over(&lab, &a).await;
    let holds = || {
        std::fs::read_to_string(&state)
            .unwrap_or_default()
            .matches("\"action\": \"hold\"")
            .count()
    };
    assert_eq!(holds(), 2, "every member's hold is kept in the state file");
    lab.stop("b", libc::SIGKILL);
    assert!(
        wait_until(Duration::from_secs(5), || group_on(&lab, "a")),
        "a did not take over from its dead peer"
    );
    snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances
            .iter()
            .all(|i| i.state == State::Master && !i.held)
    })
    .await;
    assert!(
        wait_until(Duration::from_secs(2), || holds() == 0),
        "the state file still holds: {}",
        std::fs::read_to_string(&state).unwrap_or_default()
    );
}

/// Fail VI_1 over on a, and wait until its whole group has moved to b.
async fn fail_group_over(lab: &NetLab, a: &director::engine::EngineHandle) {
    operator(
        a,
        Command::Failover {
            instance: "VI_1".into(),
        },
    )
    .await;
    assert!(
        wait_until(Duration::from_secs(5), || group_on(lab, "b")
            && group_off(lab, "a")),
        "the group did not move to b"
    );
}

/// Whether `node` holds both of the sync group's addresses.
fn group_on(lab: &NetLab, node: &str) -> bool {
    lab.has_address(node, "192.0.2.50") && lab.has_address(node, "192.0.2.60")
}

/// Whether `node` holds neither of the sync group's addresses.
fn group_off(lab: &NetLab, node: &str) -> bool {
    !lab.has_address(node, "192.0.2.50") && !lab.has_address(node, "192.0.2.60")
}

/// Ask `engine` for `command` as an operator would; it must be accepted.
async fn operator(engine: &director::engine::EngineHandle, command: Command) {
    let request = Request {
        command: command.clone(),
        origin: "pair test".into(),
    };
    if let Err(why) = engine.request(request).await {
        panic!("{command:?} refused: {why}");
    }
}

/// Start `a` with `a_conf` and `b` at priority 100, and wait until a is
/// master and b backup.
async fn elected(
    lab: &mut NetLab,
    a_conf: &str,
) -> (
    director::engine::EngineHandle,
    director::engine::EngineHandle,
) {
    let a = attach_retrying(&lab.director("a", "a", a_conf)).await;
    let b = attach_retrying(&lab.director("b", "b", &instance("VI_1", 51, 100, "192.0.2.50", "")))
        .await;
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    snapshot_where(&b, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Backup
    })
    .await;
    (a, b)
}

/// Whether, within 3 s, `vip` is on `owner` and not on `other`.
fn vip_moves(lab: &NetLab, vip: &str, owner: &str, other: &str) -> bool {
    wait_until(Duration::from_secs(3), || {
        lab.has_address(owner, vip) && !lab.has_address(other, vip)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_track_script_lowers_priority_and_the_peer_preempts() {
    if !namespaces_available("a_failing_track_script_lowers_priority_and_the_peer_preempts") {
        return;
    }
    let mut lab = pair("ts");
    let flag = lab.dir.join("healthy");
    std::fs::write(&flag, "").unwrap();
    let script = format!(
        "[[vrrp_script]]\nname = \"chk\"\nscript = \"/usr/bin/test -f {}\"\ninterval = 0.1\nweight = -60\nfall = 2\nrise = 2\n",
        flag.display()
    );
    let a_conf = format!(
        "{script}{}",
        instance(
            "VI_1",
            51,
            150,
            "192.0.2.50",
            "[[vrrp_instance.track_script]]\nname = \"chk\"\n"
        )
    );
    let (a, b) = elected(&mut lab, &a_conf).await;

    std::fs::remove_file(&flag).unwrap();
    let lowered = snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances[0].priority == 90
    })
    .await;
    assert_eq!(lowered.instances[0].tracking, ["chk failing: -60"]);
    snapshot_where(&b, Duration::from_secs(5), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances[0].state == State::Backup
    })
    .await;
    assert!(vip_moves(&lab, "192.0.2.50", "b", "a"));

    // Healthy again: a's priority is back to 150 and it preempts.
    std::fs::write(&flag, "").unwrap();
    snapshot_where(&a, Duration::from_secs(5), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(vip_moves(&lab, "192.0.2.50", "a", "b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_scripts_and_fifo_see_keepalived_arguments() {
    if !namespaces_available("notify_scripts_and_fifo_see_keepalived_arguments") {
        return;
    }
    let mut lab = pair("nt");
    let out = lab.dir.join("notify.out");
    let script = lab.dir.join("notify.sh");
    std::fs::write(
        &script,
        // Slow on STOP: director must wait for it before it exits.
        format!(
            "#!/bin/sh\n[ \"$3\" = STOP ] && sleep 0.5\necho \"$@\" >> {}\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let extra = format!(
        "notify = \"{}\"\nnotify_master = \"{} master-only\"\n",
        script.display(),
        script.display()
    );
    let fifo = lab.dir.join("notify.fifo");
    let fifo_c = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo_c.as_ptr(), 0o600) }, 0);
    // Read-write and non-blocking: opening never waits, reads never see EOF.
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let conf = format!(
        "[global]\nscript_timeout = 2\nnotify_fifo = \"{}\"\n{}",
        fifo.display(),
        instance("VI_1", 51, 150, "192.0.2.50", &extra)
    );
    let a = attach_retrying(&lab.director("a", "a", &conf)).await;
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.lines().count() >= 3)
    }));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("INSTANCE VI_1 BACKUP 150"), "{text}");
    assert!(text.contains("INSTANCE VI_1 MASTER 150"), "{text}");
    assert!(
        text.contains("master-only INSTANCE VI_1 MASTER 150"),
        "{text}"
    );
    let mut lines = String::new();
    assert!(wait_until(Duration::from_secs(5), || {
        let mut chunk = [0u8; 4096];
        if let Ok(n) = std::io::Read::read(&mut reader, &mut chunk) {
            lines.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
        lines.contains("MASTER")
    }));
    assert_eq!(
        lines,
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\n"
    );
    // SIGTERM: as keepalived, STOP only (not the BACKUP a stopping master
    // passes through while it hands over), and it lands before the exit.
    lab.stop("a", libc::SIGTERM);
    let mut chunk = [0u8; 4096];
    while let Ok(n) = std::io::Read::read(&mut reader, &mut chunk) {
        if n == 0 {
            break;
        }
        lines.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    assert_eq!(
        lines,
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\nINSTANCE \"VI_1\" STOP 150\n"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with("INSTANCE VI_1 STOP 150\n"), "{text}");
    assert_eq!(text.matches("BACKUP").count(), 1, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_split_brain_guard_faults_a_backup_that_cannot_reach_its_reference() {
    if !namespaces_available(
        "the_split_brain_guard_faults_a_backup_that_cannot_reach_its_reference",
    ) {
        return;
    }
    let mut lab = pair("sb");
    lab.node("gw", &["192.0.2.1/24"]);
    let guarded = "check_reference = \"192.0.2.1\"\n";
    let a = attach_retrying(&lab.director("a", "a", &instance("VI_1", 51, 150, "192.0.2.50", "")))
        .await;
    let b =
        attach_retrying(&lab.director("b", "b", &instance("VI_1", 51, 100, "192.0.2.50", guarded)))
            .await;
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    snapshot_where(&b, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Backup
    })
    .await;

    // The gateway vanishes: b may not claim mastership blindly.
    lab.sh("gw", "ip link set eth0 down");
    let faulted = snapshot_where(&b, Duration::from_secs(5), |s| {
        s.instances[0].state == State::Fault
    })
    .await;
    assert!(faulted.instances[0]
        .last_transition
        .as_deref()
        .unwrap()
        .contains("reference address unreachable"));
    lab.stop("a", libc::SIGKILL);
    lab.sh("a", "ip link set eth0 down");
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !lab.has_address("b", "192.0.2.50"),
        "b claimed the VIP without its reference"
    );

    // The gateway returns: b recovers and, with no master, takes over.
    lab.sh("gw", "ip link set eth0 up");
    snapshot_where(&b, Duration::from_secs(5), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(wait_until(Duration::from_secs(3), || lab
        .has_address("b", "192.0.2.50")));
}

/// Write `config` as node `node`'s file and reload it through the engine.
async fn reload(
    lab: &NetLab,
    engine: &director::engine::EngineHandle,
    node: &str,
    config: &str,
) -> String {
    std::fs::write(lab.dir.join(format!("{node}.toml")), config).unwrap();
    let reply = engine
        .request(director::engine::Request {
            command: director::engine::Command::Reload,
            origin: "test".into(),
        })
        .await;
    reply
        .unwrap_or_else(|e| panic!("the reload was refused: {e}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_change_instances_in_place_and_leave_unchanged_ones_alone() {
    if !namespaces_available("reloads_change_instances_in_place_and_leave_unchanged_ones_alone") {
        return;
    }
    let mut lab = pair("reload");
    let service = |weight: u32| {
        format!(
            "[[virtual_server]]\nname = \"web\"\naddress = \"192.0.2.50\"\nport = 80\n\
             [[virtual_server.real_server]]\nname = \"rs1\"\naddress = \"192.0.2.21\"\nport = 80\nweight = {weight}\n"
        )
    };
    let vi_1 = instance("VI_1", 51, 150, "192.0.2.50", "");
    let vi_2 = instance("VI_2", 52, 150, "192.0.2.60", "");
    let socket = lab.director("a", "a", &format!("{vi_1}{}", service(1)));
    let a = attach_retrying(&socket).await;
    let master = snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    let transitions = master.instances[0].transitions;
    let unflapped = |s: &director::engine::Snapshot| {
        s.instances[0].state == State::Master && s.instances[0].transitions == transitions
    };

    // The same instance, a new weight: applied in place, no VRRP change.
    let said = reload(&lab, &a, "a", &format!("{vi_1}{}", service(4))).await;
    assert!(said.contains("1 real server(s) changed"), "{said}");
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.server("web", "rs1").is_some_and(|r| r.weight == 4)
    })
    .await;

    // A new instance starts; the old one does not notice.
    let said = reload(&lab, &a, "a", &format!("{vi_1}{vi_2}{}", service(4))).await;
    assert!(said.contains("1 VRRP instance(s) added"), "{said}");
    let both = snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances.len() == 2 && s.instances[1].state == State::Master
    })
    .await;
    assert!(unflapped(&both), "adding VI_2 flapped VI_1");
    assert!(wait_until(Duration::from_secs(3), || lab
        .has_address("a", "192.0.2.60")));

    // Priority and addresses change in place: no transition, the new
    // address comes up at once.
    let changed = instance("VI_1", 51, 160, "192.0.2.50\", \"192.0.2.51", "");
    let said = reload(&lab, &a, "a", &format!("{changed}{vi_2}{}", service(4))).await;
    assert!(
        said.contains("1 VRRP instance(s) changed in place"),
        "{said}"
    );
    let after = snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].priority == 160
    })
    .await;
    assert!(unflapped(&after), "a priority change flapped VI_1");
    assert!(wait_until(Duration::from_secs(3), || lab
        .has_address("a", "192.0.2.51")));

    // VI_2 goes: it resigns and its address leaves; VI_1 stays.
    let said = reload(&lab, &a, "a", &format!("{changed}{}", service(4))).await;
    assert!(said.contains("1 VRRP instance(s) removed"), "{said}");
    let after = snapshot_where(&a, Duration::from_secs(10), |s| s.instances.len() == 1).await;
    assert!(unflapped(&after), "removing VI_2 flapped VI_1");
    assert!(wait_until(Duration::from_secs(3), || !lab
        .has_address("a", "192.0.2.60")));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = a.snapshots.borrow().clone().unwrap();
    assert!(unflapped(&later), "VI_1 moved after the reloads");
    assert!(lab.has_address("a", "192.0.2.50"), "the VIP left");
    assert!(lab.has_address("a", "192.0.2.51"), "the added VIP left");

    // A new VRID is a new router on the wire: VI_1 restarts and takes its
    // addresses again as the new router.
    let renumbered = instance("VI_1", 61, 160, "192.0.2.50", "");
    let said = reload(&lab, &a, "a", &format!("{renumbered}{}", service(4))).await;
    assert!(said.contains("1 VRRP instance(s) restarted"), "{said}");
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].vrid == 61 && s.instances[0].state == State::Master
    })
    .await;
    assert!(wait_until(Duration::from_secs(3), || lab
        .has_address("a", "192.0.2.50")
        && !lab.has_address("a", "192.0.2.51")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_on_the_master_moves_the_vip_without_losing_a_probe() {
    if !namespaces_available("sigterm_on_the_master_moves_the_vip_without_losing_a_probe") {
        return;
    }
    let mut lab = pair("term");
    lab.node("c", &["192.0.2.100/24"]);
    let (_a, b) = elected(&mut lab, &instance("VI_1", 51, 150, "192.0.2.50", "")).await;
    // 300 echo requests 20 ms apart (6 s) from the client across the handover.
    let client = lab.ns("c");
    let probes = std::thread::spawn(move || {
        director::lab::netns::in_namespace(&client, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let vip = "192.0.2.50".parse().unwrap();
                let mut answered = 0;
                for _ in 0..300 {
                    if director::check::ping::ping(vip, None, Duration::from_secs(1))
                        .await
                        .is_ok()
                    {
                        answered += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                answered
            })
        })
        .unwrap()
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    lab.stop("a", libc::SIGTERM);
    snapshot_where(&b, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    let answered = tokio::task::spawn_blocking(move || probes.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        answered, 300,
        "probes were lost across the graceful handover"
    );
    assert!(lab.has_address("b", "192.0.2.50"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_mode_off_drops_traffic_to_the_vip_but_still_answers_arp() {
    if !namespaces_available("accept_mode_off_drops_traffic_to_the_vip_but_still_answers_arp") {
        return;
    }
    let mut lab = pair("accept");
    lab.node("c", &["192.0.2.100/24"]);
    // Something listening on every address of a.
    let listener = director::lab::netns::in_namespace(&lab.ns("a"), || {
        std::net::TcpListener::bind("0.0.0.0:7")
    })
    .unwrap()
    .unwrap();
    listener.set_nonblocking(true).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let serving = stop.clone();
    std::thread::spawn(move || {
        while !serving.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = listener.accept();
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let connects = |lab: &NetLab, target: &str| {
        let target: std::net::SocketAddr = target.parse().unwrap();
        director::lab::netns::in_namespace(&lab.ns("c"), move || {
            std::net::TcpStream::connect_timeout(&target, Duration::from_millis(700)).is_ok()
        })
        .unwrap()
    };
    let strict = instance("VI_1", 51, 150, "192.0.2.50", "accept_mode = false\n");
    let a = attach_retrying(&lab.director("a", "a", &strict)).await;
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(wait_until(Duration::from_secs(3), || lab
        .has_address("a", "192.0.2.50")));
    assert!(connects(&lab, "192.0.2.11:7"), "a's own address accepts");
    assert!(
        !connects(&lab, "192.0.2.50:7"),
        "the VIP accepted with accept_mode off"
    );
    let neighbour = lab.sh("c", "ip neigh show 192.0.2.50");
    assert!(
        neighbour.contains("lladdr"),
        "ARP went unanswered: {neighbour:?}"
    );

    // Accept mode back on, by reload: the VIP takes connections.
    std::fs::write(
        lab.dir.join("a.toml"),
        instance("VI_1", 51, 150, "192.0.2.50", ""),
    )
    .unwrap();
    let reply = a
        .request(director::engine::Request {
            command: director::engine::Command::Reload,
            origin: "test".into(),
        })
        .await;
    assert!(
        reply.as_ref().is_ok_and(|r| r
            .to_string()
            .contains("1 VRRP instance(s) changed in place")),
        "{reply:?}"
    );
    assert!(
        connects(&lab, "192.0.2.50:7"),
        "the VIP still drops after the reload"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_file_writes_the_tracked_file_before_it_is_read() {
    if !namespaces_available("init_file_writes_the_tracked_file_before_it_is_read") {
        return;
    }
    let mut lab = pair("initf");
    let (kept, overwritten) = (lab.dir.join("kept"), lab.dir.join("overwritten"));
    std::fs::write(&kept, "1\n").unwrap();
    std::fs::write(&overwritten, "0\n").unwrap();
    let conf = format!(
        "[[vrrp_track_file]]\nname = \"kept\"\nfile = \"{}\"\nweight = -10\ninit_file = {{ value = 3 }}\n[[vrrp_track_file]]\nname = \"over\"\nfile = \"{}\"\nweight = -20\ninit_file = {{ value = 2, overwrite = true }}\n{}[[vrrp_instance.track_file]]\nname = \"kept\"\n[[vrrp_instance.track_file]]\nname = \"over\"\n",
        kept.display(),
        overwritten.display(),
        instance("VI_1", 51, 150, "192.0.2.50", "")
    );
    let a = attach_retrying(&lab.director("a", "a", &conf)).await;
    // 150 - 1 × 10 (kept as it was) - 2 × 20 (overwritten) = 100.
    let seen = snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].priority == 100
    })
    .await;
    assert_eq!(std::fs::read_to_string(&overwritten).unwrap(), "2\n");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "1\n");
    let wrote = format!("vrrp_track_file over: wrote 2 to {}", overwritten.display());
    assert!(
        seen.events.iter().any(|e| e.text == wrote),
        "{:?}",
        seen.events
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracked_file_lowers_priority_and_the_peer_preempts() {
    if !namespaces_available("a_tracked_file_lowers_priority_and_the_peer_preempts") {
        return;
    }
    let mut lab = pair("tf");
    let file = lab.dir.join("maintenance");
    std::fs::write(&file, "0\n").unwrap();
    let a_conf = format!(
        "[[vrrp_track_file]]\nname = \"maint\"\nfile = \"{}\"\nweight = -1\n{}",
        file.display(),
        instance(
            "VI_1",
            51,
            150,
            "192.0.2.50",
            "[[vrrp_instance.track_file]]\nname = \"maint\"\n"
        )
    );
    let (a, b) = elected(&mut lab, &a_conf).await;

    // Written in place, as `echo 60 > file` does: 150 - 60 = 90 < 100.
    std::fs::write(&file, "60\n").unwrap();
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].priority == 90 && s.instances[0].state == State::Backup
    })
    .await;
    snapshot_where(&b, Duration::from_secs(5), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(vip_moves(&lab, "192.0.2.50", "b", "a"));

    // Replaced by rename, as editors and `mv` do: back to 150, a preempts.
    let fresh = lab.dir.join("maintenance.new");
    std::fs::write(&fresh, "0\n").unwrap();
    std::fs::rename(&fresh, &file).unwrap();
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].priority == 150 && s.instances[0].state == State::Master
    })
    .await;
    assert!(vip_moves(&lab, "192.0.2.50", "a", "b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_adverts_reach_the_counters_without_a_snapshot_per_packet() {
    if !namespaces_available("fast_adverts_reach_the_counters_without_a_snapshot_per_packet") {
        return;
    }
    let mut lab = pair("fa");
    let conf = |priority: u8| {
        format!(
            "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = {priority}\nversion = \"3\"\nadvert_int = 0.01\nvirtual_ipaddress = [\"192.0.2.50\"]\n"
        )
    };
    let _a = attach_retrying(&lab.director("a", "a", &conf(150))).await;
    let b = attach_retrying(&lab.director("b", "b", &conf(100))).await;
    let before = snapshot_where(&b, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Backup && s.instances[0].adverts_received > 0
    })
    .await;
    // 2 s of adverts every 10 ms: about 200 packets, and the counters
    // published at most every 500 ms, not once per packet.
    let mut snapshots = b.snapshots.clone();
    snapshots.borrow_and_update();
    let mut published = 0;
    let window = tokio::time::sleep(Duration::from_secs(2));
    tokio::pin!(window);
    loop {
        tokio::select! {
            changed = snapshots.changed() => {
                changed.expect("the backup's snapshots keep coming");
                published += 1;
            }
            () = &mut window => break,
        }
    }
    let received = |s: &director::engine::snapshot::Snapshot| s.instances[0].adverts_received;
    let after = snapshot_where(&b, Duration::from_secs(2), |s| {
        received(s) >= received(&before) + 50
    })
    .await;
    assert!(
        published <= 10,
        "{published} snapshots in 2 s for {} adverts",
        received(&after) - received(&before)
    );
    assert_eq!(after.instances[0].state, State::Backup);
}

/// An idle master with nobody watching publishes no snapshot per advert,
/// yet a one-off reader (`director ctl`, a process that comes and goes)
/// still sees its counters as of the moment it asks.
#[test]
fn a_one_off_reader_sees_counters_as_of_now_when_nobody_watches() {
    if !namespaces_available("a_one_off_reader_sees_counters_as_of_now_when_nobody_watches") {
        return;
    }
    let mut lab = pair("or");
    let conf = "[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = 150\nversion = \"3\"\nadvert_int = 0.01\nvirtual_ipaddress = [\"192.0.2.50\"]\n";
    let socket = lab.director("a", "a", conf);
    // State, adverts sent, and whether the snapshot was taken after the
    // moment `director ctl` was asked.
    let status = || -> Option<(String, u64, bool)> {
        let asked = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_millis() as u64;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_director"))
            .args(["ctl", "--json", "--socket"])
            .arg(&socket)
            .arg("status")
            .output()
            .ok()?;
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let instance = &json["instances"][0];
        Some((
            instance["state"].as_str()?.to_string(),
            instance["adverts_sent"].as_u64()?,
            json["unix_ms"].as_u64()? >= asked,
        ))
    };
    let mut first = None;
    let master = wait_until(Duration::from_secs(10), || {
        first = status().filter(|(state, ..)| state == "Master");
        first.is_some()
    });
    assert!(master, "director a never became master: {first:?}");
    let (_, before, _) = first.unwrap();
    // One second of adverts every 10 ms, with no reader attached.
    std::thread::sleep(Duration::from_secs(1));
    let (_, after, fresh) = status().expect("a second status");
    assert!(fresh, "the snapshot predates the question");
    assert!(
        after > before,
        "the counters read {before} and then {after} adverts sent, one second apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_master_adds_every_address_when_one_of_them_fails() {
    if !namespaces_available("a_new_master_adds_every_address_when_one_of_them_fails") {
        return;
    }
    let mut lab = pair("vipfail");
    // The first address lives on dum0 (a veth: this kernel may lack the
    // dummy driver), which vanishes before the instance
    // becomes master: adding it fails (no such device), and the address
    // after it must be added all the same, the failure journaled.
    lab.sh(
        "a",
        "ip link add dum0 type veth peer name dum1 && ip link set dum0 up && ip link set dum1 up",
    );
    let conf =
        "[global]\nstartup_delay = 1.5\n[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\n\
         virtual_router_id = 51\npriority = 150\nadvert_int = 0.1\ngarp_master_delay = 0\n\
         virtual_ipaddress = [\"192.0.2.60/32 dev dum0\", \"192.0.2.50\"]\n";
    let a = attach_retrying(&lab.director("a", "a", conf)).await;
    lab.sh("a", "ip link del dum0");
    let master = snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .has_address("a", "192.0.2.50")),
        "the address after the failing one was not added"
    );
    let failure = snapshot_where(&a, Duration::from_secs(5), |s| {
        s.events
            .iter()
            .any(|e| e.text.contains("VI_1: add 192.0.2.60"))
    })
    .await;
    assert!(
        failure
            .events
            .iter()
            .any(|e| e.text.contains("VI_1: add 192.0.2.60")),
        "{:?} {:?}",
        master.instances[0].state,
        failure.events.iter().map(|e| &e.text).collect::<Vec<_>>()
    );
}
