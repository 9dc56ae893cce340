//! HTTP_GET (and SSL_GET, over TLS): healthy when every `url` answers with an accepted status code
//! and, when a `digest` is given, a body whose MD5 matches it (as
//! keepalived's `genhash` prints it). One request per url, HTTP/1.0 (or
//! 1.1 with `Connection: close`), the whole exchange bounded by the
//! connect timeout, the body by `MAX_BODY`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::check::md5;
use crate::check::net::{self, Endpoint};
use crate::check::tls::{self, TlsClient};

/// The most of a body a check reads.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// One `url` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlCheck {
    /// The path requested.
    pub path: String,
    /// Accepted status codes as inclusive ranges; 200–299 when empty.
    pub status: Vec<(u16, u16)>,
    /// Expected MD5 of the body, lower-case hex.
    pub digest: Option<String>,
    /// A pattern the body must (or must not) contain.
    pub pattern: Option<BodyPattern>,
    /// Host header and SNI name for this url; the probe's when absent.
    pub virtualhost: Option<String>,
}

/// keepalived's `regex` (and `regex_no_match`) on a url.
#[derive(Debug, Clone)]
pub struct BodyPattern {
    /// The compiled pattern.
    pub regex: regex::bytes::Regex,
    /// Healthy when found (`regex`), or when not found (`regex_no_match`).
    pub expect_match: bool,
}

impl PartialEq for BodyPattern {
    fn eq(&self, other: &BodyPattern) -> bool {
        self.regex.as_str() == other.regex.as_str() && self.expect_match == other.expect_match
    }
}

impl Eq for BodyPattern {}

/// What an HTTP_GET asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProbe {
    /// The urls, all of which must pass.
    pub urls: Vec<UrlCheck>,
    /// The Host header; the to's address when absent.
    pub virtualhost: Option<String>,
    /// Speak HTTP/1.1 instead of 1.0.
    pub http_1_1: bool,
    /// Over TLS (SSL_GET), and how.
    pub tls: Option<TlsClient>,
}

/// Whether `status` is accepted by `ranges` (200–299 when there are none).
pub fn status_accepted(status: u16, ranges: &[(u16, u16)]) -> bool {
    if ranges.is_empty() {
        (200..300).contains(&status)
    } else {
        ranges
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&status))
    }
}

/// The status code and body of a complete HTTP response.
pub fn parse_response(bytes: &[u8]) -> Result<(u16, &[u8]), String> {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the response has no end of headers")?;
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let status_line = head.lines().next().unwrap_or_default();
    let mut words = status_line.split_whitespace();
    let version = words.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(format!("not an HTTP response: {status_line:?}"));
    }
    let status = words
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("no status code in {status_line:?}"))?;
    Ok((status, &bytes[head_end + 4..]))
}

async fn fetch(to: Endpoint, request: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut stream = net::connect(to, timeout).await?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send to {to}: {e}"))?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read from {to}: {e}"))?;
        if n == 0 {
            return Ok(response);
        }
        if response.len() + n > MAX_BODY {
            return Err(format!("{to}: the response exceeds {MAX_BODY} bytes"));
        }
        response.extend_from_slice(&chunk[..n]);
    }
}

/// One exchange over plain TCP or TLS.
async fn exchange(
    to: Endpoint,
    request: String,
    tls: Option<(&TlsClient, Option<&String>)>,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    let Some((client, server_name)) = tls else {
        return tokio::time::timeout(timeout, fetch(to, &request, timeout))
            .await
            .map_err(|_| format!("{to}: no complete answer within {timeout:?}"))?;
    };
    let client = client.clone();
    let server_name = server_name.cloned();
    tokio::task::spawn_blocking(move || {
        let config = client.config()?;
        tls::fetch_blocking(to, &request, config, server_name, timeout)
    })
    .await
    .map_err(|e| format!("tls {to}: {e}"))?
}

