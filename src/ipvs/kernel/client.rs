//! The kernel's IPVS over generic netlink: a socket, the family resolved
//! at start, dumps, and changes sent in batches (many requests per
//! `send()`, an ACK asked only of the last, errors matched to their
//! request).

use std::fmt;
use std::net::SocketAddr;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use super::proto::{self, attr, cmd, KDest, KService, ServiceKey};
use super::wire::{self, find, Answer, Attr, Parsed};

/// The generic-netlink controller's family id.
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Bytes of requests per `send()`: well inside the ~208 KiB send buffer.
const BATCH_BYTES: usize = 64 * 1024;
/// Receive buffer for one `recv()`.
const RECEIVE_BYTES: usize = 256 * 1024;

/// What the kernel refused, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    /// What was asked ("add service TCP 192.0.2.50:80").
    pub operation: String,
    /// The errno (positive), or 0 for a failure on our side.
    pub errno: i32,
    /// The explanation.
    pub reason: String,
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.reason)
    }
}

impl std::error::Error for KernelError {}

fn local(operation: &str, reason: impl Into<String>) -> KernelError {
    KernelError {
        operation: operation.to_string(),
        errno: 0,
        reason: reason.into(),
    }
}

/// One change to the kernel table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `ipvsadm -A`.
    AddService(KService),
    /// `ipvsadm -E`.
    EditService(KService),
    /// `ipvsadm -D`.
    DeleteService(ServiceKey),
    /// `ipvsadm -a`.
    AddDest(ServiceKey, KDest),
    /// `ipvsadm -e`.
    EditDest(ServiceKey, KDest),
    /// `ipvsadm -d`.
    DeleteDest(ServiceKey, SocketAddr),
}

/// A service as ipvsadm names it: "TCP 192.0.2.50:80", "FWM 7".
pub fn key_text(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Tcp(a) => format!("TCP {a}"),
        ServiceKey::Udp(a) => format!("UDP {a}"),
        ServiceKey::Sctp(a) => format!("SCTP {a}"),
        ServiceKey::Fwmark { mark, ipv6 } => {
            format!("FWM {mark}{}", if *ipv6 { " IPv6" } else { "" })
        }
    }
}

impl Op {
    /// The command and attributes.
    fn request(&self) -> (u8, Vec<Attr>) {
        match self {
            Op::AddService(s) => (cmd::NEW_SERVICE, vec![proto::service_attr(s)]),
            Op::EditService(s) => (cmd::SET_SERVICE, vec![proto::service_attr(s)]),
            Op::DeleteService(k) => (cmd::DEL_SERVICE, vec![proto::service_key_attr(k)]),
            Op::AddDest(k, d) => (
                cmd::NEW_DEST,
                vec![proto::service_key_attr(k), proto::dest_attr(d)],
            ),
            Op::EditDest(k, d) => (
                cmd::SET_DEST,
                vec![proto::service_key_attr(k), proto::dest_attr(d)],
            ),
            Op::DeleteDest(k, a) => (
                cmd::DEL_DEST,
                vec![proto::service_key_attr(k), proto::dest_key_attr(*a)],
            ),
        }
    }

    /// What it does, for errors.
    pub fn describe(&self) -> String {
        match self {
            Op::AddService(s) => format!("add service {} ({})", key_text(&s.key), s.scheduler),
            Op::EditService(s) => format!("edit service {}", key_text(&s.key)),
            Op::DeleteService(k) => format!("delete service {}", key_text(k)),
            Op::AddDest(k, d) => format!("add {} to {}", d.address, key_text(k)),
            Op::EditDest(k, d) => format!("edit {} of {}", d.address, key_text(k)),
            Op::DeleteDest(k, a) => format!("delete {a} from {}", key_text(k)),
        }
    }

