//! Give back the code pages that only start-up touched.
//!
//! Parsing arguments, loading the configuration and building the engine run
//! code from all over the binary (clap, toml, the keepalived.conf parser,
//! rustls, …). The kernel maps every page touched, and up to 64 KiB around
//! it (fault-around), into the process, where it stays counted in the RSS
//! although the running daemon does not need it again until a reload.
//! keepalived's VRRP process, a forked child, never maps its parent's
//! start-up code at all.
//!
//! Once the daemon is up, [`release`] unmaps this process's clean,
//! read-only, file-backed pages (the binary's and the shared libraries'
//! code and constants) with `madvise(MADV_DONTNEED)`. The pages stay in the
//! page cache: those the running engine uses come back on their next touch
//! as minor faults (no disk read), so the RSS afterwards is the working set.
//! Only pages that `/proc/self/pagemap` shows as file pages are unmapped: a
//! private page modified in memory (a RELRO page relocated at load, a
//! debugger's breakpoint) is anonymous and stays, and writable mappings are
//! never touched.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;

/// pagemap: the page is present in memory.
const PRESENT: u64 = 1 << 63;
/// pagemap: the page is a file page (or shared anonymous memory).
const FILE: u64 = 1 << 61;

/// Unmap every clean file page of this process's read-only private file
/// mappings. Returns the bytes unmapped. A mapping that fails (one that
/// vanished since the list was read, say) is left as it is.
pub fn release() -> io::Result<usize> {
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let pagemap = File::open("/proc/self/pagemap")?;
    Ok(read_only_file_mappings(&maps)
        .into_iter()
        .filter_map(|range| release_range(&pagemap, range).ok())
        .sum())
}

/// The address ranges of `/proc/PID/maps` lines that are private,
/// not writable and backed by a file (a path, not `[vdso]` or an
/// anonymous region).
fn read_only_file_mappings(maps: &str) -> Vec<Range<usize>> {
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (start, end) = fields.next()?.split_once('-')?;
            let perms = fields.next()?.as_bytes();
            let path = fields.nth(3)?;
            let read_only_private = perms.len() == 4 && perms[1] == b'-' && perms[3] == b'p';
            if !read_only_private || !path.starts_with('/') {
                return None;
            }
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            Some(start..end)
        })
        .collect()
}

/// Unmap the present file pages of `range` (a whole mapping of this
/// process), as `pagemap` (this process's) describes them. Returns the
/// bytes unmapped.
fn release_range(pagemap: &File, range: Range<usize>) -> io::Result<usize> {
    let page = page_size();
    let entries = entries(pagemap, &range, page)?;
    let mut released = 0;
    for run in file_page_runs(range.start, &entries, page) {
        // SAFETY: `run` lies inside a private read-only mapping of this
        // process and holds only file pages, unmodified since they were
        // read: dropping them loses nothing, and the next access maps the
        // same bytes from the page cache again.
        if unsafe {
            libc::madvise(
                run.start as *mut libc::c_void,
                run.len(),
                libc::MADV_DONTNEED,
            )
        } != 0
        {
            return Err(io::Error::last_os_error());
        }
        released += run.len();
    }
    Ok(released)
}

/// The `pagemap` entries of `range`, one per page.
fn entries(pagemap: &File, range: &Range<usize>, page: usize) -> io::Result<Vec<u64>> {
    let pages = range.len() / page;
    let mut bytes = vec![0u8; pages * 8];
    pagemap.read_exact_at(&mut bytes, (range.start / page * 8) as u64)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|entry| u64::from_ne_bytes(entry.try_into().unwrap_or_default()))
        .collect())
}

/// The runs of consecutive present file pages among `entries` (pagemap
/// entries of the pages from `start` on), as address ranges.
fn file_page_runs(start: usize, entries: &[u64], page: usize) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if entry & (PRESENT | FILE) != PRESENT | FILE {
            continue;
        }
        let address = start + index * page;
        match runs.last_mut() {
            Some(run) if run.end == address => run.end += page,
            _ => runs.push(address..address + page),
        }
    }
    runs
}

fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the running system.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};

    #[test]
    fn only_private_read_only_file_mappings_are_candidates() {
        let maps = "\
55d0c0000000-55d0c0100000 r--p 00000000 08:01 123 /usr/bin/director
55d0c0100000-55d0c0900000 r-xp 00100000 08:01 123 /usr/bin/director
55d0c0900000-55d0c0a00000 rw-p 00900000 08:01 123 /usr/bin/director
7f0000000000-7f0000001000 r--s 00000000 00:05 9 /dev/shm/x
7f0000001000-7f0000002000 r--p 00000000 00:00 0
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0 [vdso]
7f0000002000-7f0000003000 r-xp 00000000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
";
        assert_eq!(
            read_only_file_mappings(maps),
            vec![
                0x55d0c0000000..0x55d0c0100000,
                0x55d0c0100000..0x55d0c0900000,
                0x7f0000002000..0x7f0000003000,
            ]
        );
    }

    #[test]
    fn runs_join_neighbouring_file_pages_and_skip_the_rest() {
        let file = PRESENT | FILE;
        let entries = [file, file, PRESENT, 0, file, FILE, file];
        assert_eq!(
            file_page_runs(0x1000, &entries, 0x1000),
            vec![0x1000..0x3000, 0x5000..0x6000, 0x7000..0x8000]
        );
    }

    /// A private read-only mapping of a real file: its untouched-in-memory
    /// page is unmapped and reads back the file's bytes; its page modified
    /// in memory (anonymous now, as a relocated RELRO page is) stays, with
    /// the modification.
    #[test]
    fn clean_file_pages_are_unmapped_and_modified_ones_kept() {
        let page = page_size();
        // SAFETY: memfd_create with a constant name; the descriptor it
        // returns is owned by the File from here on.
        let mut file = unsafe {
            let fd = libc::memfd_create(c"startup-pages-test".as_ptr(), libc::MFD_CLOEXEC);
            assert!(fd >= 0, "memfd_create: {}", io::Error::last_os_error());
            File::from_raw_fd(fd)
        };
        file.write_all(&vec![b'a'; page]).unwrap();
        file.write_all(&vec![b'b'; page]).unwrap();
        // SAFETY: a fresh private mapping of two pages of our own file.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let bytes = base.cast::<u8>();
        // SAFETY: both pages are mapped; the first is written (copied on
        // write), the second only read; then the mapping is made read-only.
        unsafe {
            bytes.write_volatile(b'z');
            assert_eq!(bytes.add(page).read_volatile(), b'b');
            assert_eq!(libc::mprotect(base, 2 * page, libc::PROT_READ), 0);
        }
        let range = base as usize..base as usize + 2 * page;
        let pagemap = File::open("/proc/self/pagemap").unwrap();
        let before = entries(&pagemap, &range, page).unwrap();
        assert_eq!(
            before[0] & (PRESENT | FILE),
            PRESENT,
            "written page is anonymous"
        );
        assert_eq!(before[1] & (PRESENT | FILE), PRESENT | FILE);

        assert_eq!(release_range(&pagemap, range.clone()).unwrap(), page);

        let after = entries(&pagemap, &range, page).unwrap();
        assert_eq!(after[0] & PRESENT, PRESENT, "the modified page stays");
        assert_eq!(after[1] & PRESENT, 0, "the clean page is unmapped");
        // SAFETY: the mapping is still there; reading faults the page back.
        unsafe {
            assert_eq!(bytes.read_volatile(), b'z');
            assert_eq!(bytes.add(page).read_volatile(), b'b');
            assert_eq!(libc::munmap(base, 2 * page), 0);
        }
    }

    #[test]
    fn releasing_this_process_leaves_it_running() {
        let released = release().expect("release works on this process");
        assert!(released > 0, "a running test has mapped code to give back");
        // The code below runs from pages just unmapped: they come back.
        let sum: u64 = (1..=100u64).sum();
        assert_eq!(format!("{sum}"), "5050");
    }
}
