//! What every kind of health check provides, in one place: how
//! keepalived.conf spells it and how it is written back, what it probes,
//! and what is wrong with it. A kind is one module implementing [`Kind`]
//! (its model, mapping, export, spec and probe together) and one line in
//! the registry (`check::kinds`); nothing else lists the kinds.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use super::net::Endpoint;
use crate::config::keepalived::check_defaults::CheckDefaults;
use crate::config::keepalived::reader::Reader;
use crate::config::keepalived::tree::Node;
use crate::config::{CheckTiming, RealServer, VirtualServer, VrrpTrackFile};

/// What surrounds a checker: its real server, the service, and the
/// configuration's track files.
#[derive(Debug, Clone, Copy)]
pub struct Around<'a> {
    /// The `vrrp_track_file`s the configuration defines.
    pub track_files: &'a [VrrpTrackFile],
    /// The virtual service.
    pub service: &'a VirtualServer,
    /// The real server checked.
    pub real: &'a RealServer,
}

/// One kind of health check.
pub trait Kind: Sized {
    /// What its checker probes with, built once when the checker starts.
    type Probe: Run;

    /// Its keyword in keepalived.conf.
    const KEYWORD: &'static str;

    /// Read its keepalived.conf block; `None` when the block is unusable
    /// (the reader holds the error).
    fn read(reader: &mut Reader, node: &Node, defaults: &CheckDefaults) -> Option<Self>;

    /// Write its keepalived.conf block, from the keyword to the closing
    /// brace.
    fn write(&self, out: &mut String);

    /// What to probe and with what timing; `None` when it cannot run
    /// (validation has said why).
    fn probe(&self, around: &Around<'_>) -> Option<(CheckTiming, Self::Probe)>;

    /// What is wrong with it, in words.
    fn problems(&self, _around: &Around<'_>) -> Vec<String> {
        Vec::new()
    }
}

/// Where a network probe goes, and how long it may take.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The address probed and the source address.
    pub endpoint: Endpoint,
    /// How long a connect (or a whole exchange) may take.
    pub timeout: Duration,
}

/// One probe's result: healthy or why not, and the weight a dynamic
/// checker (MISC_CHECK's `misc_dynamic`, FILE_CHECK) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Healthy, or why not.
    pub health: Result<(), String>,
    /// The weight asked for; `None` keeps it.
    pub weight: Option<u32>,
}

impl From<Result<(), String>> for Outcome {
    fn from(health: Result<(), String>) -> Outcome {
        Outcome {
            health,
            weight: None,
        }
    }
}

/// A probe: what one checker does each time it checks.
pub trait Run: Debug + Clone + PartialEq + Send + Sync + 'static {
    /// Probe once.
    fn run(&self, target: Target) -> impl Future<Output = Outcome> + Send;
}

/// Open a checker's keepalived.conf block.
pub fn open_block(out: &mut String, keyword: &str) {
    out.push_str(&format!("        {keyword} {{\n"));
}