    /// The kernel's errno, explained for this operation.
    pub fn explain(&self, errno: i32) -> String {
        let text = std::io::Error::from_raw_os_error(errno).to_string();
        let why = match (self, errno) {
            (Op::AddService(s) | Op::EditService(s), libc::ENOENT) => format!(
                "no scheduler {:?} in this kernel (module ip_vs_{} is missing)",
                s.scheduler, s.scheduler
            ),
            (Op::AddService(_), libc::EEXIST) => "the service already exists".into(),
            (Op::AddDest(..), libc::EEXIST) => "the destination already exists".into(),
            (_, libc::ESRCH) => "no such virtual service".into(),
            (Op::EditDest(..) | Op::DeleteDest(..), libc::ENOENT) => {
                "no such destination in that service".into()
            }
            (Op::AddDest(..) | Op::EditDest(..), libc::EINVAL) => {
                "invalid destination (is `lo` up in this namespace? is the address family right?)"
                    .into()
            }
            (_, libc::EPERM) => "needs CAP_NET_ADMIN".into(),
            _ => return text,
        };
        format!("{why} ({text})")
    }
}

/// Version and connection table size (`ipvsadm`'s first line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Major, minor, patch.
    pub version: (u8, u8, u8),
    /// Connection hash table size.
    pub table_size: u32,
}

/// The three IPVS timeouts, seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Established TCP.
    pub tcp: u32,
    /// TCP after FIN.
    pub tcp_fin: u32,
    /// UDP.
    pub udp: u32,
}

/// Which side of connection synchronisation a sync daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRole {
    /// Sends the connection table (on the active director).
    Master,
    /// Receives it (on the standby).
    Backup,
}

impl SyncRole {
    fn code(self) -> u32 {
        match self {
            SyncRole::Master => 1,
            SyncRole::Backup => 2,
        }
    }
}

/// An IPVS connection-sync daemon (`ipvsadm --start-daemon`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDaemon {
    /// Master or backup.
    pub role: SyncRole,
    /// The interface it multicasts on.
    pub interface: String,
    /// Its sync id: both directors of a pair use the same.
    pub sync_id: u32,
    /// UDP payload size (0: the kernel's default, from the MTU).
    pub max_len: u16,
    /// Multicast group (None: 224.0.0.81).
    pub group: Option<std::net::IpAddr>,
    /// UDP port (0: 8848).
    pub port: u16,
    /// Multicast TTL (0: 1).
    pub ttl: u8,
}

mod daemon_attr {
    pub const STATE: u16 = 1;
    pub const MCAST_IFN: u16 = 2;
    pub const SYNC_ID: u16 = 3;
    pub const SYNC_MAXLEN: u16 = 4;
    pub const MCAST_GROUP: u16 = 5;
    pub const MCAST_GROUP6: u16 = 6;
    pub const MCAST_PORT: u16 = 7;
    pub const MCAST_TTL: u16 = 8;
}

/// A connection to the kernel's IPVS.
pub struct Ipvs {
    socket: NlSocket,
    family: u16,
    seq: u32,
}

impl fmt::Debug for Ipvs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ipvs(family {})", self.family)
    }
}

impl Ipvs {
    /// Open generic netlink and resolve the IPVS family. Fails clearly when
    /// the kernel has no IPVS (the `ip_vs` module is not loaded: director
    /// does not load modules behind the operator's back).
    pub fn connect() -> Result<Ipvs, KernelError> {
        let socket = NlSocket::connect(NlFamily::Generic, None, Groups::empty())
            .map_err(|e| local("open generic netlink", e.to_string()))?;
        let mut ipvs = Ipvs {
            socket,
            family: GENL_ID_CTRL,
            seq: 0,
        };
        let name = [Attr::string(CTRL_ATTR_FAMILY_NAME, proto::FAMILY)];
        let replies = ipvs
            .exchange(CTRL_CMD_GETFAMILY, 1, &name, 0)
            .map_err(|e| {
                if e.errno == libc::ENOENT {
                    local(
                        "resolve the IPVS netlink family",
                        "this kernel has no IPVS (load it with `modprobe ip_vs`)",
                    )
                } else {
                    e
                }
            })?;
        let family = replies
            .iter()
            .find_map(|attrs| find(&Parsed::all(attrs), CTRL_ATTR_FAMILY_ID)?.u16())
            .ok_or_else(|| {
                local(
                    "resolve the IPVS netlink family",
                    "no family id in the answer",
                )
            })?;
        ipvs.family = family;
        Ok(ipvs)
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&self, bytes: &[u8], operation: &str) -> Result<(), KernelError> {
        self.socket
            .send(bytes, Msg::empty())
            .map(drop)
            .map_err(|e| local(operation, format!("send: {e}")))
    }

