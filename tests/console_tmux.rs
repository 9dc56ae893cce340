//! The real binary, in a real terminal (tmux), on a real lab: press `d` on a
//! real server, see it drained on screen and in the traffic, press `q` and
//! see nothing left behind. Needs root and tmux.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{attach_retrying, conns, namespaces_available, prefix, snapshot_where, wait_until};
use director::lab::{cleanup_stale, lab_dir, netns};

/// Kills the tmux session and the lab on every exit path.
struct Session {
    name: String,
    prefix: String,
}

impl Session {
    fn start(name: String, prefix: String) -> Session {
        let command = format!(
            "{} lab --prefix {prefix} --advert-int 0.2 --rate 8",
            env!("CARGO_BIN_EXE_director")
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "160",
                "-y",
                "40",
                &command,
            ])
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        Session { name, prefix }
    }

    fn screen(&self) -> String {
        Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    fn press(&self, key: &str) {
        Command::new("tmux")
            .args(["send-keys", "-t", &self.name, key])
            .status()
            .expect("send-keys");
    }

    fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.name])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn row(&self, server: &str) -> String {
        let screen = self.screen();
        screen
            .lines()
            .find(|l| l.contains(&format!(" {server} ")))
            .unwrap_or_else(|| panic!("no row for {server} on screen:\n{screen}"))
            .to_string()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_d_drains_and_q_leaves_nothing_behind() {
    if !namespaces_available("pressing_d_drains_and_q_leaves_nothing_behind") {
        return;
    }
    let prefix = prefix("t");
    let session = Session::start(format!("{prefix}-console"), prefix.clone());
    assert!(
        wait_until(Duration::from_secs(20), || {
            let s = session.screen();
            s.contains("MASTER") && s.contains("rs1") && s.contains(" up ")
        }),
        "console never showed a master with healthy servers:\n{}",
        session.screen()
    );
    assert!(!session.row("rs1").contains("drained"));

    // rs1 is selected first; d drains it.
    session.press("d");
    assert!(
        wait_until(Duration::from_secs(5), || session
            .row("rs1")
            .contains("0 drained(1)")),
        "rs1 not shown drained:\n{}",
        session.screen()
    );
    assert!(
        session.screen().contains("web/rs1: drained"),
        "drain missing from the event log"
    );

    // The traffic agrees: rs1 gets no new connections while the others do.
    let d1 = attach_retrying(&lab_dir(&prefix).join("d1.sock")).await;
    let before = snapshot_where(&d1, Duration::from_secs(5), |s| {
        s.server("web", "rs1").unwrap().weight == 0
    })
    .await;
    let after = snapshot_where(&d1, Duration::from_secs(15), |s| {
        conns(s, "rs2") + conns(s, "rs3") >= conns(&before, "rs2") + conns(&before, "rs3") + 10
    })
    .await;
    assert_eq!(
        conns(&after, "rs1"),
        conns(&before, "rs1"),
        "drained rs1 got new connections"
    );
    drop(d1);

    // q quits and tears the lab down.
    session.press("q");
    assert!(
        wait_until(Duration::from_secs(15), || !session.alive()),
        "console did not exit"
    );
    assert!(
        netns::list(&prefix).is_empty(),
        "namespaces left: {:?}",
        netns::list(&prefix)
    );
    assert!(!lab_dir(&prefix).exists(), "lab directory left behind");
    let left = lab_processes(&prefix);
    assert!(left.is_empty(), "processes left behind:\n{left}");
}
