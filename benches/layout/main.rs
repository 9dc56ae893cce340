//! Layout tool (a bench target, not a benchmark): records which functions a
//! running director executes and writes them to
//! `assets/layout/hot-functions.txt`, which `build.rs` hands to the linker so
//! that they sit side by side at the start of the text.
//!
//! Why: the kernel maps 64 KiB of a binary around every page fault. An idle
//! daemon touches a few hundred KiB of code; scattered over 6 MiB of text, that
//! kept ~2 MiB resident. Side by side, the same code keeps a few hundred KiB.
//!
//! How: each daemon runs with `split_pages.c` preloaded, which splits the
//! binary's read-only mappings into one VMA per page before `main`. Fault-around
//! stops at a VMA's edge, so once the daemon has given back its start-up pages
//! a page is resident only if it ran. Every function on such a page is listed
//! (a page holds several functions, so the list over-counts; each run on the
//! laid-out binary trims the bystanders of the last, so run `--write` twice
//! after large changes).
//!
//! Run as root, always with `--profile release`: the bench profile gives every
//! function a different hash, and the list must name the release build's.
//! * `cargo bench --profile release --bench layout` — report only;
//! * `… -- --write` — rewrite the list;
//! * `… -- --check` — fail unless the built binary defines 90 % of the list
//!   (a dependency, toolchain or profile change renames every function).

#[path = "../common/interrupt.rs"]
mod interrupt;
#[path = "../common/layout.rs"]
mod layout;
mod scenarios;
mod touched;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layout::Function;
use scenarios::{Daemon, Topology};
use touched::Resident;

/// Below this share of the list present in the binary, `--check` fails.
const MIN_COVERAGE: f64 = 0.9;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_director"))
        .expect("the director binary cargo built");
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => record(&binary, false),
        ["--write"] => record(&binary, true),
        ["--check"] => check(&binary),
        _ => {
            Err("usage: cargo bench --profile release --bench layout [-- --write | --check]".into())
        }
    };
    if let Err(why) = outcome {
        eprintln!("layout: {why}");
        std::process::exit(1);
    }
}

fn check(binary: &Path) -> Result<(), String> {
    let (present, listed) = layout::coverage(binary)?;
    println!(
        "layout: {present} of the {listed} functions in {} are defined by {}",
        layout::LIST,
        binary.display()
    );
    if (present as f64) < MIN_COVERAGE * listed as f64 {
        return Err(format!(
            "the list is stale (a dependency, the toolchain or the release profile changed, and \
             with it every function's name): regenerate it as root with `cargo bench --profile \
             release --bench layout -- --write` and commit {}",
            layout::LIST
        ));
    }
    Ok(())
}

fn record(binary: &Path, write: bool) -> Result<(), String> {
    director::lab::netns::check_privileges()?;
    let prefix = format!("dlay{}", std::process::id());
    interrupt::clean_up_on_interrupt("layout", prefix.clone());
    let work = std::env::temp_dir().join(format!("director-layout-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let outcome = record_in(binary, &prefix, &work, write);
    let _ = std::fs::remove_dir_all(&work);
    outcome
}

fn record_in(binary: &Path, prefix: &str, work: &Path, write: bool) -> Result<(), String> {
    let preload = compile_preload(work)?;
    let functions = layout::functions(binary)?;
    let mut measure = |d: &Daemon| -> Result<Resident, String> {
        let resident = touched::resident(d.pid, binary)?;
        // One mapping per page means thousands; unsplit, there are three.
        if resident.mappings < 100 {
            return Err(format!(
                "{}: the binary is in {} mappings: the split preload did not run",
                d.label, resident.mappings
            ));
        }
        Ok(resident)
    };
    let mut runs = {
        let mut topology = Topology::new(prefix, binary, &preload)?;
        let mut runs = scenarios::idle_master(&mut topology, 20, &mut measure)?;
        runs.extend(scenarios::handovers(&mut topology, 3, &mut measure)?);
        runs
    };
    runs.extend(scenarios::lab(
        &format!("{prefix}l"),
        binary,
        &preload,
        20,
        &mut measure,
    )?);
    let old: HashSet<String> = std::fs::read_to_string(layout::LIST)
        .map(|t| layout::listed(&t).into_iter().collect())
        .unwrap_or_default();
    let mut listed = HashSet::new();
    let mut sections = Vec::new();
    println!(
        "{:<14} {:>8} {:>10} {:>10} {:>8} {:>12}",
        "daemon", "pages", "functions", "new", "KiB", "not listed"
    );
    for (daemon, resident) in &runs {
        let ran: Vec<&Function> = functions
            .iter()
            .filter(|f| touched::touches(&resident.pages, f.address, f.size))
            .collect();
        let new: Vec<&Function> = ran
            .iter()
            .copied()
            .filter(|f| listed.insert(f.name.clone()))
            .collect();
        println!(
            "{:<14} {:>8} {:>10} {:>10} {:>8} {:>12}",
            daemon.label,
            resident.pages.len(),
            ran.len(),
            new.len(),
            new.iter().map(|f| f.size).sum::<u64>() / 1024,
            ran.iter().filter(|f| !old.contains(&f.name)).count()
        );
        sections.push((daemon.label.clone(), new));
    }
    if write {
        write_list(binary, &sections)?;
        println!(
            "layout: wrote {} functions to {}",
            listed.len(),
            layout::LIST
        );
    }
    Ok(())
}

/// Build the preload with the system C compiler (the one rustc links with).
fn compile_preload(work: &Path) -> Result<PathBuf, String> {
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/layout/split_pages.c");
    let library = work.join("split_pages.so");
    let output = Command::new("cc")
        .args(["-O2", "-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(source)
        .output()
        .map_err(|e| format!("cc: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cc {source}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(library)
}

fn write_list(binary: &Path, sections: &[(String, Vec<&Function>)]) -> Result<(), String> {
    let mut text = format!(
        "# Functions a running director executes, hottest scenario first; build.rs\n\
         # gives them to the linker so they sit side by side. Written by\n\
         # `cargo bench --profile release --bench layout -- --write` from\n\
         # {}; names carry the release build's hashes.\n",
        binary.file_name().unwrap_or_default().to_string_lossy()
    );
    for (label, functions) in sections {
        text += &format!("# {label}\n");
        for f in functions {
            text += &f.name;
            text.push('\n');
        }
    }
    std::fs::write(layout::LIST, text).map_err(|e| format!("{}: {e}", layout::LIST))
}
