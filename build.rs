//! Links the daemon's hot functions together (release builds on x86-64
//! Linux, where rustc links with its own LLD).
//!
//! An idle director touches a few hundred KiB of code: the engine loop, the
//! advert timer, the raw socket. Left where the compiler puts them, those
//! functions are spread over the whole 6 MiB text, and the kernel maps 64 KiB
//! around every page fault, so the idle daemon ends up holding ~2 MiB of
//! code. `assets/layout/hot-functions.txt` lists them (written by
//! `cargo bench --profile release --bench layout -- --write`); LLD puts them
//! first, side by side. A name the build no longer has is skipped, so a stale
//! list costs memory, never correctness; `.ci/run` checks it is current.

use std::env;
use std::fs;
use std::path::Path;

const LIST: &str = "assets/layout/hot-functions.txt";

fn main() {
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let target = env::var("TARGET").unwrap_or_default();
    let optimised = env::var("PROFILE").is_ok_and(|p| p == "release");
    // Only rustc's default linker (rust-lld since 1.90) is known to take the flag.
    let own_linker = env::var_os("RUSTC_LINKER").is_none()
        && !env::var("CARGO_ENCODED_RUSTFLAGS").is_ok_and(|f| f.contains("linker"));
    if target != "x86_64-unknown-linux-gnu" || !optimised || !own_linker {
        return;
    }
    let list = fs::read_to_string(LIST).unwrap_or_else(|e| panic!("{LIST}: {e}"));
    let names: String = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("hot-functions.txt");
    fs::write(&out, names).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        out.display()
    );
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}
