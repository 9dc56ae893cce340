//! What the daemon says on stderr, through `tracing`. By default one text
//! line per event, journald-friendly: no timestamps or colours (the journal
//! adds its own), and, when stderr is the journal (`JOURNAL_STREAM` is
//! set), an sd-daemon `<N>` priority prefix so that warnings are warnings
//! in `journalctl -p`. With `--log-format json`, one JSON object per line.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// `director: kind: message`, one per line (journald adds the time).
    #[default]
    Text,
    /// `{"unix_ms":…,"level":"…","kind":"…","message":"…"}`, one per line.
    Json,
}

/// Install the process's subscriber, once, before anything is logged.
/// Without one (the console, the tools) events go nowhere.
pub fn init(format: Format) {
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(Level::INFO)
        .event_format(Lines { format, journal })
        .try_init();
}

/// Log `message` of `kind` ("engine", "vrrp", …; None for general remarks).
pub fn emit(kind: Option<&str>, message: &str) {
    tracing::info!(kind = kind.unwrap_or("general"), "{message}");
}

/// Log a failure the operator should look at.
pub fn warn(kind: Option<&str>, message: &str) {
    tracing::warn!(kind = kind.unwrap_or("general"), "{message}");
}

/// The line for `message` of `kind` at `level` in `format`; `journal`
/// adds the sd-daemon priority prefix to text lines.
pub fn line(
    format: Format,
    journal: bool,
    (unix_ms, level): (u64, Level),
    kind: &str,
    message: &str,
) -> String {
    match format {
        Format::Text => {
            let prefix = match (journal, level) {
                (false, _) => "",
                (true, Level::ERROR) => "<3>",
                (true, Level::WARN) => "<4>",
                (true, _) => "<6>",
            };
            let warning = if level <= Level::WARN && !journal {
                "warning: "
            } else {
                ""
            };
            match kind {
                "general" => format!("{prefix}director: {warning}{message}"),
                kind => format!("{prefix}director: {kind}: {warning}{message}"),
            }
        }
        Format::Json => serde_json::json!({
            "unix_ms": unix_ms,
            "level": level.as_str().to_lowercase(),
            "kind": kind,
            "message": message,
        })
        .to_string(),
    }
}

/// Formats events as `line` does.
struct Lines {
    format: Format,
    journal: bool,
}

/// Picks `kind` and `message` out of an event.
#[derive(Default)]
struct Fields {
    kind: String,
    message: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "kind" => self.kind = value.to_string(),
            "message" => self.message = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "kind" => self.kind = format!("{value:?}"),
            "message" => self.message = format!("{value:?}"),
            _ => {}
        }
    }
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let kind = if fields.kind.is_empty() {
            "general"
        } else {
            &fields.kind
        };
        let at = (crate::engine::clock::unix_ms(), *event.metadata().level());
        let text = line(self.format, self.journal, at, kind, &fields.message);
        writeln!(writer, "{text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_text_or_as_json() {
        let info = (5, Level::INFO);
        assert_eq!(
            line(Format::Text, false, info, "vrrp", "VI_1: BACKUP -> MASTER"),
            "director: vrrp: VI_1: BACKUP -> MASTER"
        );
        assert_eq!(
            line(Format::Text, false, info, "general", "ready"),
            "director: ready"
        );
        let json: serde_json::Value =
            serde_json::from_str(&line(Format::Json, false, info, "health", "say \"hi\"")).unwrap();
        assert_eq!(json["unix_ms"], 5);
        assert_eq!(json["level"], "info");
        assert_eq!(json["kind"], "health");
        assert_eq!(json["message"], "say \"hi\"");
    }

    #[test]
    fn the_journal_gets_priorities_and_a_terminal_gets_words() {
        let warn = (5, Level::WARN);
        assert_eq!(
            line(Format::Text, true, warn, "general", "cannot notify systemd"),
            "<4>director: cannot notify systemd"
        );
        assert_eq!(
            line(Format::Text, true, (5, Level::INFO), "vrrp", "up"),
            "<6>director: vrrp: up"
        );
        assert_eq!(
            line(
                Format::Text,
                false,
                warn,
                "general",
                "cannot notify systemd"
            ),
            "director: warning: cannot notify systemd"
        );
    }
}
