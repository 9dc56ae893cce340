//! UDP_CHECK: send `payload` to the server's port. With `require_reply` a
//! reply must come back within the timeout (and start with the expected
//! bytes, when given); without it, silence is fine and only an ICMP port
//! unreachable (a refused connected socket) fails the check.

use std::time::Duration;

use super::net::{self, Endpoint};

/// What a UDP_CHECK sends and expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpProbe {
    /// The datagram sent.
    pub payload: Vec<u8>,
    /// `None`: no reply needed; `Some(prefix)`: a reply starting with it.
    pub require_reply: Option<Vec<u8>>,
}

/// Probe the endpoint once.
pub async fn probe(
    to: impl Into<Endpoint>,
    probe: &UdpProbe,
    timeout: Duration,
) -> Result<(), String> {
    let to: Endpoint = to.into();
    let socket = net::udp(to).await?;
    socket
        .send(&probe.payload)
        .await
        .map_err(|e| format!("udp send to {to}: {e}"))?;
    let mut reply = vec![0u8; 64 * 1024];
    match tokio::time::timeout(timeout, socket.recv(&mut reply)).await {
        Ok(Ok(n)) => match &probe.require_reply {
            Some(expected) if !reply[..n].starts_with(expected) => Err(format!(
                "udp {to}: the reply does not start with the expected {} bytes",
                expected.len()
            )),
            _ => Ok(()),
        },
        Ok(Err(e)) => Err(format!("udp {to}: {e}")),
        Err(_) if probe.require_reply.is_some() => {
            Err(format!("udp {to}: no reply within {timeout:?}"))
        }
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::UdpSocket;

    use super::*;

    #[tokio::test]
    async fn a_reply_is_required_only_when_asked_and_refusal_fails() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let at = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = [0u8; 64];
            while let Ok((_, from)) = server.recv_from(&mut buffer).await {
                let _ = server.send_to(b"PONG", from).await;
            }
        });
        let timeout = Duration::from_millis(500);
        let ask = |reply: Option<&[u8]>| UdpProbe {
            payload: b"PING".to_vec(),
            require_reply: reply.map(<[u8]>::to_vec),
        };
        assert_eq!(probe(at, &ask(Some(b"PO")), timeout).await, Ok(()));
        assert!(probe(at, &ask(Some(b"NO")), timeout).await.is_err());
        // A closed port answers with ICMP port unreachable.
        let closed = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let closed_at = closed.local_addr().unwrap();
        drop(closed);
        assert!(probe(closed_at, &ask(None), timeout).await.is_err());
    }
}
