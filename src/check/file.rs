//! FILE_CHECK: a tracked file holds a number. 0 means healthy at the
//! configured weight. Otherwise, with a weight of 0 the server is down;
//! with a weight W it stays up at `configured + value × W` (negated under
//! `reverse`), clamped to 0..=65535, as keepalived adjusts it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::kind::{open_block, Around, Kind, Outcome, Run, Target};
use crate::config::checker_options::{is_false, CheckTiming};
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;

/// The verdict for the file's `content`.
pub fn judge(content: &str, weight: i32, reverse: bool, configured: u32) -> Outcome {
    let Ok(value) = content.trim().parse::<i64>() else {
        return Outcome {
            health: Err(format!(
                "track file holds {:?}, not a number",
                content.trim()
            )),
            weight: None,
        };
    };
    if value == 0 {
        return Outcome {
            health: Ok(()),
            weight: Some(configured),
        };
    }
    if weight == 0 {
        return Outcome {
            health: Err(format!("track file holds {value}")),
            weight: None,
        };
    }
    let sign = if reverse { -1 } else { 1 };
    let adjusted = i64::from(configured) + sign * value * i64::from(weight);
    Outcome {
        health: Ok(()),
        weight: Some(adjusted.clamp(0, 65_535) as u32),
    }
}

/// Read `path` (a few bytes on a local file system) and judge it.
pub fn probe(path: &Path, weight: i32, reverse: bool, configured: u32) -> Outcome {
    match std::fs::read_to_string(path) {
        Ok(content) => judge(&content, weight, reverse, configured),
        Err(e) => Outcome {
            health: Err(format!("track file {}: {e}", path.display())),
            weight: None,
        },
    }
}

/// keepalived's FILE_CHECK: a `vrrp_track_file`'s number decides health or
/// weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    /// The name of a `vrrp_track_file`.
    pub track_file: String,
    /// 0: a non-zero value takes the server down; otherwise the weight
    /// moves by value × weight. The track file's own weight when absent.
    pub weight: Option<i32>,
    /// Subtract instead of add.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reverse: bool,
}

/// A FILE_CHECK's probe: the file and how its number counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProbe {
    /// The file.
    pub path: PathBuf,
    /// Multiplier (0: any non-zero value is down).
    pub weight: i32,
    /// Subtract instead of add.
    pub reverse: bool,
    /// The weight the value adjusts.
    pub configured: u32,
}

impl Kind for FileCheck {
    type Probe = FileProbe;
    const KEYWORD: &'static str = "FILE_CHECK";

    fn read(reader: &mut Reader, node: &Node, _: &CheckDefaults) -> Option<FileCheck> {
        let mut check = FileCheck {
            track_file: String::new(),
            weight: None,
            reverse: false,
        };
        for item in reader.block(node) {
            match item.keyword.text.as_str() {
                "track_file" => {
                    if let Some(name) = reader.value(item) {
                        check.track_file = name.text.clone();
                    }
                }
                "weight" => {
                    check.weight = reader.parse(item, "a weight");
                    check.reverse = item.args.get(1).is_some_and(|t| t.text == "reverse");
                }
                _ => reader.unknown(item, Self::KEYWORD, &["track_file", "weight"]),
            }
        }
        if check.track_file.is_empty() {
            reader.error(&node.keyword.at, "FILE_CHECK needs `track_file`".into());
            return None;
        }
        Some(check)
    }

    fn write(&self, out: &mut String) {
        open_block(out, Self::KEYWORD);
        out.push_str(&format!("            track_file {}\n", self.track_file));
        if let Some(weight) = self.weight {
            let reverse = if self.reverse { " reverse" } else { "" };
            out.push_str(&format!("            weight {weight}{reverse}\n"));
        }
        out.push_str("        }\n");
    }

    fn probe(&self, around: &Around<'_>) -> Option<(CheckTiming, FileProbe)> {
        let file = around
            .track_files
            .iter()
            .find(|t| t.name == self.track_file)?;
        let probe = FileProbe {
            path: file.file.clone().into(),
            weight: self.weight.unwrap_or(file.weight),
            reverse: self.reverse,
            configured: around.real.weight.0,
        };
        Some((CheckTiming::local(0, around.service.delay_loop), probe))
    }

    fn problems(&self, around: &Around<'_>) -> Vec<String> {
        if around.track_files.iter().any(|t| t.name == self.track_file) {
            return Vec::new();
        }
        vec![format!(
            "FILE_CHECK names track file {:?}, which no vrrp_track_file defines",
            self.track_file
        )]
    }
}

impl Run for FileProbe {
    async fn run(&self, _: Target) -> Outcome {
        probe(&self.path, self.weight, self.reverse, self.configured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_keepalived_reads_them() {
        assert_eq!(judge("0\n", 0, false, 5).health, Ok(()));
        assert!(judge("1", 0, false, 5).health.is_err());
        assert_eq!(judge("2", 3, false, 5).weight, Some(11));
        assert_eq!(judge("2", 3, true, 5).weight, Some(0), "clamped at 0");
        assert!(judge("many", 1, false, 5).health.is_err());
    }
}
