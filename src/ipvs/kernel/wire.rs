//! Generic-netlink framing, pure: attributes (nested or not), requests as
//! bytes, and the kernel's answers parsed back. Kept apart from the socket
//! so that many requests can be serialized into one `send()`.

/// `NLM_F_REQUEST`.
pub const F_REQUEST: u16 = 0x1;
/// `NLM_F_ACK`.
pub const F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const F_DUMP: u16 = 0x300;
/// `NLM_F_MULTI`: part of a multi-part answer.
const F_MULTI: u16 = 0x2;

/// `NLMSG_ERROR` (an error, or an ACK when the code is 0).
const MSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
const MSG_DONE: u16 = 3;
/// `NLA_F_NESTED`.
const NESTED: u16 = 0x8000;

const HEADER: usize = 16;
const GENL_HEADER: usize = 4;

fn align(length: usize) -> usize {
    (length + 3) & !3
}

/// One netlink attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Its type (without the nested flag).
    pub kind: u16,
    /// Its payload.
    pub value: Value,
}

/// An attribute's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// Attributes inside it.
    Nested(Vec<Attr>),
}

impl Attr {
    /// Raw bytes.
    pub fn bytes(kind: u16, bytes: &[u8]) -> Attr {
        Attr {
            kind,
            value: Value::Bytes(bytes.to_vec()),
        }
    }

    /// A native-endian u16.
    pub fn u16(kind: u16, value: u16) -> Attr {
        Attr::bytes(kind, &value.to_ne_bytes())
    }

    /// A native-endian u32.
    pub fn u32(kind: u16, value: u32) -> Attr {
        Attr::bytes(kind, &value.to_ne_bytes())
    }

    /// A NUL-terminated string.
    pub fn string(kind: u16, text: &str) -> Attr {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        Attr::bytes(kind, &bytes)
    }

    /// A nested attribute.
    pub fn nested(kind: u16, children: Vec<Attr>) -> Attr {
        Attr {
            kind,
            value: Value::Nested(children),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        let kind = match &self.value {
            Value::Bytes(bytes) => {
                out.extend_from_slice(bytes);
                self.kind
            }
            Value::Nested(children) => {
                for child in children {
                    child.encode(out);
                }
                self.kind | NESTED
            }
        };
        let length = (out.len() - start) as u16;
        out[start..start + 2].copy_from_slice(&length.to_ne_bytes());
        out[start + 2..start + 4].copy_from_slice(&kind.to_ne_bytes());
        out.resize(start + align(length as usize), 0);
    }
}

/// Attributes as parsed from an answer: raw bytes, children parsed on demand.
#[derive(Debug, Clone, Copy)]
pub struct Parsed<'a> {
    /// Its type (without flags).
    pub kind: u16,
    /// Its payload.
    pub data: &'a [u8],
}

impl<'a> Parsed<'a> {
    /// Every attribute in `data`, in order; stops at the first malformed one.
    pub fn all(data: &'a [u8]) -> Vec<Parsed<'a>> {
        let mut found = Vec::new();
        let mut at = 0;
        while at + 4 <= data.len() {
            let length = u16::from_ne_bytes([data[at], data[at + 1]]) as usize;
            let kind = u16::from_ne_bytes([data[at + 2], data[at + 3]]) & 0x3fff;
            if length < 4 || at + length > data.len() {
                break;
            }
            found.push(Parsed {
                kind,
                data: &data[at + 4..at + length],
            });
            at += align(length);
        }
        found
    }

    /// The attributes nested in this one.
    pub fn children(&self) -> Vec<Parsed<'a>> {
        Parsed::all(self.data)
    }

    /// A native-endian u16, if it is one.
    pub fn u16(&self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.data.get(..2)?.try_into().ok()?))
    }

    /// A native-endian u32, if it is one.
    pub fn u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.data.get(..4)?.try_into().ok()?))
    }

    /// A native-endian u64, if it is one.
    pub fn u64(&self) -> Option<u64> {
        Some(u64::from_ne_bytes(self.data.get(..8)?.try_into().ok()?))
    }

    /// A NUL-terminated string.
    pub fn string(&self) -> String {
        let end = self
            .data
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(self.data.len());
        String::from_utf8_lossy(&self.data[..end]).into_owned()
    }
}

/// The first attribute of `kind` among `attrs`.
pub fn find<'a>(attrs: &[Parsed<'a>], kind: u16) -> Option<Parsed<'a>> {
    attrs.iter().copied().find(|a| a.kind == kind)
}

/// A generic-netlink request as bytes.
pub fn request(
    family: u16,
    flags: u16,
    seq: u32,
    command: u8,
    version: u8,
    attrs: &[Attr],
) -> Vec<u8> {
    let mut out = vec![0; HEADER];
    out.extend_from_slice(&[command, version, 0, 0]);
    for attr in attrs {
        attr.encode(&mut out);
    }
    let length = out.len() as u32;
    out[0..4].copy_from_slice(&length.to_ne_bytes());
    out[4..6].copy_from_slice(&family.to_ne_bytes());
    out[6..8].copy_from_slice(&(flags | F_REQUEST).to_ne_bytes());
    out[8..12].copy_from_slice(&seq.to_ne_bytes());
    // Port id 0: the kernel fills in ours.
    out
}