    fn receive(&self, operation: &str) -> Result<Vec<Answer>, KernelError> {
        let mut buffer = vec![0u8; RECEIVE_BYTES];
        let (length, _) = self
            .socket
            .recv(&mut buffer[..], Msg::empty())
            .map_err(|e| local(operation, format!("receive: {e}")))?;
        wire::answers(&buffer[..length]).map_err(|e| local(operation, e))
    }

    /// One request; its reply messages' attributes (a dump's entries).
    fn exchange(
        &mut self,
        command: u8,
        version: u8,
        attrs: &[Attr],
        flags: u16,
    ) -> Result<Vec<Vec<u8>>, KernelError> {
        let operation = format!("netlink command {command}");
        let seq = self.next_seq();
        let bytes = wire::request(
            self.family,
            flags | wire::F_ACK,
            seq,
            command,
            version,
            attrs,
        );
        self.send(&bytes, &operation)?;
        let mut replies = Vec::new();
        loop {
            for answer in self.receive(&operation)? {
                match answer {
                    Answer::Message { seq: s, attrs, .. } if s == seq => replies.push(attrs),
                    Answer::Done { seq: s } | Answer::Ack { seq: s } if s == seq => {
                        return Ok(replies)
                    }
                    Answer::Error { seq: s, errno } if s == seq => {
                        return Err(KernelError {
                            operation,
                            errno,
                            reason: std::io::Error::from_raw_os_error(errno).to_string(),
                        })
                    }
                    _ => {}
                }
            }
        }
    }

    /// Version and connection table size.
    pub fn info(&mut self) -> Result<Info, KernelError> {
        let replies = self
            .exchange(cmd::GET_INFO, proto::VERSION, &[], 0)
            .map_err(|e| KernelError {
                operation: "read IPVS info".into(),
                ..e
            })?;
        let attrs = Parsed::all(replies.first().map_or(&[][..], |r| &r[..]));
        let version = find(&attrs, 1).and_then(|a| a.u32()).unwrap_or(0);
        Ok(Info {
            version: ((version >> 16) as u8, (version >> 8) as u8, version as u8),
            table_size: find(&attrs, 2).and_then(|a| a.u32()).unwrap_or(0),
        })
    }

    /// Every virtual service, in the kernel's order.
    pub fn services(&mut self) -> Result<Vec<KService>, KernelError> {
        let replies = self
            .exchange(cmd::GET_SERVICE, proto::VERSION, &[], wire::F_DUMP)
            .map_err(|e| KernelError {
                operation: "list services".into(),
                ..e
            })?;
        replies
            .iter()
            .map(|r| proto::parse_service(r).map_err(|e| local("list services", e)))
            .collect()
    }

    /// The destinations of `key`, in the kernel's order (newest first).
    pub fn dests(&mut self, key: &ServiceKey) -> Result<Vec<KDest>, KernelError> {
        let operation = format!("list destinations of {}", key_text(key));
        let ipv6 = matches!(key, ServiceKey::Fwmark { ipv6: true, .. })
            || matches!(key, ServiceKey::Tcp(a) | ServiceKey::Udp(a) | ServiceKey::Sctp(a) if a.is_ipv6());
        let replies = self
            .exchange(
                cmd::GET_DEST,
                proto::VERSION,
                &[proto::service_key_attr(key)],
                wire::F_DUMP,
            )
            .map_err(|e| KernelError {
                operation: operation.clone(),
                ..e
            })?;
        replies
            .iter()
            .map(|r| proto::parse_dest(r, ipv6).map_err(|e| local(&operation, e)))
            .collect()
    }

    /// Every service with its destinations, in the kernel's order.
    pub fn table(&mut self) -> Result<Vec<(KService, Vec<KDest>)>, KernelError> {
        let services = self.services()?;
        services
            .into_iter()
            .map(|s| {
                let dests = self.dests(&s.key)?;
                Ok((s, dests))
            })
            .collect()
    }

