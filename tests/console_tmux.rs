//! The real binary, in a real terminal (tmux), on a real lab. Each test
//! presses keys, reads the screen, and checks through the control sockets
//! that the data plane did what the screen says. Needs root and tmux.
//! The labs run one at a time: two cores do not carry several at once.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::tmux::Tmux;
use common::{attach_retrying, conns, namespaces_available, prefix, snapshot_where, wait_until};
use director::engine::{EngineHandle, Snapshot};
use director::lab::{cleanup_stale, lab_dir, netns};
use director::vrrp::instance::State;

/// One lab at a time.
static LABS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A console on a lab in a tmux session; kills both on every exit path.
struct Session {
    tmux: Tmux,
    prefix: String,
}

impl Session {
    fn start(tag: &str, extra: &str) -> Session {
        let prefix = prefix(tag);
        let command = format!(
            "{} lab --prefix {prefix} --advert-int 0.2 --rate 8 --tick 0.5 {extra}",
            env!("CARGO_BIN_EXE_director")
        );
        let tmux = Tmux::start(&format!("{prefix}-console"), 160, 48, &command)
            .unwrap_or_else(|e| panic!("{e}"));
        let session = Session { tmux, prefix };
        assert!(
            session.shows(Duration::from_secs(30), |s| s.contains("MASTER")
                && s.contains("BACKUP")),
            "the console never showed a master and a backup:\n{}",
            session.screen()
        );
        session
    }

    fn screen(&self) -> String {
        self.tmux.screen()
    }

    fn press(&self, keys: &[&str]) {
        self.tmux.press(keys);
    }

    fn shows(&self, limit: Duration, condition: impl Fn(&str) -> bool) -> bool {
        wait_until(limit, || condition(&self.screen()))
    }

    fn expect(&self, what: &str, condition: impl Fn(&str) -> bool) {
        assert!(
            self.shows(Duration::from_secs(15), condition),
            "screen never showed {what}:\n{}",
            self.screen()
        );
    }

    fn row(&self, server: &str) -> String {
        let screen = self.screen();
        screen
            .lines()
            .find(|l| l.contains(&format!(" {server} ")))
            .unwrap_or_else(|| panic!("no row for {server} on screen:\n{screen}"))
            .to_string()
    }

    async fn director(&self, index: usize) -> EngineHandle {
        attach_retrying(&lab_dir(&self.prefix).join(format!("d{index}.sock"))).await
    }

    /// q quits, and the lab leaves nothing behind.
    fn quit_and_check_teardown(&self) {
        self.press(&["q"]);
        assert!(
            wait_until(Duration::from_secs(20), || !self.tmux.alive()),
            "console did not exit"
        );
        assert!(
            netns::list(&self.prefix).is_empty(),
            "namespaces left: {:?}",
            netns::list(&self.prefix)
        );
        assert!(!lab_dir(&self.prefix).exists(), "lab directory left behind");
        let left = lab_processes(&self.prefix);
        assert!(left.is_empty(), "processes left behind:\n{left}");
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.tmux.kill();
        cleanup_stale(&self.prefix);
    }
}

