//! The little HTTP/1.x the metrics endpoint and the lab's servers need:
//! read a request head, answer with one complete response, close.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest request head accepted.
const MAX_HEAD: usize = 8192;

/// Read a request head (up to the blank line), each read bounded by 5 s.
/// `None` when the client went away, stalled, or sent more than 8 KiB.
pub async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buffer[..n]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// The path of a request head (`/` when it has none).
pub fn path(head: &str) -> &str {
    head.split_whitespace().nth(1).unwrap_or("/")
}

/// Write one response and close the connection.
pub async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_the_second_word() {
        assert_eq!(path("GET /metrics HTTP/1.1\r\n\r\n"), "/metrics");
        assert_eq!(path(""), "/");
    }
}
