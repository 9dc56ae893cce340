//! SSL_GET: HTTP_GET over TLS. keepalived does not verify the server's
//! certificate, so a keepalived.conf import does not either (and says so);
//! native TOML verifies unless told not to.

use serde::{Deserialize, Serialize};

use super::http::{HttpGet, HttpProbe};
use super::kind::{Around, Kind};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::{CheckTiming, Timed};

/// keepalived's SSL_GET: an HTTP_GET whose exchanges go over TLS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SslGet(pub HttpGet);

impl Kind for SslGet {
    type Probe = HttpProbe;
    const KEYWORD: &'static str = "SSL_GET";

    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<SslGet> {
        let mut check = super::http::read(reader, node, defaults);
        // keepalived does not verify certificates; a drop-in keeps that.
        check.verify_certificate = false;
        reader.warn(
            &node.keyword.at,
            "SSL_GET: certificates are not verified, as keepalived does not verify them; in TOML set verify_certificate = true (and ca_file) to verify".into(),
        );
        Some(SslGet(check))
    }

    fn write(&self, out: &mut String) {
        if self.0.verify_certificate {
            out.push_str(
                "        ! director verifies this server's certificate; keepalived will not\n",
            );
        }
        self.0.write_as(out, Self::KEYWORD);
    }

    fn probe(&self, _: &Around<'_>) -> Option<(CheckTiming, HttpProbe)> {
        Some((self.0.timing(), self.0.probe_with(true)))
    }

    fn problems(&self, around: &Around<'_>) -> Vec<String> {
        self.0.problems(around)
    }
}
