//! `director ctl`: the control socket from a shell or a script.

mod format;
mod ipvsadm;

use std::sync::Arc;
use std::time::Duration;

use crate::cli::{CtlArgs, CtlCommand, ListArgs};
use crate::control::client::attach;
use crate::engine::snapshot::TimeoutsView;
use crate::engine::{Answer, Command, EngineHandle, Request, Snapshot};

pub use format::status;
pub use ipvsadm::{connections, render, rules, table, Columns};

/// Exit code: the engine refused the request.
pub const EXIT_REFUSED: i32 = 1;
/// Exit code: nothing answers on the control socket (sysexits' EX_UNAVAILABLE).
pub const EXIT_UNAVAILABLE: i32 = 69;

/// Run one `ctl` subcommand; returns the exit code.
pub async fn run(args: CtlArgs) -> i32 {
    let handle = match attach(&args.socket).await {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!(
                "director ctl: no director answers at {}: {e}",
                args.socket.display()
            );
            return EXIT_UNAVAILABLE;
        }
    };
    let command = match args.command {
        CtlCommand::Status => {
            let Some(snapshot) = first_snapshot(&handle).await else {
                eprintln!("director ctl: the daemon sent no state within 5 s");
                return EXIT_UNAVAILABLE;
            };
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&*snapshot).unwrap_or_default()
                );
            } else {
                print!("{}", status(&snapshot));
            }
            return 0;
        }
        CtlCommand::List(list) => return list_table(&handle, list, args.json).await,
        CtlCommand::Events { follow } => return events(&handle, follow, args.json).await,
        CtlCommand::Engine(command) => command,
    };
    // SAFETY: getuid has no preconditions.
    let origin = format!("ctl (uid {})", unsafe { libc::getuid() });
    let reply = handle.request(Request { command, origin }).await;
    if args.json {
        let (ok, message) = match &reply {
            Ok(answer) => (true, answer.to_string()),
            Err(why) => (false, why.clone()),
        };
        println!("{}", serde_json::json!({ "ok": ok, "message": message }));
    }
    match reply {
        Ok(message) => {
            if !args.json {
                println!("{message}");
            }
            0
        }
        Err(message) => {
            if !args.json {
                eprintln!("director ctl: refused: {message}");
            }
            EXIT_REFUSED
        }
    }
}

async fn list_table(handle: &EngineHandle, list: ListArgs, json: bool) -> i32 {
    if list.connection {
        let request = Request {
            command: Command::Connections,
            origin: "ctl".into(),
        };
        let rows = match handle.request(request).await {
            Ok(Answer::Connections(rows)) => rows,
            Ok(other) => {
                eprintln!("director ctl: the daemon answered {other:?}, not the connection table");
                return EXIT_UNAVAILABLE;
            }
            Err(e) => {
                eprintln!("director ctl: refused: {e}");
                return EXIT_REFUSED;
            }
        };
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&rows).unwrap_or_default()
            );
        } else {
            print!("{}", connections(&rows));
        }
        return 0;
    }
    let Some(snapshot) = fresh_snapshot(handle).await else {
        eprintln!("director ctl: the daemon sent no state within 5 s");
        return EXIT_UNAVAILABLE;
    };
    if list.timeout {
        return list_timeouts(&snapshot, json);
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&snapshot.services).unwrap_or_default()
        );
        return 0;
    }
    let columns = if list.stats {
        Columns::Stats
    } else if list.rate {
        Columns::Rate
    } else if list.thresholds {
        Columns::Thresholds
    } else if list.persistent_conn {
        Columns::PersistentConn
    } else {
        Columns::Plain
    };
    if snapshot.dataplane == crate::ipvs::model::PlaneKind::Kernel {
        return list_kernel(columns, &list);
    }
    if list.save {
        print!("{}", rules(&snapshot.services));
    } else {
        print!("{}", table(&snapshot, columns, list.exact));
    }
    0
}

/// The connection timeouts in force, as `ipvsadm -L --timeout` prints
/// them: the daemon's on the userspace plane, the kernel's on the kernel
/// plane (read here, as ipvsadm would).
fn list_timeouts(snapshot: &Snapshot, json: bool) -> i32 {
    let timeouts = if snapshot.dataplane == crate::ipvs::model::PlaneKind::Kernel {
        match crate::ipvs::kernel::Ipvs::connect().and_then(|mut ipvs| ipvs.timeouts()) {
            Ok(t) => TimeoutsView {
                tcp: t.tcp.into(),
                tcpfin: t.tcp_fin.into(),
                udp: t.udp.into(),
            },
            Err(e) => {
                eprintln!("director ctl: the daemon runs the kernel plane, but {e}");
                return EXIT_UNAVAILABLE;
            }
        }
    } else if let Some(timeouts) = snapshot.timeouts {
        timeouts
    } else {
        eprintln!("director ctl: the daemon does not say its timeouts (an older version?)");
        return EXIT_UNAVAILABLE;
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&timeouts).unwrap_or_default()
        );
    } else {
        println!(
            "Timeout (tcp tcpfin udp): {} {} {}",
            timeouts.tcp, timeouts.tcpfin, timeouts.udp
        );
    }
    0
}

/// On the kernel plane the table is the kernel's, and it is listed as
/// `ipvsadm` lists it: read here over netlink, services director does not
/// manage included, in ipvsadm's order.
fn list_kernel(columns: Columns, list: &ListArgs) -> i32 {
    use crate::ipvs::kernel::{header, views, Ipvs};
    let read = Ipvs::connect().and_then(|mut ipvs| Ok((ipvs.info()?, ipvs.table()?)));
    let (info, kernel) = match read {
        Ok(read) => read,
        Err(e) => {
            eprintln!("director ctl: the daemon runs the kernel plane, but {e}");
            return EXIT_UNAVAILABLE;
        }
    };
    let services = views(&kernel);
    if list.save {
        print!("{}", rules(&services));
    } else {
        print!("{}", render(&header(&info), &services, columns, list.exact));
    }
    0
}

/// A snapshot with counters as of now, or failing that the first to come.
async fn fresh_snapshot(handle: &EngineHandle) -> Option<Arc<Snapshot>> {
    match handle.fresh_snapshot("ctl").await {
        Some(s) => Some(s),
        None => first_snapshot(handle).await,
    }
}

async fn first_snapshot(handle: &EngineHandle) -> Option<Arc<Snapshot>> {
    let mut snapshots = handle.snapshots.clone();
    let wait = async {
        loop {
            if let Some(s) = snapshots.borrow_and_update().clone() {
                return Some(s);
            }
            snapshots.changed().await.ok()?;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .ok()
        .flatten()
}

async fn events(handle: &EngineHandle, follow: bool, json: bool) -> i32 {
    let mut snapshots = handle.snapshots.clone();
    let mut printed: Option<(u64, String)> = None;
    loop {
        if let Some(snapshot) = snapshots.borrow_and_update().clone() {
            let start = printed
                .as_ref()
                .and_then(|(at, text)| {
                    snapshot
                        .events
                        .iter()
                        .rposition(|e| e.unix_ms == *at && e.text == *text)
                })
                .map_or(0, |i| i + 1);
            for event in &snapshot.events[start..] {
                if json {
                    println!("{}", serde_json::to_string(event).unwrap_or_default());
                } else {
                    println!("{}", format::event_line(event));
                }
                printed = Some((event.unix_ms, event.text.clone()));
            }
            if !follow {
                return 0;
            }
        }
        if snapshots.changed().await.is_err() {
            eprintln!("director ctl: the daemon went away");
            return EXIT_UNAVAILABLE;
        }
    }
}
