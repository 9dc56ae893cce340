//! Health checks: the retry policy (pure) and the probes (I/O).

pub mod ping;
pub mod policy;
pub mod runner;
pub mod tcp;
