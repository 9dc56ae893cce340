//! keepalived's parameters: `$NAME=value` definitions (one line, or several
//! joined by trailing `\`) and the pre-defined `${_PWD}`, `${_INSTANCE}`,
//! `${_RANDOM [MIN [MAX]]}`, `${_HASH}` and `${_BANG}`.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};

/// The parameters defined so far.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    defined: HashMap<String, String>,
    instance: String,
    /// The directory of the file being read (`${_PWD}`).
    pub pwd: PathBuf,
}

impl Vars {
    /// No definitions yet; `config_id` is `${_INSTANCE}` (the host name when absent).
    pub fn new(config_id: Option<&str>) -> Vars {
        let instance = config_id.map(str::to_string).unwrap_or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_default()
        });
        Vars {
            defined: HashMap::new(),
            instance,
            pwd: PathBuf::from("."),
        }
    }

    /// Define (or redefine) `name`.
    pub fn define(&mut self, name: &str, value: String) {
        self.defined.insert(name.to_string(), value);
    }

    /// The value `reference` (a name, or `_RANDOM MIN MAX`) stands for;
    /// `None` when it is not defined, and then it stays as written.
    pub fn get(&self, reference: &str) -> Option<String> {
        let mut words = reference.split_whitespace();
        let name = words.next()?;
        if let Some(value) = self.defined.get(name) {
            return Some(value.clone());
        }
        match name {
            "_PWD" => Some(absolute(&self.pwd).display().to_string()),
            "_INSTANCE" => Some(self.instance.clone()),
            "_HASH" => Some("#".into()),
            "_BANG" => Some("!".into()),
            "_RANDOM" => {
                let min: u64 = words.next().map_or(Some(0), |w| w.parse().ok())?;
                let max: u64 = words.next().map_or(Some(32767), |w| w.parse().ok())?;
                let span = max.checked_sub(min)?.saturating_add(1);
                let random = std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish();
                Some((min + random % span).to_string())
            }
            _ => None,
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `name` may name a parameter: letters, digits and `_`, not
/// starting with a digit.
pub fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_parameters() {
        let vars = Vars::new(Some("lb1"));
        assert_eq!(vars.get("_INSTANCE").as_deref(), Some("lb1"));
        assert_eq!(vars.get("_HASH").as_deref(), Some("#"));
        assert_eq!(vars.get("_BANG").as_deref(), Some("!"));
        for _ in 0..50 {
            let n: u64 = vars.get("_RANDOM 5 7").unwrap().parse().unwrap();
            assert!((5..=7).contains(&n));
        }
        assert_eq!(vars.get("_RANDOM 7 5"), None);
        assert_eq!(vars.get("UNDEFINED"), None);
        assert!(is_name("A_1") && !is_name("1A") && !is_name("a-b"));
    }
}
