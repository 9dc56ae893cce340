//! The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC):
//! a message per fork, exec, name change and exit, so that
//! `vrrp_track_process` learns of a process at once without scanning
//! `/proc`. The kernel sends them only to sockets in the initial network
//! namespace, and needs CAP_NET_ADMIN for the subscription.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use tokio::io::unix::AsyncFd;

/// `NETLINK_CONNECTOR`.
const NETLINK_CONNECTOR: i32 = 11;
/// `CN_IDX_PROC` and `CN_VAL_PROC`.
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// `PROC_CN_MCAST_LISTEN`.
const LISTEN: u32 = 1;
/// `struct nlmsghdr` and `struct cn_msg` sizes.
const NLMSG_HEADER: usize = 16;
const CN_MSG_HEADER: usize = 20;
/// `enum proc_event.what` values.
const FORK: u32 = 0x1;
const EXEC: u32 = 0x2;
const COMM: u32 = 0x200;
const EXIT: u32 = 0x8000_0000;

/// What happened to a process (thread-group leaders only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    /// A new process (a fork's child), with its process id.
    Started(u32),
    /// A process exec'd or changed its name: look at it again.
    Changed(u32),
    /// A process ended.
    Ended(u32),
    /// Events were lost (the socket's buffer overflowed): look at all.
    Lost,
}

/// A subscription to process events.
pub struct ProcEvents {
    socket: AsyncFd<OwnedFd>,
}

impl std::fmt::Debug for ProcEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcEvents")
    }
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

impl ProcEvents {
    /// Subscribe. Fails outside the initial network namespace and without
    /// CAP_NET_ADMIN.
    pub fn subscribe() -> io::Result<ProcEvents> {
        // SAFETY: plain socket(2); the descriptor is owned from here on.
        let fd = check(unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                NETLINK_CONNECTOR,
            )
        })?;
        // SAFETY: `fd` is fresh and nobody else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sockaddr_nl is plain data; zero is a valid start.
        let mut address: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        address.nl_family = libc::AF_NETLINK as u16;
        address.nl_groups = CN_IDX_PROC;
        // SAFETY: address is a valid sockaddr_nl of the given length.
        check(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                std::ptr::addr_of!(address).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as u32,
            )
        })?;
        let message = listen_message();
        // SAFETY: message outlives the call; the length is its own.
        let sent = unsafe { libc::send(fd.as_raw_fd(), message.as_ptr().cast(), message.len(), 0) };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the descriptor stays owned by the AsyncFd until it drops.
        let socket = unsafe { AsyncFd::register(fd) }?;
        Ok(ProcEvents { socket })
    }

    /// Wait for events and return those queued (at least one).
    pub async fn next(&self) -> io::Result<Vec<ProcEvent>> {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let mut guard = self.socket.readable().await?;
            let mut events = Vec::new();
            loop {
                // SAFETY: buffer outlives the call; the length is its own.
                let n = unsafe {
                    libc::recv(
                        self.socket.get_ref().as_raw_fd(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                        0,
                    )
                };
                if n >= 0 {
                    events.extend(parse(&buffer[..n as usize]));
                    continue;
                }
                let error = io::Error::last_os_error();
                match error.raw_os_error() {
                    Some(libc::EAGAIN) => {
                        guard.clear_ready();
                        break;
                    }
                    Some(libc::ENOBUFS) => events.push(ProcEvent::Lost),
                    _ => return Err(error),
                }
            }
            if !events.is_empty() {
                return Ok(events);
            }
        }
    }
}

