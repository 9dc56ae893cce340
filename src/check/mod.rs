//! Health checks: the retry policy (pure) and the probes (I/O).

pub mod dns;
pub mod file;
pub mod http;
pub mod kind;
pub mod kinds;
pub mod md5;
pub mod misc;
pub mod net;
pub mod ping;
pub mod policy;
pub mod quorum;
pub mod reports;
pub mod rise_fall;
pub mod runner;
pub mod smtp;
pub mod ssl;
pub mod tcp;
pub mod tls;
pub mod udp;
