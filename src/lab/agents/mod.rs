//! Small programs the lab runs inside its namespaces, built into the binary
//! so the lab needs nothing else installed.

pub mod get;
pub mod http;
pub mod load;
