//! HTTP_GET: healthy when every `url` answers as expected. The kind (its
//! model, keepalived.conf mapping and export, and spec) is here; the
//! exchange is in `probe`, a url's rules in `url`. SSL_GET (`check::ssl`)
//! is this over TLS.

mod probe;
pub mod url;

use serde::{Deserialize, Serialize};

pub use probe::*;
pub use url::{HttpUrl, REGEX_OPTIONS};

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use super::tls::{TlsClient, TlsOptions};
use crate::config::checker_options::{is_false, timed, with_probe_options, CheckTiming, Timed};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::checks_map::{Readable, NETWORK_KNOWN};
use crate::config::keepalived::export::write_timing;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::Port;

with_probe_options! {
    /// keepalived's HTTP_GET: healthy when every url answers as expected.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct HttpGet {
        /// The urls to fetch; all must pass.
        #[serde(rename = "url")]
        pub urls: Vec<HttpUrl>,
        /// Port to connect to; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// Host header; the server's address when absent.
        pub virtualhost: Option<String>,
        /// Speak HTTP/1.1 instead of HTTP/1.0 (keepalived `http_protocol 1.1`).
        #[serde(default, skip_serializing_if = "is_false")]
        pub http_1_1: bool,
        /// SSL_GET: send the virtualhost as SNI (keepalived `enable_sni`).
        #[serde(default, skip_serializing_if = "is_false")]
        pub enable_sni: bool,
        /// SSL_GET: verify the server's certificate (for the virtualhost, or its
        /// address). On unless switched off; keepalived.conf imports switch it
        /// off, as keepalived does not verify.
        #[serde(default = "default_true")]
        pub verify_certificate: bool,
        /// SSL_GET: trusted roots (PEM); the system's when absent.
        pub ca_file: Option<String>,
    }
}

fn default_true() -> bool {
    true
}

timed!(HttpGet);

impl HttpGet {
    /// An HTTP_GET of `urls` with every other option at its default.
    pub fn with_urls(urls: Vec<HttpUrl>) -> HttpGet {
        let mut check: HttpGet =
            toml::from_str("url = []").expect("every option but url has a default");
        check.urls = urls;
        check
    }
}

const HTTP_ONLY: &[&str] = &[
    "url",
    "virtualhost",
    "http_protocol",
    "enable_sni",
    "tls_compliant",
];

/// Read an `HTTP_GET { url { … } … }` or `SSL_GET { … }` block.
pub fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> HttpGet {
    let mut check = HttpGet::with_urls(Vec::new());
    defaults.seed(&mut check.options());
    check.virtualhost = defaults.virtualhost.clone();
    for item in reader.block(node) {
        if check.options().take(reader, item) {
            continue;
        }
        match item.keyword.text.as_str() {
            "url" => check.urls.push(url::read(reader, item)),
            "virtualhost" => check.virtualhost = reader.value(item).map(|t| t.text.clone()),
            "http_protocol" => match reader.value(item).map(|t| t.text.clone()) {
                Some(v) if v == "1.1" => check.http_1_1 = true,
                Some(v) if v == "1.0" || v == "1.0C" => check.http_1_1 = false,
                Some(v) => {
                    let at = item.args[0].at.clone();
                    reader.error(
                        &at,
                        format!("http_protocol must be 1.0, 1.0C or 1.1, not {v:?}"),
                    );
                }
                None => {}
            },
            "enable_sni" => check.enable_sni = true,
            _ => reader.unknown(
                item,
                &node.keyword.text,
                &[NETWORK_KNOWN, HTTP_ONLY].concat(),
            ),
        }
    }
    if check.urls.is_empty() {
        reader.error(
            &node.keyword.at,
            format!("{} needs at least one `url` block", node.keyword.text),
        );
    }
    check
}

impl HttpGet {
    /// Write its block under `keyword` (HTTP_GET or SSL_GET).
    pub fn write_as(&self, out: &mut String, keyword: &str) {
        open_block(out, keyword);
        for u in &self.urls {
            url::write(out, u);
        }
        if let Some(host) = &self.virtualhost {
            out.push_str(&format!("            virtualhost {host}\n"));
        }
        if self.http_1_1 {
            out.push_str("            http_protocol 1.1\n");
        }
        if self.enable_sni {
            out.push_str("            enable_sni\n");
        }
        write_timing(out, self.timing());
    }

    /// Its probe; over TLS for SSL_GET.
    pub fn probe_with(&self, tls: bool) -> HttpProbe {
        let urls = self
            .urls
            .iter()
            .map(|u| UrlCheck {
                path: u.path.clone(),
                status: u.status_code.iter().map(|r| (r.low, r.high)).collect(),
                digest: u.digest.clone(),
                // Validated at load: the pattern compiles.
                pattern: u.body_regex().ok().flatten().map(|regex| BodyPattern {
                    regex,
                    expect_match: !u.regex_no_match,
                }),
                virtualhost: u.virtualhost.clone(),
            })
            .collect();
        HttpProbe {
            urls,
            virtualhost: self.virtualhost.clone(),
            http_1_1: self.http_1_1,
            tls: tls.then(|| {
                TlsClient::new(TlsOptions {
                    sni: self.enable_sni,
                    verify: self.verify_certificate,
                    ca_file: self.ca_file.clone(),
                })
            }),
        }
    }
}

impl Kind for HttpGet {
    type Probe = HttpProbe;
    const KEYWORD: &'static str = "HTTP_GET";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<HttpGet> {
        Some(read(reader, node, defaults))
    }

    fn write(&self, out: &mut String) {
        self.write_as(out, Self::KEYWORD);
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, HttpProbe)> {
        Some((self.timing(), self.probe_with(false)))
    }

    fn problems(&self, _: &Around<'_>) -> Vec<String> {
        self.urls.iter().flat_map(url::problems).collect()
    }
}

impl Run for HttpProbe {
    async fn run(&self, target: Target) -> Outcome {
        probe(target.endpoint, self, target.timeout).await.into()
    }
}
