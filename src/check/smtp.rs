//! SMTP_CHECK: the server must greet with 220 and answer `HELO` with 250;
//! the check then says `QUIT`.

use std::time::Duration;

use super::net::{self, Endpoint};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Read one SMTP reply (all continuation lines) and return its code.
async fn reply(reader: &mut BufReader<TcpStream>) -> Result<u16, String> {
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .await
            .map_err(|e| format!("smtp read: {e}"))?;
        if n == 0 {
            return Err("smtp: the server closed the connection".into());
        }
        if line.len() > 1024 {
            return Err("smtp: a reply line longer than 1 KiB".into());
        }
        // "250-..." continues; "250 ..." ends the reply.
        if line.as_bytes().get(3) != Some(&b'-') {
            return line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| format!("smtp: not a reply: {:?}", line.trim_end()));
        }
    }
}

async fn converse(to: Endpoint, helo_name: &str, timeout: Duration) -> Result<(), String> {
    let stream = net::connect(to, timeout).await?;
    let mut reader = BufReader::new(stream);
    let greeting = reply(&mut reader).await?;
    if greeting != 220 {
        return Err(format!("smtp {to}: greeting {greeting}, expected 220"));
    }
    reader
        .get_mut()
        .write_all(format!("HELO {helo_name}\r\n").as_bytes())
        .await
        .map_err(|e| format!("smtp send: {e}"))?;
    let helo = reply(&mut reader).await?;
    let _ = reader.get_mut().write_all(b"QUIT\r\n").await;
    if helo != 250 {
        return Err(format!("smtp {to}: HELO answered {helo}, expected 250"));
    }
    Ok(())
}

/// Probe `to` within `timeout`.
pub async fn probe(
    to: impl Into<Endpoint>,
    helo_name: &str,
    timeout: Duration,
) -> Result<(), String> {
    let to: Endpoint = to.into();
    tokio::time::timeout(timeout, converse(to, helo_name, timeout))
        .await
        .map_err(|_| format!("smtp {to}: no complete exchange within {timeout:?}"))?
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    async fn server(greeting: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.write_all(greeting.as_bytes()).await;
                let mut buffer = [0u8; 256];
                let _ = stream.read(&mut buffer).await;
                let _ = stream.write_all(b"250-mx.example\r\n250 ok\r\n").await;
            }
        });
        at
    }

    #[tokio::test]
    async fn greeting_and_helo_decide() {
        let good = server("220 mx.example ESMTP\r\n").await;
        assert_eq!(
            probe(good, "director", Duration::from_secs(2)).await,
            Ok(())
        );
        let busy = server("421 busy\r\n").await;
        let err = probe(busy, "director", Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(err.contains("greeting 421"), "{err}");
    }
}
