//! Ctrl-C or SIGTERM in the middle of a benchmark still removes the
//! namespaces it made and the processes in them.

/// Take SIGINT and SIGTERM on a thread of their own: it removes every
/// namespace named `prefix-*` and exits 130. Call before any other thread
/// starts, so every later thread inherits the blocked mask (children get a
/// clean mask from `std::process::Command`).
pub fn clean_up_on_interrupt(benchmark: &'static str, prefix: String) {
    // SAFETY: plain signal-mask calls on a zeroed sigset_t, made while this
    // is the only thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        std::thread::spawn(move || {
            let mut signal = 0;
            libc::sigwait(&set, &mut signal);
            eprintln!("{benchmark}: interrupted; removing {prefix}-*");
            director::lab::cleanup_stale(&prefix);
            std::process::exit(130);
        });
    }
}
