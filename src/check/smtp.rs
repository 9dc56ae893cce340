//! SMTP_CHECK: the server must greet with 220 and answer `HELO` with 250;
//! the check then says `QUIT`.

use std::time::Duration;

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use super::net::{self, Endpoint};
use crate::config::checker_options::{timed, with_probe_options, CheckTiming, Timed};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::checks_map::read_network;
use crate::config::keepalived::export::write_timing;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::Port;
use serde::{Deserialize, Serialize};
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

with_probe_options! {
    /// keepalived's SMTP_CHECK: a 220 greeting and a 250 answer to HELO.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SmtpCheck {
        /// Port to connect to; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// The name given in HELO; this host's name when absent.
        pub helo_name: Option<String>,
    }
}

timed!(SmtpCheck);

/// An SMTP_CHECK's probe: the name it gives in HELO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpProbe {
    /// The name given in HELO.
    pub helo_name: String,
}

impl Kind for SmtpCheck {
    type Probe = SmtpProbe;
    const KEYWORD: &'static str = "SMTP_CHECK";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<SmtpCheck> {
        let mut helo = None;
        let extra = ["helo_name"];
        let mut check: SmtpCheck = read_network(reader, node, defaults, &extra, |reader, item| {
            if item.keyword.text != "helo_name" {
                return false;
            }
            helo = reader.value(item).map(|t| t.text.clone());
            true
        });
        check.helo_name = helo;
        Some(check)
    }

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        if let Some(helo) = &self.helo_name {
            out.push_str(&format!("            helo_name {helo}\n"));
        }
        write_timing(out, self.timing());
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, SmtpProbe)> {
        let helo_name = self
            .helo_name
            .clone()
            .unwrap_or_else(crate::daemon::hostname);
        Some((self.timing(), SmtpProbe { helo_name }))
    }
}

impl Run for SmtpProbe {
    async fn run(&self, target: Target) -> Outcome {
        probe(target.endpoint, &self.helo_name, target.timeout)
            .await
            .into()
    }
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
