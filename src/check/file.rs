//! FILE_CHECK: a tracked file holds a number. 0 means healthy at the
//! configured weight. Otherwise, with a weight of 0 the server is down;
//! with a weight W it stays up at `configured + value × W` (negated under
//! `reverse`), clamped to 0..=65535, as keepalived adjusts it.

use std::path::Path;

use super::misc::MiscResult;

/// The verdict for the file's `content`.
pub fn judge(content: &str, weight: i32, reverse: bool, configured: u32) -> MiscResult {
    let Ok(value) = content.trim().parse::<i64>() else {
        return MiscResult {
            health: Err(format!(
                "track file holds {:?}, not a number",
                content.trim()
            )),
            weight: None,
        };
    };
    if value == 0 {
        return MiscResult {
            health: Ok(()),
            weight: Some(configured),
        };
    }
    if weight == 0 {
        return MiscResult {
            health: Err(format!("track file holds {value}")),
            weight: None,
        };
    }
    let sign = if reverse { -1 } else { 1 };
    let adjusted = i64::from(configured) + sign * value * i64::from(weight);
    MiscResult {
        health: Ok(()),
        weight: Some(adjusted.clamp(0, 65_535) as u32),
    }
}

/// Read `path` (a few bytes on a local file system) and judge it.
pub fn probe(path: &Path, weight: i32, reverse: bool, configured: u32) -> MiscResult {
    match std::fs::read_to_string(path) {
        Ok(content) => judge(&content, weight, reverse, configured),
        Err(e) => MiscResult {
            health: Err(format!("track file {}: {e}", path.display())),
            weight: None,
        },
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
