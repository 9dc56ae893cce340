//! Which pages of a binary a running process holds, read from
//! `/proc/PID/maps` and `/proc/PID/pagemap`.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const PAGE: u64 = 4096;

/// The resident pages of one process's read-only mappings of a binary.
pub struct Resident {
    /// Page numbers (address / 4096) in the binary's own layout.
    pub pages: BTreeSet<u64>,
    /// How many mappings the binary's read-only part is split into (one per
    /// page when the split preload did its work, a handful otherwise).
    pub mappings: usize,
}

struct Mapping {
    start: u64,
    end: u64,
    offset: u64,
    writable: bool,
}

/// The pages of `binary` that `pid` has resident in its read-only mappings.
pub fn resident(pid: i32, binary: &Path) -> Result<Resident, String> {
    let maps_path = format!("/proc/{pid}/maps");
    let maps = std::fs::read_to_string(&maps_path).map_err(|e| format!("{maps_path}: {e}"))?;
    let binary = binary.to_string_lossy();
    let mappings: Vec<Mapping> = maps
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 6 || fields[5] != binary {
                return None;
            }
            let (start, end) = fields[0].split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                offset: u64::from_str_radix(fields[2], 16).ok()?,
                writable: fields[1].as_bytes().get(1) == Some(&b'w'),
            })
        })
        .collect();
    // The load base: where file offset 0 (address 0 of the layout) sits.
    let base = mappings
        .iter()
        .map(|m| m.start - m.offset)
        .min()
        .ok_or_else(|| format!("{maps_path}: no mapping of {binary}"))?;
    let pagemap_path = format!("/proc/{pid}/pagemap");
    let mut pagemap =
        std::fs::File::open(&pagemap_path).map_err(|e| format!("{pagemap_path}: {e}"))?;
    let mut pages = BTreeSet::new();
    let read_only: Vec<&Mapping> = mappings.iter().filter(|m| !m.writable).collect();
    for m in &read_only {
        let count = ((m.end - m.start) / PAGE) as usize;
        let mut entries = vec![0u8; count * 8];
        pagemap
            .seek(SeekFrom::Start(m.start / PAGE * 8))
            .and_then(|_| pagemap.read_exact(&mut entries))
            .map_err(|e| format!("{pagemap_path}: {e}"))?;
        for (i, entry) in entries.chunks_exact(8).enumerate() {
            let entry = u64::from_le_bytes(entry.try_into().expect("8 bytes"));
            if entry >> 63 == 1 {
                pages.insert((m.start - base) / PAGE + i as u64);
            }
        }
    }
    Ok(Resident {
        pages,
        mappings: read_only.len(),
    })
}

/// Whether the function at `address` of `size` bytes has a page in `pages`.
pub fn touches(pages: &BTreeSet<u64>, address: u64, size: u64) -> bool {
    let first = address / PAGE;
    let last = (address + size.max(1) - 1) / PAGE;
    pages.range(first..=last).next().is_some()
}
