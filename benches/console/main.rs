//! Console benchmark (not a test).
//!
//! 1. Frame time: build and diff one 160×48 frame with 10,000 real servers
//!    (100 services × 100), per view, into a real crossterm backend. Target
//!    ≤ 5 ms. Reference, same run: formatting the same table once as
//!    `director list --stats` does (what a `watch -n1` redraw costs).
//! 2. Idle cost: the real console (`director lab`, in tmux) for `SECONDS`
//!    (default 60) on the overview and then on the services view; target
//!    ≤ 1 % of a core. Reference, same run: `director list --stats` once a
//!    second against the same lab. RSS of both. Needs root and tmux; set
//!    `IDLE=0` to skip.

mod frame;
mod idle;
#[path = "../common/proc_stat.rs"]
mod proc_stat;
// Shared with the console tests, which use all of it; the bench does not.
#[allow(dead_code)]
#[path = "../../tests/common/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use director::ctl::{table, Columns};
use director::tui::fixture::large_snapshot;

const FRAME_TARGET: Duration = Duration::from_millis(5);
const IDLE_TARGET_PERCENT: f64 = 1.0;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn frames() {
    let frames = env_number("FRAMES", 300) as usize;
    let snapshot = large_snapshot(100, 100);
    let rounds = 50;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(table(&snapshot, Columns::Stats, false));
    }
    let listing = started.elapsed() / rounds;
    println!("frame time, 10,000 real servers, 160x48, {frames} frames per view (target <= 5 ms)");
    println!(
        "  reference: one `director list --stats` listing of the same table: {:.2} ms",
        ms(listing)
    );
    println!(
        "  {:<34} {:>8} {:>8} {:>12} {:>10} {:>12}",
        "view", "p50 ms", "p99 ms", "observe ms", "vs 5 ms", "vs listing"
    );
    let scenarios = [
        ("overview", ""),
        ("services, top of the tree", "2"),
        ("services, bottom (after G)", "2G"),
        ("services, filtered \"rs05\"", "2/rs05\n"),
        ("server detail", "2j\n"),
        ("events", "3"),
    ];
    for (name, keys) in scenarios {
        let t = frame::measure(name, keys, frames, 100, 100);
        println!(
            "  {:<34} {:>8.2} {:>8.2} {:>12.2} {:>9.2}x {:>11.2}x",
            t.name,
            ms(t.p50),
            ms(t.p99),
            ms(t.observe_p50),
            ms(t.p99) / ms(FRAME_TARGET),
            ms(t.p50) / ms(listing),
        );
    }
}

fn idle() -> Result<(), String> {
    let seconds = env_number("SECONDS", 60);
    let period = Duration::from_secs(seconds);
    let binary = std::env::var("DIRECTOR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/director").into());
    if !std::path::Path::new(&binary).exists() {
        return Err(format!("{binary} is missing: cargo build --release first"));
    }
    let prefix = format!("bc{}", std::process::id());
    let console = idle::Console::start(&binary, &prefix)?;
    let pid = console.pid().ok_or("no console pid")?;
    std::thread::sleep(Duration::from_secs(2));
    println!("\nidle cost over {seconds} s each, lab at 4 conn/s (target <= {IDLE_TARGET_PERCENT} % of a core)");
    let overview = idle::console_cost("console, overview (both directors)", pid, period);
    console.press("2");
    let services = idle::console_cost("console, services view", pid, period);
    let listing = idle::list_loop_cost(&binary, &console.socket(), period);
    for cost in [&overview, &services, &listing] {
        println!(
            "  {:<52} {:>6.2} % of a core  RSS {:>7} KiB  ({:.2}x the list loop's CPU)",
            cost.name,
            cost.cpu_percent,
            cost.rss_kib,
            cost.cpu_percent / listing.cpu_percent.max(0.001),
        );
    }
    drop(console);
    Ok(())
}

fn main() {
    frames();
    if env_number("IDLE", 1) == 1 {
        if let Err(why) = idle() {
            eprintln!("idle part not run: {why}");
            std::process::exit(1);
        }
    }
}
