//! What the subcommands do, behind `main.rs`, which only parses the
//! command line and dispatches here: each returns the process's exit code.

pub mod config;
pub mod console;
pub mod lab;
pub mod process;

/// The exit code of a result, its message printed on stderr.
pub fn report(result: Result<(), (i32, String)>) -> i32 {
    match result {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("director: {message}");
            code
        }
    }
}

/// Who acts, as the journal names a console's operator.
pub fn origin() -> String {
    // SAFETY: getuid has no preconditions.
    format!("console (uid {})", unsafe { libc::getuid() })
}
