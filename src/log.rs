//! What the daemon says on stderr: `director: …` lines for journald by
//! default, or one JSON object per line with `--log-format json`.

use std::sync::OnceLock;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// `director: kind: message`, one per line (journald adds the time).
    #[default]
    Text,
    /// `{"unix_ms":…,"kind":"…","message":"…"}`, one per line.
    Json,
}

static FORMAT: OnceLock<Format> = OnceLock::new();

/// Choose the format, once, before anything is logged.
pub fn set_format(format: Format) {
    let _ = FORMAT.set(format);
}

/// The line for `message` of `kind` ("engine", "vrrp", …; None for
/// general remarks) in `format`.
pub fn line(format: Format, unix_ms: u64, kind: Option<&str>, message: &str) -> String {
    match format {
        Format::Text => match kind {
            Some(kind) => format!("director: {kind}: {message}"),
            None => format!("director: {message}"),
        },
        Format::Json => serde_json::json!({
            "unix_ms": unix_ms,
            "kind": kind.unwrap_or("general"),
            "message": message,
        })
        .to_string(),
    }
}

/// Write `message` to stderr in the chosen format.
pub fn emit(kind: Option<&str>, message: &str) {
    let format = FORMAT.get().copied().unwrap_or_default();
    eprintln!(
        "{}",
        line(format, crate::engine::journal::unix_ms(), kind, message)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_text_or_as_json() {
        assert_eq!(
            line(Format::Text, 5, Some("vrrp"), "VI_1: BACKUP -> MASTER"),
            "director: vrrp: VI_1: BACKUP -> MASTER"
        );
        assert_eq!(line(Format::Text, 5, None, "ready"), "director: ready");
        let json: serde_json::Value =
            serde_json::from_str(&line(Format::Json, 5, Some("health"), "say \"hi\"")).unwrap();
        assert_eq!(json["unix_ms"], 5);
        assert_eq!(json["kind"], "health");
        assert_eq!(json["message"], "say \"hi\"");
    }
}
