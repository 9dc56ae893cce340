//! Fetch a page and print its body: how tests see which server answered.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one request may take in all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// GET `path` from `target`; the body, trimmed, or what went wrong.
pub async fn fetch(target: SocketAddr, path: &str) -> Result<String, String> {
    let exchange = async {
        let mut stream = TcpStream::connect(target)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {target}\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("send: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .map_err(|e| format!("receive: {e}"))?;
        let text = String::from_utf8_lossy(&response);
        let (_, body) = text
            .split_once("\r\n\r\n")
            .ok_or("response has no header end")?;
        Ok(body.trim().to_string())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no response within {REQUEST_TIMEOUT:?}")))
}

/// Print one line per request: the body, or `ERROR why`.
pub async fn run(target: SocketAddr, count: u32) {
    for _ in 0..count {
        match fetch(target, "/").await {
            Ok(body) => println!("{body}"),
            Err(why) => println!("ERROR {why}"),
        }
    }
}
