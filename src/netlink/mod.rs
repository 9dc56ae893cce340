//! Linux network configuration: links and addresses.

pub mod address;
pub mod link;
pub mod link_events;
