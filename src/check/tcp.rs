//! TCP_CHECK: healthy when a TCP connect completes within the timeout.

use std::time::Duration;

use super::net::{self, Endpoint};

/// Connect to the endpoint; `Ok` on success, otherwise what went wrong.
pub async fn probe(to: impl Into<Endpoint>, timeout: Duration) -> Result<(), String> {
    net::connect(to.into(), timeout).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn succeeds_against_a_listener_and_names_the_target_on_refusal() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        assert_eq!(probe(open, Duration::from_secs(2)).await, Ok(()));
        drop(listener);
        let err = probe(open, Duration::from_secs(2)).await.unwrap_err();
        assert!(err.contains(&open.to_string()), "{err}");
    }
}
