//! keepalived's `init_file` of a `vrrp_track_file`: at start (and when a
//! reload brings a new or changed block) the file gets its initial value
//! if it is missing, or always with `overwrite`, before it is watched.

use std::path::Path;

use crate::config::VrrpTrackFile;

/// Initialise each of `files` that asks for it; one line per file
/// written or refused, for the journal.
pub fn initialise<'a>(files: impl IntoIterator<Item = &'a VrrpTrackFile>) -> Vec<String> {
    let mut said = Vec::new();
    for track in files {
        let Some(init) = track.init_file else {
            continue;
        };
        let path = Path::new(&track.file);
        if path.exists() && !init.overwrite {
            continue;
        }
        let line = match std::fs::write(path, format!("{}\n", init.value)) {
            Ok(()) => format!(
                "vrrp_track_file {}: wrote {} to {}",
                track.name, init.value, track.file
            ),
            Err(e) => format!(
                "vrrp_track_file {}: cannot write its init_file value to {}: {e}",
                track.name, track.file
            ),
        };
        said.push(line);
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InitFile;

    fn track(name: &str, file: &Path, value: i64, overwrite: bool) -> VrrpTrackFile {
        VrrpTrackFile {
            name: name.into(),
            file: file.display().to_string(),
            weight: 1,
            init_file: Some(InitFile { value, overwrite }),
        }
    }

    #[test]
    fn missing_files_are_written_existing_ones_only_with_overwrite() {
        let dir = std::env::temp_dir().join(format!("director-init-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (missing, kept, overwritten) = (dir.join("a"), dir.join("b"), dir.join("c"));
        std::fs::write(&kept, "7\n").unwrap();
        std::fs::write(&overwritten, "7\n").unwrap();
        let unwritable = dir.join("no-such-dir").join("d");
        let files = [
            track("a", &missing, 0, false),
            track("b", &kept, 3, false),
            track("c", &overwritten, -5, true),
            track("d", &unwritable, 1, false),
        ];
        let said = initialise(&files);
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(
            (read(&missing), read(&kept), read(&overwritten)),
            ("0\n".into(), "7\n".into(), "-5\n".into())
        );
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(
            said[2].starts_with("vrrp_track_file d: cannot write"),
            "{said:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