    /// Carry out `ops` in order, many per `send()`. Every failure is
    /// returned with the index of its operation; the others are applied.
    pub fn apply(&mut self, ops: &[Op]) -> Vec<(usize, KernelError)> {
        let mut failures = Vec::new();
        let mut start = 0;
        while start < ops.len() {
            let mut bytes = Vec::new();
            let mut seqs = Vec::new();
            let mut last_at = 0;
            let mut end = start;
            while end < ops.len() && bytes.len() < BATCH_BYTES {
                let (command, attrs) = ops[end].request();
                let seq = self.next_seq();
                last_at = bytes.len();
                bytes.extend(wire::request(
                    self.family,
                    0,
                    seq,
                    command,
                    proto::VERSION,
                    &attrs,
                ));
                seqs.push(seq);
                end += 1;
            }
            // Only the batch's last request asks for an ACK: failures are
            // reported whatever the flags, so its ACK ends the batch.
            let flags = u16::from_ne_bytes([bytes[last_at + 6], bytes[last_at + 7]]) | wire::F_ACK;
            bytes[last_at + 6..last_at + 8].copy_from_slice(&flags.to_ne_bytes());
            let final_seq = *seqs.last().unwrap_or(&0);
            if let Err(e) = self.send(&bytes, "apply changes") {
                failures.extend((start..end).map(|i| (i, e.clone())));
                start = end;
                continue;
            }
            let mut finished = false;
            while !finished {
                match self.receive("apply changes") {
                    Ok(answers) => {
                        for answer in answers {
                            let (seq, errno) = match answer {
                                Answer::Error { seq, errno } => (seq, Some(errno)),
                                Answer::Ack { seq } => (seq, None),
                                _ => continue,
                            };
                            if let Some(at) = seqs.iter().position(|s| *s == seq) {
                                let index = start + at;
                                if let Some(errno) = errno {
                                    failures.push((
                                        index,
                                        KernelError {
                                            operation: ops[index].describe(),
                                            errno,
                                            reason: ops[index].explain(errno),
                                        },
                                    ));
                                }
                                finished |= seq == final_seq;
                            }
                        }
                    }
                    Err(e) => {
                        failures.push((end - 1, e));
                        finished = true;
                    }
                }
            }
            start = end;
        }
        failures
    }

