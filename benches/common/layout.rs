//! The hot-function list that `build.rs` hands to the linker, and the symbol
//! table of a built binary: for the layout tool, and for the failover
//! benchmark to say whether the binary it measures was laid out by the list.

use std::path::Path;
use std::process::Command;

/// The list, in the source tree.
pub const LIST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/layout/hot-functions.txt"
);

/// A function of a binary's symbol table.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its address in the file's virtual layout.
    pub address: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Its mangled name, as the linker knows it.
    pub name: String,
}

/// The functions `binary` defines, by address (read with `nm`).
pub fn functions(binary: &Path) -> Result<Vec<Function>, String> {
    let output = Command::new("nm")
        .args(["--defined-only", "-S"])
        .arg(binary)
        .output()
        .map_err(|e| format!("nm (binutils): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "nm {}: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let mut functions: Vec<Function> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let address = u64::from_str_radix(fields.next()?, 16).ok()?;
            let size = u64::from_str_radix(fields.next()?, 16).ok()?;
            let kind = fields.next()?;
            let name = fields.next()?;
            matches!(kind, "t" | "T" | "w" | "W").then(|| Function {
                address,
                size,
                name: name.to_string(),
            })
        })
        .collect();
    functions.sort_by_key(|f| f.address);
    Ok(functions)
}

/// The names a list holds, in order: comments and blank lines are skipped,
/// as `build.rs` skips them.
pub fn listed(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// How many of the list's names `binary` defines, and how many it lists.
pub fn coverage(binary: &Path) -> Result<(usize, usize), String> {
    let text = std::fs::read_to_string(LIST).map_err(|e| format!("{LIST}: {e}"))?;
    let names = listed(&text);
    let defined: std::collections::HashSet<String> =
        functions(binary)?.into_iter().map(|f| f.name).collect();
    let present = names.iter().filter(|n| defined.contains(*n)).count();
    Ok((present, names.len()))
}
