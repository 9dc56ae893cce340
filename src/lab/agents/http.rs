//! An HTTP/1.0 server that answers with its own name. `GET /hold?ms=N`
//! waits N milliseconds (at most 10 s) first, so connections stay active.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// The longest hold a request may ask for.
const MAX_HOLD: Duration = Duration::from_secs(10);

/// Serve until killed.
pub async fn serve(name: String, listen: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    eprintln!("{name}: serving HTTP on {listen}");
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(answer(stream, name.clone()));
    }
}

/// How long the request in `head` asks to be held.
pub fn requested_hold(head: &str) -> Duration {
    crate::http::path(head)
        .strip_prefix("/hold?ms=")
        .and_then(|ms| ms.parse::<u64>().ok())
        .map_or(Duration::ZERO, |ms| Duration::from_millis(ms).min(MAX_HOLD))
}

async fn answer(mut stream: TcpStream, name: String) {
    let Some(head) = crate::http::read_head(&mut stream).await else {
        return;
    };
    tokio::time::sleep(requested_hold(&head)).await;
    crate::http::respond(&mut stream, "200 OK", "text/plain", &format!("{name}\n")).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_is_parsed_and_capped() {
        assert_eq!(requested_hold("GET / HTTP/1.0\r\n"), Duration::ZERO);
        assert_eq!(
            requested_hold("GET /hold?ms=250 HTTP/1.0\r\n"),
            Duration::from_millis(250)
        );
        assert_eq!(requested_hold("GET /hold?ms=999999 HTTP/1.0\r\n"), MAX_HOLD);
        assert_eq!(
            requested_hold("GET /hold?ms=x HTTP/1.0\r\n"),
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn answers_with_its_name() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            answer(stream, "rs9".into()).await;
        });
        let body = super::super::get::fetch(address, "/").await.unwrap();
        assert_eq!(body, "rs9");
    }
}