    /// Zero the counters of one service, or of all.
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), KernelError> {
        let attrs: Vec<Attr> = key.map(proto::service_key_attr).into_iter().collect();
        self.exchange(cmd::ZERO, proto::VERSION, &attrs, 0)
            .map(drop)
            .map_err(|e| KernelError {
                operation: "zero counters".into(),
                ..e
            })
    }

    /// Delete every service (`ipvsadm -C`). director never does this on its
    /// own; it is here for tests and an explicit operator request.
    pub fn flush(&mut self) -> Result<(), KernelError> {
        self.exchange(cmd::FLUSH, proto::VERSION, &[], 0)
            .map(drop)
            .map_err(|e| KernelError {
                operation: "flush the table".into(),
                ..e
            })
    }

    /// Start a sync daemon.
    pub fn start_daemon(&mut self, daemon: &SyncDaemon) -> Result<(), KernelError> {
        use daemon_attr::*;
        let mut attrs = vec![
            Attr::u32(STATE, daemon.role.code()),
            Attr::string(MCAST_IFN, &daemon.interface),
            Attr::u32(SYNC_ID, daemon.sync_id),
        ];
        if daemon.max_len > 0 {
            attrs.push(Attr::u16(SYNC_MAXLEN, daemon.max_len));
        }
        match daemon.group {
            Some(std::net::IpAddr::V4(group)) => {
                attrs.push(Attr::bytes(MCAST_GROUP, &group.octets()))
            }
            Some(std::net::IpAddr::V6(group)) => {
                attrs.push(Attr::bytes(MCAST_GROUP6, &group.octets()))
            }
            None => {}
        }
        if daemon.port > 0 {
            attrs.push(Attr::u16(MCAST_PORT, daemon.port));
        }
        if daemon.ttl > 0 {
            attrs.push(Attr::bytes(MCAST_TTL, &[daemon.ttl]));
        }
        let operation = format!(
            "start the {:?} sync daemon on {} (syncid {})",
            daemon.role, daemon.interface, daemon.sync_id
        );
        self.exchange(
            cmd::NEW_DAEMON,
            proto::VERSION,
            &[Attr::nested(attr::DAEMON, attrs)],
            0,
        )
        .map(drop)
        .map_err(|e| KernelError { operation, ..e })
    }

    /// Stop the sync daemon of `role`.
    pub fn stop_daemon(&mut self, role: SyncRole) -> Result<(), KernelError> {
        let attrs = [Attr::nested(
            attr::DAEMON,
            vec![Attr::u32(daemon_attr::STATE, role.code())],
        )];
        self.exchange(cmd::DEL_DAEMON, proto::VERSION, &attrs, 0)
            .map(drop)
            .map_err(|e| KernelError {
                operation: format!("stop the {role:?} sync daemon"),
                ..e
            })
    }

    /// The running sync daemons.
    pub fn daemons(&mut self) -> Result<Vec<SyncDaemon>, KernelError> {
        use daemon_attr::*;
        let replies = self
            .exchange(cmd::GET_DAEMON, proto::VERSION, &[], wire::F_DUMP)
            .map_err(|e| KernelError {
                operation: "list sync daemons".into(),
                ..e
            })?;
        Ok(replies
            .iter()
            .filter_map(|reply| {
                let outer = Parsed::all(reply);
                let attrs = find(&outer, attr::DAEMON)?.children();
                let role = match find(&attrs, STATE)?.u32()? {
                    1 => SyncRole::Master,
                    2 => SyncRole::Backup,
                    _ => return None,
                };
                let group = find(&attrs, MCAST_GROUP)
                    .and_then(|a| <[u8; 4]>::try_from(a.data.get(..4)?).ok())
                    .map(std::net::IpAddr::from)
                    .filter(|ip| !ip.is_unspecified())
                    .or_else(|| {
                        find(&attrs, MCAST_GROUP6)
                            .and_then(|a| <[u8; 16]>::try_from(a.data.get(..16)?).ok())
                            .map(std::net::IpAddr::from)
                            .filter(|ip| !ip.is_unspecified())
                    });
                Some(SyncDaemon {
                    role,
                    interface: find(&attrs, MCAST_IFN)
                        .map(|a| a.string())
                        .unwrap_or_default(),
                    sync_id: find(&attrs, SYNC_ID).and_then(|a| a.u32()).unwrap_or(0),
                    max_len: find(&attrs, SYNC_MAXLEN).and_then(|a| a.u16()).unwrap_or(0),
                    group,
                    port: find(&attrs, MCAST_PORT).and_then(|a| a.u16()).unwrap_or(0),
                    ttl: find(&attrs, MCAST_TTL)
                        .and_then(|a| a.data.first().copied())
                        .unwrap_or(0),
                })
            })
            .collect())
    }

    /// The TCP, TCP FIN and UDP timeouts.
    pub fn timeouts(&mut self) -> Result<Timeouts, KernelError> {
        let replies = self
            .exchange(cmd::GET_CONFIG, proto::VERSION, &[], 0)
            .map_err(|e| KernelError {
                operation: "read timeouts".into(),
                ..e
            })?;
        let attrs = Parsed::all(replies.first().map_or(&[][..], |r| &r[..]));
        let value = |kind| find(&attrs, kind).and_then(|a| a.u32()).unwrap_or(0);
        Ok(Timeouts {
            tcp: value(attr::TIMEOUT_TCP),
            tcp_fin: value(attr::TIMEOUT_TCP_FIN),
            udp: value(attr::TIMEOUT_UDP),
        })
    }

    /// Set the timeouts (0 leaves one unchanged, as `ipvsadm --set`).
    pub fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<(), KernelError> {
        let attrs = [
            Attr::u32(attr::TIMEOUT_TCP, timeouts.tcp),
            Attr::u32(attr::TIMEOUT_TCP_FIN, timeouts.tcp_fin),
            Attr::u32(attr::TIMEOUT_UDP, timeouts.udp),
        ];
        self.exchange(cmd::SET_CONFIG, proto::VERSION, &attrs, 0)
            .map(drop)
            .map_err(|e| KernelError {
                operation: "set timeouts".into(),
                ..e
            })
    }
}