/// One message of the kernel's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A generic-netlink message (a dump entry or a reply).
    Message {
        /// The request it answers.
        seq: u32,
        /// Its command.
        command: u8,
        /// Its attributes, undecoded.
        attrs: Vec<u8>,
        /// More follow (a dump).
        multi: bool,
    },
    /// The request succeeded (an ACK).
    Ack {
        /// The request.
        seq: u32,
    },
    /// The request failed with this errno (positive).
    Error {
        /// The request.
        seq: u32,
        /// The errno.
        errno: i32,
    },
    /// The end of a dump.
    Done {
        /// The request.
        seq: u32,
    },
}

/// Every message in one received buffer; an error for a malformed one.
pub fn answers(buffer: &[u8]) -> Result<Vec<Answer>, String> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + HEADER <= buffer.len() {
        let word =
            |i: usize| u32::from_ne_bytes(buffer[at + i..at + i + 4].try_into().unwrap_or([0; 4]));
        let length = word(0) as usize;
        let kind = u16::from_ne_bytes([buffer[at + 4], buffer[at + 5]]);
        let flags = u16::from_ne_bytes([buffer[at + 6], buffer[at + 7]]);
        let seq = word(8);
        if length < HEADER || at + length > buffer.len() {
            return Err(format!(
                "malformed netlink message at byte {at} (length {length})"
            ));
        }
        let body = &buffer[at + HEADER..at + length];
        found.push(match kind {
            MSG_ERROR => {
                let code = body
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(i32::from_ne_bytes)
                    .ok_or("truncated netlink error")?;
                if code == 0 {
                    Answer::Ack { seq }
                } else {
                    Answer::Error { seq, errno: -code }
                }
            }
            MSG_DONE => Answer::Done { seq },
            _ if body.len() >= GENL_HEADER => Answer::Message {
                seq,
                command: body[0],
                attrs: body[GENL_HEADER..].to_vec(),
                multi: flags & F_MULTI != 0,
            },
            _ => return Err(format!("netlink message of type {kind} without a header")),
        });
        at += align(length);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_lay_out_headers_and_aligned_nested_attributes() {
        let bytes = request(
            0x20,
            F_ACK,
            7,
            1,
            1,
            &[Attr::nested(
                1,
                vec![Attr::u16(1, 2), Attr::string(6, "wlc")],
            )],
        );
        assert_eq!(bytes.len(), 16 + 4 + 4 + 8 + 8);
        assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 40);
        assert_eq!(
            u16::from_ne_bytes(bytes[6..8].try_into().unwrap()),
            F_ACK | F_REQUEST
        );
        assert_eq!(&bytes[16..20], &[1, 1, 0, 0]);
        // The nested attribute: length 20, type 1 with NLA_F_NESTED.
        assert_eq!(u16::from_ne_bytes(bytes[20..22].try_into().unwrap()), 20);
        assert_eq!(
            u16::from_ne_bytes(bytes[22..24].try_into().unwrap()),
            0x8001
        );
        // u16 child: length 6, padded to 8.
        assert_eq!(u16::from_ne_bytes(bytes[24..26].try_into().unwrap()), 6);
        assert_eq!(&bytes[36..40], b"wlc\0");
    }

    #[test]
    fn attributes_parse_back() {
        let bytes = request(
            1,
            0,
            1,
            4,
            1,
            &[Attr::nested(
                1,
                vec![Attr::u32(4, 0xdead), Attr::string(6, "rr")],
            )],
        );
        let outer = Parsed::all(&bytes[20..]);
        assert_eq!(outer.len(), 1);
        let inner = outer[0].children();
        assert_eq!(find(&inner, 4).unwrap().u32(), Some(0xdead));
        assert_eq!(find(&inner, 6).unwrap().string(), "rr");
        assert!(find(&inner, 9).is_none());
    }

    fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&flags.to_ne_bytes());
        out.extend_from_slice(&seq.to_ne_bytes());
        out.extend_from_slice(&0u32.to_ne_bytes());
        out.extend_from_slice(body);
        out.resize(align(out.len()), 0);
        out
    }

    #[test]
    fn answers_tell_acks_errors_dumps_and_their_end_apart() {
        let mut buffer = message(MSG_ERROR, 0, 3, &0i32.to_ne_bytes());
        buffer.extend(message(MSG_ERROR, 0, 4, &(-17i32).to_ne_bytes()));
        buffer.extend(message(
            0x20,
            F_MULTI,
            5,
            &[1, 1, 0, 0, 8, 0, 1, 0, 9, 0, 0, 0],
        ));
        buffer.extend(message(MSG_DONE, F_MULTI, 5, &0i32.to_ne_bytes()));
        let found = answers(&buffer).unwrap();
        assert_eq!(found[0], Answer::Ack { seq: 3 });
        assert_eq!(found[1], Answer::Error { seq: 4, errno: 17 });
        assert!(matches!(
            &found[2],
            Answer::Message {
                seq: 5,
                command: 1,
                multi: true,
                ..
            }
        ));
        assert_eq!(found[3], Answer::Done { seq: 5 });
    }

    #[test]
    fn garbage_is_refused_not_misread() {
        let mut bad = message(0x20, 0, 1, &[1, 1, 0, 0]);
        bad[0] = 200;
        assert!(answers(&bad).unwrap_err().contains("malformed"));
        assert!(Parsed::all(&[9, 0, 1]).is_empty());
        assert!(
            Parsed::all(&[3, 0, 1, 0]).is_empty(),
            "length below the header"
        );
    }
}
