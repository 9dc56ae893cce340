//! Changes to tracked files as inotify announces them, so that
//! `track_file` reacts at once instead of polling. The directories are
//! watched, not the files: a file replaced by rename (as editors and
//! `mv` do) or created later is seen too.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// What makes a watched directory worth a second look.
const MASK: u32 = libc::IN_CLOSE_WRITE
    | libc::IN_MODIFY
    | libc::IN_MOVED_TO
    | libc::IN_MOVED_FROM
    | libc::IN_CREATE
    | libc::IN_DELETE;

/// A watch on the directories of some files.
#[derive(Debug)]
pub struct FileEvents {
    fd: AsyncFd<OwnedFd>,
}

impl FileEvents {
    /// Watch the directories holding `paths`.
    pub fn watch<'p>(paths: impl IntoIterator<Item = &'p str>) -> io::Result<FileEvents> {
        // SAFETY: inotify_init1 has no memory-safety preconditions.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        for path in paths {
            let dir = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            // SAFETY: `name` is a NUL-terminated path that outlives the call.
            if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), name.as_ptr(), MASK) } < 0 {
                let e = io::Error::last_os_error();
                return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display())));
            }
        }
        // SAFETY: the AsyncFd owns the descriptor and closes it after it
        // deregisters.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(FileEvents { fd })
    }

    /// Wait until something changed in a watched directory, then drain
    /// what is queued.
    pub async fn changed(&self) -> io::Result<()> {
        let mut buffer = [0u8; 4096];
        loop {
            let mut guard = self.fd.readable().await?;
            let mut drained = false;
            loop {
                // SAFETY: reading into a buffer we own, of its own length.
                let n = unsafe {
                    libc::read(
                        guard.get_inner().as_raw_fd(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                    )
                };
                if n > 0 {
                    drained = true;
                    continue;
                }
                let e = io::Error::last_os_error();
                if n < 0 && e.kind() != io::ErrorKind::WouldBlock {
                    return Err(e);
                }
                guard.clear_ready();
                break;
            }
            if drained {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_and_a_replacement_are_both_seen() {
        let dir = std::env::temp_dir().join(format!("director-inotify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("weight");
        std::fs::write(&file, "1").unwrap();
        let path = file.display().to_string();
        let events = FileEvents::watch([path.as_str()]).unwrap();
        std::fs::write(&file, "2").unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), events.changed())
            .await
            .expect("a write is announced")
            .unwrap();
        std::fs::write(dir.join("new"), "3").unwrap();
        std::fs::rename(dir.join("new"), &file).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(10), events.changed())
            .await
            .expect("a replacement is announced")
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
