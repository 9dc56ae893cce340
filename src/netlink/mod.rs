//! Linux network configuration: links and addresses.

pub mod address;
pub mod link;
