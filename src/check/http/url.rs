//! One `url` block of an HTTP_GET: what is fetched and what the answer must
//! be.

use serde::{Deserialize, Serialize};

use crate::config::checker_options::is_false;
use crate::config::keepalived::export::quoted;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::values::StatusRange;

/// One `url` block of HTTP_GET.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpUrl {
    /// The path to request.
    pub path: String,
    /// Accepted status codes, each a code (`"200"`) or a range
    /// (`"200-299"`); any 2xx when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_code: Vec<StatusRange>,
    /// MD5 of the expected body, as keepalived's `genhash` prints it.
    pub digest: Option<String>,
    /// A pattern the body must contain (keepalived `regex`; PCRE-like
    /// syntax without look-around or back-references).
    pub regex: Option<String>,
    /// Healthy when the pattern is *not* found (keepalived `regex_no_match`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub regex_no_match: bool,
    /// keepalived's `regex_options`: caseless, multiline, dotall,
    /// extended, ungreedy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex_options: Vec<String>,
    /// Host header (and SNI name) for this url alone; the checker's
    /// `virtualhost` when absent.
    pub virtualhost: Option<String>,
}

/// The `regex_options` director's pattern engine honours, and the inline
/// flag each becomes.
pub const REGEX_OPTIONS: [(&str, char); 5] = [
    ("caseless", 'i'),
    ("multiline", 'm'),
    ("dotall", 's'),
    ("extended", 'x'),
    ("ungreedy", 'U'),
];

impl HttpUrl {
    /// The body pattern with its options, compiled; what is wrong with it
    /// otherwise. `None` without a `regex`.
    pub fn body_regex(&self) -> Result<Option<regex::bytes::Regex>, String> {
        let Some(pattern) = &self.regex else {
            return Ok(None);
        };
        let mut flags = String::new();
        for option in &self.regex_options {
            match REGEX_OPTIONS.iter().find(|(name, _)| name == option) {
                Some((_, flag)) => flags.push(*flag),
                None => {
                    let known: Vec<_> = REGEX_OPTIONS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "regex_options {option:?} is not one of {}",
                        known.join(", ")
                    ));
                }
            }
        }
        let full = if flags.is_empty() {
            pattern.clone()
        } else {
            format!("(?{flags}){pattern}")
        };
        regex::bytes::RegexBuilder::new(&full)
            .size_limit(1 << 20)
            .build()
            .map(Some)
            .map_err(|e| format!("regex {pattern:?}: {e}"))
    }
}

impl HttpUrl {
    /// A url check of `path`: any 2xx, no digest, no pattern.
    pub fn at(path: &str) -> HttpUrl {
        HttpUrl {
            path: path.into(),
            status_code: Vec::new(),
            digest: None,
            regex: None,
            regex_no_match: false,
            regex_options: Vec::new(),
            virtualhost: None,
        }
    }
}

const URL_KNOWN: &[&str] = &[
    "path",
    "digest",
    "status_code",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_min_offset",
    "regex_max_offset",
    "regex_stack",
    "virtualhost",
];

/// Read a keepalived.conf `url { … }` block.
pub fn read(reader: &mut Reader, node: &Node) -> HttpUrl {
    let mut url = HttpUrl::at("/");
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "path" => {
                if let Some(path) = reader.value(item) {
                    url.path = path.text.clone();
                }
            }
            "digest" => url.digest = reader.value(item).map(|t| t.text.to_lowercase()),
            "status_code" => {
                for code in &item.args {
                    match code.text.parse() {
                        Ok(range) => url.status_code.push(range),
                        Err(message) => reader.error(&code.at, message),
                    }
                }
            }
            "regex" => url.regex = reader.rest(item),
            "regex_no_match" => url.regex_no_match = true,
            "virtualhost" => url.virtualhost = reader.value(item).map(|t| t.text.clone()),
            "regex_options" => url
                .regex_options
                .extend(item.args.iter().map(|t| t.text.clone())),
            _ => reader.unknown(item, "url", URL_KNOWN),
        }
    }
    url
}

/// Write it as a keepalived.conf `url { … }` block.
pub fn write(out: &mut String, url: &HttpUrl) {
    out.push_str(&format!(
        "            url {{\n                path {}\n",
        url.path
    ));
    if !url.status_code.is_empty() {
        let codes: Vec<String> = url.status_code.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "                status_code {}\n",
            codes.join(" ")
        ));
    }
    if let Some(digest) = &url.digest {
        out.push_str(&format!("                digest {digest}\n"));
    }
    if let Some(regex) = &url.regex {
        out.push_str(&format!("                regex {}\n", quoted(regex)));
    }
    if url.regex_no_match {
        out.push_str("                regex_no_match\n");
    }
    if let Some(host) = &url.virtualhost {
        out.push_str(&format!("                virtualhost {host}\n"));
    }
    if !url.regex_options.is_empty() {
        out.push_str(&format!(
            "                regex_options {}\n",
            url.regex_options.join(" ")
        ));
    }
    out.push_str("            }\n");
}

/// What is wrong with it, in words.
pub fn problems(url: &HttpUrl) -> Vec<String> {
    let mut problems: Vec<String> = url.body_regex().err().into_iter().collect();
    if url
        .digest
        .as_ref()
        .is_some_and(|d| d.len() != 32 || !d.chars().all(|c| c.is_ascii_hexdigit()))
    {
        problems.push(format!(
            "digest of {} must be 32 hex digits (an MD5, as genhash prints it)",
            url.path
        ));
    }
    problems
}
