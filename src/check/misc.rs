//! MISC_CHECK: run a script; exit 0 means healthy. Under `misc_dynamic`
//! the exit code also sets the weight, as keepalived does: 0 healthy at the
//! configured weight, 1 down, 2–255 healthy with weight `code - 2`. A
//! script that outlives `misc_timeout` is killed with its process group.

use std::time::Duration;

use crate::script::{run, Outcome};

/// A script result: healthy or not, and under `misc_dynamic` the weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiscResult {
    /// Healthy, or why not.
    pub health: Result<(), String>,
    /// The weight the exit code asks for (dynamic only; `None` keeps it).
    pub weight: Option<u32>,
}

/// keepalived's reading of an exit code.
pub fn interpret(outcome: &Outcome, dynamic: bool) -> MiscResult {
    match outcome {
        Outcome::Exited(0) => MiscResult {
            health: Ok(()),
            weight: None,
        },
        Outcome::Exited(code @ 2..=255) if dynamic => MiscResult {
            health: Ok(()),
            weight: Some(*code as u32 - 2),
        },
        other => MiscResult {
            health: Err(format!("script: {other}")),
            weight: None,
        },
    }
}

/// Run `command` once.
pub async fn probe(command: &str, timeout: Duration, dynamic: bool) -> MiscResult {
    interpret(&run(command, &[], timeout).await, dynamic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_read_as_keepalived_reads_them() {
        assert_eq!(interpret(&Outcome::Exited(0), true).health, Ok(()));
        assert!(interpret(&Outcome::Exited(1), true).health.is_err());
        assert_eq!(interpret(&Outcome::Exited(7), true).weight, Some(5));
        assert!(interpret(&Outcome::Exited(7), false).health.is_err());
        assert!(interpret(&Outcome::TimedOut, false).health.is_err());
    }

    #[tokio::test]
    async fn a_hung_script_fails_within_its_timeout() {
        let started = std::time::Instant::now();
        let result = probe("sleep 30", Duration::from_millis(200), false).await;
        assert!(result.health.unwrap_err().contains("timed out"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
