//! A small keep-alive HTTP/1.1 backend: `/` answers a short body naming
//! the backend, `/bulk` a 100 MB body from one shared buffer.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The bulk body's size.
pub const BULK: usize = 100 * 1024 * 1024;

/// Serve on `address` until the runtime stops.
pub async fn serve(address: SocketAddr) {
    let listener = TcpListener::bind(address).await.expect("backend binds");
    let bulk: Arc<Vec<u8>> = Arc::new(vec![b'x'; 1024 * 1024]);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, bulk.clone(), address));
    }
}

async fn connection(mut stream: TcpStream, bulk: Arc<Vec<u8>>, me: SocketAddr) {
    let mut buffer = vec![0u8; 8192];
    let mut filled = 0;
    loop {
        let Ok(n) = stream.read(&mut buffer[filled..]).await else {
            return;
        };
        if n == 0 {
            return;
        }
        filled += n;
        while let Some(end) = find_head_end(&buffer[..filled]) {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let close = head.contains("connection: close");
            let ok = if head.starts_with("get /bulk") {
                send_bulk(&mut stream, &bulk, close).await
            } else {
                let body = format!("hello from {me}\n");
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{}\r\n{body}",
                    body.len(),
                    if close { "Connection: close\r\n" } else { "" }
                );
                stream.write_all(reply.as_bytes()).await.is_ok()
            };
            if !ok || close {
                return;
            }
            buffer.copy_within(end..filled, 0);
            filled -= end;
        }
        if filled == buffer.len() {
            return; // a head larger than 8 KiB: not from wrk
        }
    }
}

fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

async fn send_bulk(stream: &mut TcpStream, chunk: &[u8], close: bool) -> bool {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {BULK}\r\n{}\r\n",
        if close { "Connection: close\r\n" } else { "" }
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    let mut left = BULK;
    while left > 0 {
        let n = left.min(chunk.len());
        if stream.write_all(&chunk[..n]).await.is_err() {
            return false;
        }
        left -= n;
    }
    true
}