/// Check every url of `probe` on the endpoint within `timeout` each.
pub async fn probe(
    to: impl Into<Endpoint>,
    probe: &HttpProbe,
    timeout: Duration,
) -> Result<(), String> {
    let to: Endpoint = to.into();
    let version = if probe.http_1_1 { "1.1" } else { "1.0" };
    for url in &probe.urls {
        // keepalived's order: the url's virtualhost, then the checker's.
        let virtualhost = url.virtualhost.as_ref().or(probe.virtualhost.as_ref());
        let host = virtualhost.map_or_else(|| to.target.to_string(), Clone::clone);
        let request = format!(
            "GET {} HTTP/{version}\r\nHost: {host}\r\nUser-Agent: director-check\r\nConnection: close\r\n\r\n",
            url.path
        );
        let tls = probe.tls.as_ref().map(|client| (client, virtualhost));
        let response = exchange(to, request, tls, timeout)
            .await
            .map_err(|e| format!("GET {}: {e}", url.path))?;
        let (status, body) = parse_response(&response)?;
        if !status_accepted(status, &url.status) {
            return Err(format!("GET {} on {to}: status {status}", url.path));
        }
        if let Some(expected) = &url.digest {
            let actual = md5::hex(body);
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(format!(
                    "GET {} on {to}: body digest {actual}, expected {expected}",
                    url.path
                ));
            }
        }
        if let Some(pattern) = &url.pattern {
            let found = pattern.regex.is_match(body);
            if found != pattern.expect_match {
                let (what, expected) = if found {
                    ("contains", "must not")
                } else {
                    ("does not contain", "must")
                };
                return Err(format!(
                    "GET {} on {to}: body {what} /{}/ (it {expected})",
                    url.path,
                    pattern.regex.as_str()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use tokio::net::TcpListener;

    async fn server(status: &'static str, body: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                let reply = format!(
                    "HTTP/1.0 {status}\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        at
    }

    fn url(status: Vec<(u16, u16)>, digest: Option<&str>) -> HttpProbe {
        HttpProbe {
            urls: vec![UrlCheck {
                path: "/health".into(),
                status,
                digest: digest.map(Into::into),
                pattern: None,
                virtualhost: None,
            }],
            virtualhost: None,
            http_1_1: false,
            tls: None,
        }
    }

    #[tokio::test]
    async fn status_and_digest_decide() {
        let ok = server("200 OK", "alive\n").await;
        let timeout = Duration::from_secs(2);
        assert_eq!(probe(ok, &url(vec![], None), timeout).await, Ok(()));
        let digest = md5::hex(b"alive\n");
        assert_eq!(
            probe(ok, &url(vec![], Some(&digest)), timeout).await,
            Ok(())
        );
        let wrong = probe(ok, &url(vec![], Some("00")), timeout)
            .await
            .unwrap_err();
        assert!(wrong.contains("body digest"), "{wrong}");
        let failing = server("503 Service Unavailable", "").await;
        let err = probe(failing, &url(vec![], None), timeout)
            .await
            .unwrap_err();
        assert!(err.contains("status 503"), "{err}");
        assert_eq!(
            probe(failing, &url(vec![(500, 599)], None), timeout).await,
            Ok(()),
            "a range may accept it"
        );
    }

    #[tokio::test]
    async fn a_body_pattern_must_be_found_or_with_no_match_must_not() {
        let ok = server("200 OK", "status: GREEN\nversion 4.2\n").await;
        let timeout = Duration::from_secs(2);
        let with = |pattern: &str, expect_match: bool| {
            let mut probe = url(vec![], None);
            probe.urls[0].pattern = Some(BodyPattern {
                regex: regex::bytes::Regex::new(pattern).unwrap(),
                expect_match,
            });
            probe
        };
        assert_eq!(
            probe(ok, &with(r"version \d+\.\d+", true), timeout).await,
            Ok(())
        );
        let missing = probe(ok, &with("RED", true), timeout).await.unwrap_err();
        assert!(
            missing.ends_with("body does not contain /RED/ (it must)"),
            "{missing}"
        );
        assert_eq!(probe(ok, &with("RED", false), timeout).await, Ok(()));
        let present = probe(ok, &with("(?i)green", false), timeout)
            .await
            .unwrap_err();
        assert!(
            present.ends_with("body contains /(?i)green/ (it must not)"),
            "{present}"
        );
    }

    /// A server whose body is the request's Host header.
    async fn host_echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let n = stream.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let host = request
                    .lines()
                    .find_map(|line| line.strip_prefix("Host: "))
                    .unwrap_or_default()
                    .to_owned();
                let reply = format!("HTTP/1.0 200 OK\r\n\r\n{host}");
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        at
    }

    #[tokio::test]
    async fn a_urls_virtualhost_overrides_the_checkers() {
        let at = host_echo().await;
        let timeout = Duration::from_secs(2);
        let expecting = |body: &str, url_host: Option<&str>| {
            let mut probe = url(vec![], Some(&md5::hex(body.as_bytes())));
            probe.virtualhost = Some("checker.example".into());
            probe.urls[0].virtualhost = url_host.map(Into::into);
            probe
        };
        assert_eq!(
            probe(at, &expecting("checker.example", None), timeout).await,
            Ok(())
        );
        assert_eq!(
            probe(at, &expecting("url.example", Some("url.example")), timeout).await,
            Ok(())
        );
        let bare = url(vec![], Some(&md5::hex(at.to_string().as_bytes())));
        assert_eq!(probe(at, &bare, timeout).await, Ok(()), "address and port");
    }

    #[test]
    fn responses_without_headers_end_are_refused() {
        assert!(parse_response(b"HTTP/1.0 200 OK\r\n").is_err());
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert_eq!(parse_response(b"HTTP/1.1 204 No\r\n\r\n").unwrap().0, 204);
    }
}
