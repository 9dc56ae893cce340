//! Running `nft -f -` with a ruleset: how director installs the few
//! nftables tables it owns (port-0 redirection, accept mode).

use std::io::Write;
use std::process::{Command, Stdio};

/// Apply `script`; `what` names the rules in the error.
pub fn apply(script: &str, what: &str) -> Result<(), String> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run nft for the {what} (install nftables): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("nft: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("nft: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nft refused the {what}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The script that replaces table `inet NAME` with `body` (chains), or
/// only removes it when `body` is empty.
pub fn replace_table(name: &str, body: &str) -> String {
    let mut script = format!("table inet {name} {{}}\ndelete table inet {name}\n");
    if !body.is_empty() {
        script.push_str(&format!("table inet {name} {{\n{body}}}\n"));
    }
    script
}
