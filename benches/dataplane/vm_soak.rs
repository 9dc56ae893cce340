//! The soak inside a qemu guest, for hosts whose descriptor limit cannot
//! hold it: a proxy needs two descriptors per connection, so 10,000
//! connections need more than 20,000, and raising the hard limit takes
//! CAP_SYS_RESOURCE, which this project's hosts do not give. The guest
//! (`tests/common/vm.rs`: Debian's kernel, busybox, one emulated CPU) has no
//! such limit. The host half boots it with this binary, director and wrk
//! inside; the guest half starts the two backends and director, runs the
//! same soak, and prints its report for the host to pass on. The figures
//! that matter here (RSS per connection, lost and misrouted connections)
//! do not depend on the emulated CPU's speed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::vm;

/// The first argument that makes this binary the guest half.
pub const GUEST: &str = "soak-guest";

/// Where the guest finds director.
const DIRECTOR_IN_GUEST: &str = "/bin/director";

/// Boot the guest, soak for `seconds` there, and return its report.
pub fn host(seconds: u64) -> Result<String, String> {
    vm::require_tools()?;
    if vm::which("wrk").as_os_str().is_empty() {
        return Err("wrk is missing; apt-get install -y wrk".into());
    }
    let kernel = vm::kernel()?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let args = format!("{GUEST} {seconds}");
    let guest = vm::Guest {
        program: &me,
        args: &args,
        modules: &[],
        programs: &[
            (
                PathBuf::from(env!("CARGO_BIN_EXE_director")),
                DIRECTOR_IN_GUEST,
            ),
            (vm::which("wrk"), "/bin/wrk"),
        ],
        // Emulated: connecting 10,000 clients takes minutes, not seconds.
        limit: Duration::from_secs(seconds + 1_200),
    };
    let console = vm::run_guest(&kernel, &guest)?;
    let report: Vec<&str> = console
        .lines()
        .filter_map(|l| l.split_once("BENCH ").map(|(_, r)| r))
        .collect();
    if !console.contains("GUEST RESULT 0") || report.is_empty() {
        return Err(format!("the guest failed:\n{console}"));
    }
    Ok(format!(
        "{} (in a qemu guest, one emulated CPU: this host's descriptor limit cannot hold the soak)",
        report.join("\n")
    ))
}

/// The guest half: backends, director, the soak. Returns the exit code.
pub fn guest() -> i32 {
    let seconds = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    for backend in crate::BACKENDS {
        runtime.spawn(crate::backend::serve(backend.parse().expect("an address")));
    }
    let dir = Path::new("/tmp");
    // Killed and reaped on every way out.
    let director = crate::Proxies(vec![crate::start_director(
        Path::new(DIRECTOR_IN_GUEST),
        dir,
        None,
    )]);
    let listening = Instant::now();
    while std::net::TcpStream::connect(crate::DIRECTOR).is_err() {
        if listening.elapsed() > Duration::from_secs(60) {
            println!("director did not listen within 60 s");
            return 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = director.0[0].id();
    let report = runtime.block_on(crate::soak::run(crate::DIRECTOR, pid, seconds));
    println!("BENCH {report}");
    0
}
