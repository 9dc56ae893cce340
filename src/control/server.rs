//! Serving the control socket. Each client gets its own task; a client that
//! sends garbage gets an error line, and one that reads too slowly misses
//! intermediate snapshots rather than slowing the engine.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::protocol::{ClientMessage, ServerMessage, MAX_LINE, PROTOCOL_VERSION};
use crate::engine::{EngineHandle, Request};

/// A listening control socket; the file is removed when this is dropped.
#[derive(Debug)]
pub struct ControlServer {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listen at `path`, replacing a stale socket file but never a live one.
pub async fn serve(path: &Path, engine: EngineHandle) -> io::Result<ControlServer> {
    if path.exists() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!(
                    "{}: another director is already serving here",
                    path.display()
                ),
            ));
        }
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    if let Some(gid) = group_id(ADMIN_GROUP) {
        std::os::unix::fs::chown(path, None, Some(gid))?;
    }
    let task = tokio::spawn(async move {
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                let peer = peer(&stream);
                tokio::spawn(client(stream, engine.clone(), peer));
            }
        }
    });
    Ok(ControlServer {
        path: path.to_path_buf(),
        task,
    })
}

/// Who is on the other end, as checked by the kernel (SO_PEERCRED).
#[derive(Debug, Clone)]
struct Peer {
    /// "control (uid 0, pid 42)", for the audit trail.
    origin: String,
    /// Whether it may change things: root, our own uid, or the admin group.
    may_change: bool,
}

/// The group whose members may change things besides root.
pub const ADMIN_GROUP: &str = "director";

/// Unparsable lines in a row after which a client is cut off (one typo is
/// answered; a stream of garbage is not served).
pub const MAX_GARBAGE: u32 = 16;

fn group_id(name: &str) -> Option<u32> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam with a valid C string; the result is read at once.
    let entry = unsafe { libc::getgrnam(name.as_ptr()) };
    // SAFETY: a non-null result points to a valid group entry.
    (!entry.is_null()).then(|| unsafe { (*entry).gr_gid })
}

fn peer(stream: &UnixStream) -> Peer {
    match stream.peer_cred() {
        Ok(cred) => {
            // SAFETY: geteuid has no preconditions.
            let ours = unsafe { libc::geteuid() };
            let admin = group_id(ADMIN_GROUP);
            Peer {
                origin: format!(
                    "control (uid {}, pid {})",
                    cred.uid(),
                    cred.pid().unwrap_or(0)
                ),
                may_change: cred.uid() == 0 || cred.uid() == ours || admin == Some(cred.gid()),
            }
        }
        Err(_) => Peer {
            origin: "control (unknown peer)".into(),
            may_change: false,
        },
    }
}