/// The subscription request: nlmsghdr, cn_msg, PROC_CN_MCAST_LISTEN.
fn listen_message() -> Vec<u8> {
    let total = NLMSG_HEADER + CN_MSG_HEADER + 4;
    let mut message = Vec::with_capacity(total);
    message.extend_from_slice(&(total as u32).to_ne_bytes());
    message.extend_from_slice(&(libc::NLMSG_DONE as u16).to_ne_bytes());
    message.extend_from_slice(&0u16.to_ne_bytes()); // flags
    message.extend_from_slice(&0u32.to_ne_bytes()); // seq
    message.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's choice
    message.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    message.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    message.extend_from_slice(&0u32.to_ne_bytes()); // seq
    message.extend_from_slice(&0u32.to_ne_bytes()); // ack
    message.extend_from_slice(&4u16.to_ne_bytes()); // len
    message.extend_from_slice(&0u16.to_ne_bytes()); // flags
    message.extend_from_slice(&LISTEN.to_ne_bytes());
    message
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The events in one datagram of netlink messages; anything short or
/// unknown is skipped.
pub fn parse(mut datagram: &[u8]) -> Vec<ProcEvent> {
    let mut events = Vec::new();
    while let Some(length) = u32_at(datagram, 0).map(|l| l as usize) {
        if length < NLMSG_HEADER || length > datagram.len() {
            break;
        }
        let body = datagram.get(NLMSG_HEADER + CN_MSG_HEADER..length);
        events.extend(body.and_then(event));
        // Messages are 4-byte aligned.
        datagram = datagram
            .get(length.next_multiple_of(4)..)
            .unwrap_or_default();
    }
    events
}

/// One `struct proc_event`: what (0), cpu (4), timestamp (8), data (16).
fn event(body: &[u8]) -> Option<ProcEvent> {
    let what = u32_at(body, 0)?;
    // The process and its thread group: a thread's events are not a process's.
    let (pid, tgid) = match what {
        FORK => (u32_at(body, 24)?, u32_at(body, 28)?),
        EXEC | COMM | EXIT => (u32_at(body, 16)?, u32_at(body, 20)?),
        _ => return None,
    };
    if pid != tgid {
        return None;
    }
    Some(match what {
        FORK => ProcEvent::Started(tgid),
        EXIT => ProcEvent::Ended(tgid),
        _ => ProcEvent::Changed(tgid),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A netlink message carrying a proc_event with `what` and `data` words.
    fn message(what: u32, data: &[u32]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&what.to_ne_bytes());
        body.extend_from_slice(&0u32.to_ne_bytes());
        body.extend_from_slice(&0u64.to_ne_bytes());
        for word in data {
            body.extend_from_slice(&word.to_ne_bytes());
        }
        let total = NLMSG_HEADER + CN_MSG_HEADER + body.len();
        let mut out = (total as u32).to_ne_bytes().to_vec();
        out.resize(NLMSG_HEADER + CN_MSG_HEADER, 0);
        out.extend(body);
        out
    }

    #[test]
    fn forks_execs_names_and_exits_of_processes_are_read_and_threads_skipped() {
        let mut datagram = message(FORK, &[1, 1, 42, 42]);
        datagram.extend(message(FORK, &[42, 42, 43, 42])); // a thread of 42
        datagram.extend(message(EXEC, &[42, 42]));
        datagram.extend(message(COMM, &[42, 42, 0x6c61_6568]));
        datagram.extend(message(EXIT, &[42, 42, 0, 17, 1, 1]));
        datagram.extend(message(0x4, &[42, 42])); // a uid change: not ours
        assert_eq!(
            parse(&datagram),
            [
                ProcEvent::Started(42),
                ProcEvent::Changed(42),
                ProcEvent::Changed(42),
                ProcEvent::Ended(42)
            ]
        );
    }

    #[test]
    fn short_or_lying_messages_end_the_parse() {
        assert!(parse(&[1, 2, 3]).is_empty());
        let mut lying = message(EXEC, &[7, 7]);
        lying[0] = 200;
        assert!(parse(&lying).is_empty());
        let truncated = message(EXEC, &[7]);
        assert!(parse(&truncated).is_empty());
    }

    #[test]
    fn the_listen_request_is_laid_out_as_the_kernel_reads_it() {
        let message = listen_message();
        assert_eq!(message.len(), 40);
        assert_eq!(u32_at(&message, 0), Some(40));
        assert_eq!(u32_at(&message, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&message, 36), Some(LISTEN));
    }
}
