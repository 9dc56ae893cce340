//! director: an LVS director in one binary — VRRP, an IPVS-style
//! virtual-server table, health checks, and an operations console.
//!
//! The architecture is "commands in, snapshots out": one engine task owns
//! all runtime state (`engine`), pure cores decide (`vrrp::instance`,
//! `ipvs::sched`, `check::policy`, `config`), and thin shells do the I/O.

pub mod capabilities;
pub mod check;
pub mod checksum;
pub mod cli;
pub mod commands;
pub mod config;
pub mod control;
pub mod ctl;
pub mod daemon;
pub mod engine;
pub mod host_guard;
pub mod http;
pub mod ids;
pub mod ipvs;
pub mod lab;
pub mod log;
pub mod memory_lock;
pub mod metrics;
pub mod netlink;
pub mod nft;
pub mod script;
pub mod systemd;
pub mod timerfd;
pub mod tui;
pub mod vrrp;
pub mod workers;