fn lab_processes(prefix: &str) -> String {
    let out = Command::new("pgrep")
        .args(["-af", prefix])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.contains("pgrep") && !l.contains("cargo") && !l.contains("console_tmux"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// New connections per server between two snapshots.
fn gained(before: &Snapshot, after: &Snapshot, server: &str) -> u64 {
    conns(after, server) - conns(before, server)
}

async fn wait_for(
    handle: &EngineHandle,
    what: &str,
    condition: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    eprintln!("waiting for: {what}");
    snapshot_where(handle, Duration::from_secs(30), condition).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_until_empty_then_reweight_shifts_traffic() {
    if !namespaces_available("drain_until_empty_then_reweight_shifts_traffic") {
        return;
    }
    let _lab = LABS.lock().await;
    let session = Session::start("drain", "");
    let d1 = session.director(1).await;
    wait_for(&d1, "all servers up", |s| {
        s.services[0]
            .servers
            .iter()
            .all(|r| r.health == director::ipvs::model::Health::Up)
    })
    .await;

    // Services view; the first row is the service, j selects rs1.
    session.press(&["2", "j", "d"]);
    session.expect("the drain confirmation", |s| {
        s.contains("confirm") && s.contains("drain web/rs1 (192.0.2.21:80): weight 1 -> 0")
    });
    session.press(&["y"]);
    session.expect("rs1 drained", |_| session.row("rs1").contains("0/1 drain"));

    // The plane: no new connections for rs1, and its active ones finish.
    let before = wait_for(&d1, "rs1 at weight 0", |s| {
        s.server("web", "rs1").unwrap().weight == 0
    })
    .await;
    let empty = wait_for(&d1, "rs1's active connections to finish", |s| {
        s.server("web", "rs1").unwrap().active == 0
            && conns(s, "rs2") + conns(s, "rs3")
                >= conns(&before, "rs2") + conns(&before, "rs3") + 10
    })
    .await;
    assert_eq!(
        gained(&before, &empty, "rs1"),
        0,
        "drained rs1 got new connections"
    );
    session.expect("rs1 shown empty", |_| {
        session.row("rs1").contains("0 empty")
    });
    session.press(&["3"]);
    session.expect("the drain in the event log", |s| {
        s.contains("operator") && s.contains("web/rs1: drained")
    });

    // Reweight rs2 to 4: it takes most of the new connections.
    session.press(&["2", "g", "j", "j", "w", "4", "Enter"]);
    session.expect("the reweight confirmation", |s| {
        s.contains("set web/rs2 weight 1 -> 4")
    });
    session.press(&["y"]);
    session.expect("rs2 at weight 4", |_| {
        session.row("rs2").contains("Masq   4 ")
    });
    let start = wait_for(&d1, "rs2 at weight 4", |s| {
        s.server("web", "rs2").unwrap().weight == 4
    })
    .await;
    let end = wait_for(&d1, "30 more connections", |s| {
        conns(s, "rs2") + conns(s, "rs3") >= conns(&start, "rs2") + conns(&start, "rs3") + 30
    })
    .await;
    let (rs2, rs3) = (gained(&start, &end, "rs2"), gained(&start, &end, "rs3"));
    assert!(
        rs2 >= 2 * rs3,
        "weight 4 vs 1 should shift traffic: rs2 +{rs2}, rs3 +{rs3}"
    );
    drop(d1);
    session.quit_and_check_teardown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_server_takes_traffic_and_failover_moves_the_vip() {
    if !namespaces_available("an_added_server_takes_traffic_and_failover_moves_the_vip") {
        return;
    }
    let _lab = LABS.lock().await;
    let session = Session::start("add", "");
    let d1 = session.director(1).await;
    let d2 = session.director(2).await;

    // Add the lab's spare real server, rs4, with a TCP check.
    session.press(&["2", "a"]);
    session.expect("the add form", |s| s.contains("add a real server to web"));
    session.tmux.type_text("192.0.2.24");
    session.press(&["Enter"]);
    session.expect("the add confirmation", |s| {
        s.contains("add 192.0.2.24:80 to web with weight 1, nat forwarding,")
            && s.contains("checked by tcp")
    });
    session.press(&["y"]);
    session.expect("rs4 up on screen", |_| {
        session.row("192.0.2.24:80").contains(" up ")
    });
    let joined = wait_for(&d1, "rs4 in the table", |s| {
        s.server("web", "192.0.2.24:80").is_some()
    })
    .await;
    let later = wait_for(&d1, "rs4 to take connections", |s| {
        conns(s, "192.0.2.24:80") >= conns(&joined, "192.0.2.24:80") + 5
    })
    .await;
    assert!(later.server("web", "192.0.2.24:80").unwrap().in_table);

    // Fail over from the overview: d2 becomes master and owner.
    session.press(&["1", "f"]);
    session.expect("the failover confirmation", |s| {
        s.contains("fail over VI_1: hand 192.0.2.50 to the peer")
    });
    session.press(&["y"]);
    session.expect("d1 showing the peer as owner", |s| {
        s.contains("owner peer 192.0.2.12") && s.contains("operator failover")
    });
    let master = wait_for(&d2, "d2 master", |s| s.instances[0].state == State::Master).await;
    let d1_now = d1.snapshots.borrow().clone().expect("d1 snapshot");
    assert_eq!(d1_now.instances[0].state, State::Backup);
    // Traffic now flows through d2.
    let web = |s: &Snapshot| s.services[0].traffic.conns;
    wait_for(&d2, "connections through d2", |s| {
        web(s) >= web(&master) + 5
    })
    .await;
    drop((d1, d2));
    session.quit_and_check_teardown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_filter_resize_and_read_only() {
    if !namespaces_available("help_filter_resize_and_read_only") {
        return;
    }
    let _lab = LABS.lock().await;
    let session = Session::start("look", "--read-only");
    let d1 = session.director(1).await;

    session.press(&["?"]);
    session.expect("help generated from the keymap", |s| {
        s.contains("help · keymap default") && s.contains("drain/undrain (read-only)")
    });
    session.press(&["x"]);
    session.expect("help closed", |s| !s.contains("help · keymap"));

    session.press(&["/"]);
    session.tmux.type_text("rs3");
    session.press(&["Enter"]);
    session.expect("only rs3 under web", |s| {
        s.contains("filter \"rs3\"") && s.contains(" rs3 ") && !s.contains(" rs1 ")
    });
    session.press(&["Escape"]);
    session.expect("the filter cleared", |s| {
        s.contains(" rs1 ") && s.contains(" rs3 ")
    });

    // Read-only: drain is refused on screen and nothing changes.
    session.press(&["j", "d"]);
    session.expect("the read-only refusal", |s| {
        s.contains("read-only console (--read-only): drain/undrain is disabled")
    });
    let snapshot = wait_for(&d1, "a fresh snapshot", |_| true).await;
    assert_eq!(snapshot.server("web", "rs1").unwrap().weight, 1);
    assert!(!snapshot.events.iter().any(|e| e.text.contains("drained")));

    // Resize: 80×24 drops the wide columns, 160×48 brings them back.
    assert!(session.tmux.resize(80, 24), "tmux resize-window failed");
    session.expect("the narrow layout", |s| {
        s.lines().count() <= 24
            && s.lines().all(|l| l.chars().count() <= 80)
            && s.contains("ACTIVE")
            && !s.contains("OUT~")
    });
    assert!(session.tmux.resize(160, 48), "tmux resize-window failed");
    session.expect("the wide layout", |s| {
        s.contains("OUT~") && s.contains("PERSIST")
    });
    drop(d1);
    session.quit_and_check_teardown();
}
