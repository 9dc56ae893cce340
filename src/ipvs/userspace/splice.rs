//! Zero-copy relaying for sustained TCP transfers: splice(2) moves the
//! bytes from one socket into a pipe and from the pipe into the other
//! socket, so they never enter user space. Small exchanges (requests,
//! replies) stay on plain reads and writes, which cost one call each; a
//! direction switches to splicing once a read fills a whole buffer, the
//! sign of a bulk transfer.
//!
//! Pipes are lent per burst from a small per-thread pool, as the copy
//! buffers are: an idle connection holds none, and a pipe goes back to the
//! pool only empty.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use tokio::io::Interest;
use tokio::net::TcpStream;

use super::buffers;

/// Pipes each thread keeps for reuse; more are closed.
const KEPT: usize = 64;

thread_local! {
    static POOL: RefCell<Vec<Pipe>> = const { RefCell::new(Vec::new()) };
}

/// A non-blocking pipe, empty whenever it is in the pool.
pub struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    fn new() -> io::Result<Pipe> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: pipe2 fills the two descriptors of an array we own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened and are owned here only.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(Pipe { read, write })
    }

    /// An empty pipe from the pool, or a new one.
    pub fn take() -> io::Result<Pipe> {
        match POOL.with(|pool| pool.borrow_mut().pop()) {
            Some(pipe) => Ok(pipe),
            None => Pipe::new(),
        }
    }

    /// Return an empty pipe for reuse.
    fn give(self) {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < KEPT {
                pool.push(self);
            }
        });
    }
}

/// One splice(2) of up to `len` bytes, without blocking.
fn splice(from: RawFd, to: RawFd, len: usize) -> io::Result<usize> {
    // SAFETY: splice between descriptors that stay open for the call; no
    // offsets (sockets and pipes have none).
    let n = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Move what `from` holds (up to one buffer's worth) to `to` through
/// `pipe`, lent for the burst (and returned to the pool if left empty).
/// splice(2) into a socket cannot say MSG_NOSIGNAL: a reset peer raises
/// SIGPIPE, which Rust programs ignore from the start, so it arrives here
/// as an EPIPE error. `Ok(0)` is the end of `from`'s stream;
/// `WouldBlock` means `from` had nothing after all. Unlike a short read, a
/// short splice does not mean the socket is drained (the pipe has only so
/// many slots), so readiness is cleared only by "would block".
pub async fn relay(from: &TcpStream, to: &TcpStream, pipe: Pipe) -> io::Result<usize> {
    let got = match from.try_io(Interest::READABLE, || {
        splice(from.as_raw_fd(), pipe.write.as_raw_fd(), buffers::SIZE)
    }) {
        Ok(got) => got,
        Err(e) => {
            // The pipe is still empty: it can be reused.
            pipe.give();
            return Err(e);
        }
    };
    let mut left = got;
    while left > 0 {
        let sent = to.try_io(Interest::WRITABLE, || {
            splice(pipe.read.as_raw_fd(), to.as_raw_fd(), left)
        });
        match sent {
            Ok(n) => left -= n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => to.writable().await?,
            // The pipe still holds bytes: it is closed with them.
            Err(e) => return Err(e),
        }
    }
    pipe.give();
    Ok(got)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Two ends of one loopback TCP connection.
    pub async fn loopback_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let near = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (far, _) = listener.accept().await.unwrap();
        (near, far)
    }

    #[tokio::test]
    async fn relay_moves_every_byte_and_sees_the_end() {
        let (mut sender, from) = loopback_pair().await;
        let (to, mut receiver) = loopback_pair().await;
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let sent = payload.clone();
        let writer = tokio::spawn(async move {
            sender.write_all(&sent).await.unwrap();
            sender.shutdown().await.unwrap();
        });
        let mut moved = 0;
        loop {
            from.readable().await.unwrap();
            match relay(&from, &to, Pipe::take().unwrap()).await {
                Ok(0) => break,
                Ok(n) => moved += n,
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
            }
        }
        writer.await.unwrap();
        drop(to);
        let mut received = Vec::new();
        receiver.read_to_end(&mut received).await.unwrap();
        assert_eq!(moved, payload.len());
        assert!(received == payload, "the bytes arrived changed");
    }

    #[tokio::test]
    async fn relay_into_a_reset_connection_is_an_error_not_a_signal() {
        let (mut sender, from) = loopback_pair().await;
        let (to, receiver) = loopback_pair().await;
        // The receiving end resets the connection on close.
        socket2::SockRef::from(&receiver)
            .set_linger(Some(std::time::Duration::ZERO))
            .unwrap();
        drop(receiver);
        sender.write_all(&[7u8; 4096]).await.unwrap();
        let mut failed = None;
        for _ in 0..100 {
            from.readable().await.unwrap();
            match relay(&from, &to, Pipe::take().unwrap()).await {
                Ok(_) => sender.write_all(&[7u8; 4096]).await.unwrap(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let error = failed.expect("splicing into a reset connection fails");
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{error}"
        );
    }

    #[test]
    fn an_emptied_pipe_is_reused() {
        let pipe = Pipe::take().unwrap();
        let descriptor = pipe.read.as_raw_fd();
        pipe.give();
        assert_eq!(Pipe::take().unwrap().read.as_raw_fd(), descriptor);
    }
}
