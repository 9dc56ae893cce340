//! Running operator scripts (notify, track_script, MISC_CHECK): no shell,
//! bounded by a timeout, and on timeout the whole process group is killed so
//! a hung script leaves nothing behind.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// How a script run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signalled,
    /// It ran past the timeout and its process group was killed.
    TimedOut,
    /// It could not be started.
    NotStarted(String),
}

impl Outcome {
    /// Exit code 0.
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited(code) => write!(f, "exit {code}"),
            Outcome::Signalled => write!(f, "killed by a signal"),
            Outcome::TimedOut => write!(f, "timed out, process group killed"),
            Outcome::NotStarted(why) => write!(f, "not started: {why}"),
        }
    }
}

/// Split a command line into words, honouring double and single quotes as
/// keepalived does for its script lines.
pub fn split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Run `line` with `extra` arguments appended, waiting at most `timeout`.
pub async fn run(line: &str, extra: &[String], timeout: Duration) -> Outcome {
    let mut words = split(line);
    if words.is_empty() {
        return Outcome::NotStarted("empty command line".into());
    }
    let program = words.remove(0);
    let mut child = match Command::new(&program)
        .args(words)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return Outcome::NotStarted(format!("{program}: {e}")),
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => status.code().map_or(Outcome::Signalled, Outcome::Exited),
        Ok(Err(e)) => Outcome::NotStarted(e.to_string()),
        Err(_) => {
            if let Some(pid) = child.id() {
                // SAFETY: kill(2) on the process group this function created.
                unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            }
            let _ = child.wait().await;
            Outcome::TimedOut
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_keepalived() {
        assert_eq!(
            split("/bin/echo a  'b c' \"d\""),
            ["/bin/echo", "a", "b c", "d"]
        );
        assert_eq!(split("  "), Vec::<String>::new());
        assert_eq!(split("x ''"), ["x", ""]);
    }

    #[tokio::test]
    async fn exit_codes_arguments_and_missing_programs() {
        let args = ["7".to_string()];
        assert_eq!(
            run("/bin/sh -c 'exit $0'", &args, Duration::from_secs(5)).await,
            Outcome::Exited(7)
        );
        assert!(run("/bin/true", &[], Duration::from_secs(5))
            .await
            .success());
        match run("/nonexistent/script", &[], Duration::from_secs(5)).await {
            Outcome::NotStarted(why) => assert!(why.contains("/nonexistent/script")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_hung_script_and_its_children_are_killed() {
        let marker = std::env::temp_dir().join(format!("director-hung-{}", std::process::id()));
        let line = format!(
            "/bin/sh -c 'sleep 30 & echo $! > {}; wait'",
            marker.display()
        );
        let started = std::time::Instant::now();
        assert_eq!(
            run(&line, &[], Duration::from_millis(300)).await,
            Outcome::TimedOut
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        let child: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let _ = std::fs::remove_file(&marker);
        // Gone, or a zombie waiting for init to reap it: either way not running.
        let running = || {
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                stat.rsplit(") ")
                    .next()
                    .is_some_and(|rest| !rest.starts_with('Z'))
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while running() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let alive = running();
        assert!(!alive, "the script's child {child} survived");
    }
}
