//! Linux network configuration: links and addresses.

pub mod address;
pub mod announcements;
pub mod link;
