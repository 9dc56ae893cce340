//! A detached tmux session running one command: what the console tests and
//! the console benchmark drive. Killed on drop.

use std::process::Command;
use std::time::Duration;

/// A tmux session, killed when dropped.
pub struct Tmux {
    /// The session's name.
    pub name: String,
}

impl Tmux {
    /// Start `command` in a new `width`×`height` session called `name`.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Result<Tmux, String> {
        let (width, height) = (width.to_string(), height.to_string());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                &width,
                "-y",
                &height,
                command,
            ])
            .status()
            .map_err(|e| format!("tmux: {e} (apt-get install tmux)"))?;
        if !status.success() {
            return Err("tmux new-session failed".into());
        }
        Ok(Tmux {
            name: name.to_string(),
        })
    }

    /// What the pane shows now.
    pub fn screen(&self) -> String {
        Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Press keys by tmux name ("d", "Enter", "Escape"), one at a time.
    pub fn press(&self, keys: &[&str]) {
        for key in keys {
            let _ = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, key])
                .status();
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Type text literally.
    pub fn type_text(&self, text: &str) {
        let _ = Command::new("tmux")
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status();
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Resize the window; whether tmux accepted it.
    pub fn resize(&self, width: u16, height: u16) -> bool {
        Command::new("tmux")
            .args(["resize-window", "-t", &self.name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Whether the session still exists (its command still runs).
    pub fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.name])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The process id of the pane's command.
    pub fn pid(&self) -> Option<u32> {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, "#{pane_pid}"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// Kill the session (and so its command). Safe to repeat.
    pub fn kill(&self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.kill();
    }
}
