//! VRRP: the advertisement codec, the instance state machine, and the socket
//! and announcement shells around them.

pub mod announce;
pub mod instance;
pub mod net;
pub mod pacer;
pub mod packet;
pub mod priority;
pub mod receive;
pub mod sync_group;