async fn client(stream: UnixStream, engine: EngineHandle, peer: Peer) {
    let (read, mut write) = stream.into_split();
    let (out_tx, mut out_rx) = mpsc::channel::<Arc<String>>(64);
    let writer = tokio::spawn(async move {
        while let Some(line) = out_rx.recv().await {
            if write.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    let node = engine
        .snapshots
        .borrow()
        .as_ref()
        .map(|s| s.node.clone())
        .unwrap_or_default();
    let _ = out_tx
        .send(encode(&ServerMessage::Hello {
            version: PROTOCOL_VERSION,
            node,
        }))
        .await;

    let mut lines = BufReader::new(read);
    let mut line = Vec::new();
    let mut subscription: Option<JoinHandle<()>> = None;
    let mut garbage_in_a_row = 0;
    loop {
        line.clear();
        match read_bounded_line(&mut lines, &mut line).await {
            Ok(LineRead::Eof) | Err(_) => break,
            Ok(LineRead::TooLong) => {
                let message = format!("line longer than {MAX_LINE} bytes; closing");
                let _ = out_tx.send(encode(&ServerMessage::Error { message })).await;
                refuse_rest(lines, out_tx, writer, subscription).await;
                return;
            }
            Ok(LineRead::Line) => {}
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<ClientMessage>(text.trim());
        garbage_in_a_row = if parsed.is_err() {
            garbage_in_a_row + 1
        } else {
            0
        };
        match parsed {
            Err(_) if garbage_in_a_row > MAX_GARBAGE => {
                let message = format!("more than {MAX_GARBAGE} unparsable lines in a row; closing");
                let _ = out_tx.send(encode(&ServerMessage::Error { message })).await;
                refuse_rest(lines, out_tx, writer, subscription).await;
                return;
            }
            Err(e) => {
                let message = format!("cannot parse request: {e}");
                let _ = out_tx.send(encode(&ServerMessage::Error { message })).await;
            }
            Ok(ClientMessage::Subscribe) => {
                if subscription.is_none() {
                    subscription = Some(tokio::spawn(forward_snapshots(
                        engine.clone(),
                        out_tx.clone(),
                    )));
                }
            }
            Ok(ClientMessage::Command {
                id,
                command,
                origin: label,
            }) => {
                let read_only = !peer.may_change && !command.is_read_only();
                let request = Request {
                    command,
                    origin: described_origin(label.as_deref(), &peer.origin),
                };
                let answer = if read_only {
                    Err(format!(
                        "permission denied: {} may only read; changes need root or the {ADMIN_GROUP} group",
                        peer.origin
                    ))
                } else {
                    engine.request(request).await
                };
                let reply = super::protocol::reply_message(id, answer);
                let _ = out_tx.send(encode(&reply)).await;
            }
        }
    }
    if let Some(task) = subscription {
        task.abort();
    }
    drop(out_tx);
    let _ = writer.await;
}

/// Close a client that broke the protocol without losing the error line:
/// finish writing, shut our side, then discard what it still sends (bounded
/// in bytes and time) so the close is not turned into a reset.
async fn refuse_rest<R: AsyncReadExt + Unpin>(
    mut input: R,
    out_tx: mpsc::Sender<Arc<String>>,
    writer: JoinHandle<()>,
    subscription: Option<JoinHandle<()>>,
) {
    if let Some(task) = subscription {
        task.abort();
    }
    drop(out_tx);
    let _ = writer.await;
    let discard = async {
        let mut sink = vec![0u8; 64 * 1024];
        let mut left: usize = 16 * 1024 * 1024;
        while left > 0 {
            match input.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), discard).await;
}

async fn forward_snapshots(engine: EngineHandle, out: mpsc::Sender<Arc<String>>) {
    let _live = engine.watch_live("control subscription").await;
    let mut snapshots = engine.snapshots.clone();
    loop {
        let current = snapshots.borrow_and_update().clone();
        if let Some(snapshot) = current {
            let message = ServerMessage::Snapshot { snapshot };
            // A slow reader skips snapshots instead of queueing them without bound.
            match out.try_send(encode(&message)) {
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
        if snapshots.changed().await.is_err() {
            return;
        }
    }
}

/// The client's own label (cleaned and bounded) followed by the credentials
/// the server checked: "console (uid 0) [control (uid 0, pid 42)]".
fn described_origin(label: Option<&str>, peer: &str) -> String {
    match label {
        Some(label) => {
            let clean: String = label.chars().filter(|c| !c.is_control()).take(64).collect();
            format!("{clean} [{peer}]")
        }
        None => peer.to_string(),
    }
}

fn encode(message: &ServerMessage) -> Arc<String> {
    let mut line = serde_json::to_string(message).unwrap_or_else(|e| {
        format!("{{\"type\":\"error\",\"message\":\"cannot encode reply: {e}\"}}")
    });
    line.push('\n');
    Arc::new(line)
}

enum LineRead {
    Line,
    Eof,
    TooLong,
}

async fn read_bounded_line<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    out: &mut Vec<u8>,
) -> io::Result<LineRead> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if out.is_empty() {
                LineRead::Eof
            } else {
                LineRead::Line
            });
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..=at], true),
            None => (available, false),
        };
        out.extend_from_slice(chunk);
        let used = chunk.len();
        reader.consume(used);
        if out.len() > MAX_LINE {
            return Ok(LineRead::TooLong);
        }
        if done {
            return Ok(LineRead::Line);
        }
    }
}
