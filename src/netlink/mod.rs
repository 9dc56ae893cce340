//! Linux netlink: links and addresses, and the kernel's announcements of
//! link, address and process changes.

pub mod address;
pub mod announcements;
pub mod link;
pub mod proc_events;
