//! A gentle, bounded client load: `rate` connections a second, each held
//! open by the server for 0.5–2.5 s, for at most `max_seconds`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::get::fetch;

/// A small xorshift generator; the load needs variety, not quality.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Run the load until `max_seconds` have passed.
pub async fn run(target: SocketAddr, rate: u32, max_seconds: u64) {
    let period = Duration::from_secs(1) / rate.max(1);
    let mut seed = u64::from(std::process::id()) | 1;
    let deadline = Instant::now() + Duration::from_secs(max_seconds);
    let mut ticker = tokio::time::interval(period);
    while Instant::now() < deadline {
        ticker.tick().await;
        let hold = 500 + next(&mut seed) % 2000;
        tokio::spawn(async move {
            let _ = fetch(target, &format!("/hold?ms={hold}")).await;
        });
    }
}
