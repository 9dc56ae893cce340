//! Validated configuration values. Each rejects out-of-range input while it is
//! deserialized, so the error carries the offending value's position.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

macro_rules! ranged_integer {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $field:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $inner);

        impl $name {
            /// The accepted range, inclusive.
            pub const RANGE: std::ops::RangeInclusive<i64> = $min..=$max;

            /// Validate a raw value.
            pub fn new(value: i64) -> Result<$name, String> {
                if Self::RANGE.contains(&value) {
                    Ok($name(value as $inner))
                } else {
                    Err(format!("{} must be {}..={}, not {}", $field, $min, $max, value))
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = i64::deserialize(deserializer)?;
                $name::new(raw).map_err(de::Error::custom)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

ranged_integer!(
    /// A VRRP priority; 255 means this router owns the virtual addresses.
    Priority, u8, "priority", 1, 255
);
ranged_integer!(
    /// A VRRP virtual router identifier.
    Vrid, u8, "virtual_router_id", 1, 255
);
ranged_integer!(
    /// A real server weight, as IPVS and keepalived accept it.
    Weight, u32, "weight", 0, 65535
);
ranged_integer!(
    /// A TCP or UDP port.
    Port, u16, "port", 1, 65535
);
ranged_integer!(
    /// A virtual or real server's port; 0 on a persistent virtual service
    /// means every port (IPVS's port-0 service), and on its real servers
    /// "the port the client asked for".
    ServicePort, u16, "port", 0, 65535
);

/// A value written as a string in TOML: read through its `FromStr` (whose
/// error is the message, at the value), written through its `Display`.
macro_rules! string_serde {
    ($type:ty) => {
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(de::Error::custom)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

/// An HTTP status an HTTP_GET accepts: one code (`"200"`) or a range of
/// codes (`"200-299"`), each 100..=599. Parsed once, at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    /// The lowest accepted code.
    pub low: u16,
    /// The highest accepted code (`low` for a single code).
    pub high: u16,
}

impl std::str::FromStr for StatusRange {
    type Err = String;

    fn from_str(code: &str) -> Result<StatusRange, String> {
        let (low, high) = code.split_once('-').unwrap_or((code, code));
        let parse = |s: &str| {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| {
                    format!("status_code {code:?} is not a code or a range of codes (100-599)")
                })
        };
        let (low, high) = (parse(low)?, parse(high)?);
        if low > high {
            return Err(format!("status_code {code:?} runs backwards"));
        }
        Ok(StatusRange { low, high })
    }
}

impl fmt::Display for StatusRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "{}-{}", self.low, self.high)
        }
    }
}

string_serde!(StatusRange);

/// Bytes written as hex digits (`"0a ff"`: whitespace between pairs is
/// allowed), as UDP_CHECK's `payload` and `require_reply` take them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HexBytes(pub Vec<u8>);

impl std::str::FromStr for HexBytes {
    type Err = String;

    fn from_str(text: &str) -> Result<HexBytes, String> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !digits.len().is_multiple_of(2) {
            return Err(format!("{text:?} has an odd number of hex digits"));
        }
        (0..digits.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(&digits[i..i + 2], 16)
                    .map_err(|_| format!("{text:?} is not hex"))
            })
            .collect::<Result<Vec<u8>, String>>()
            .map(HexBytes)
    }
}

impl fmt::Display for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

string_serde!(HexBytes);

/// A record type DNS_CHECK may ask for (keepalived's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsType {
    name: &'static str,
    number: u16,
}

impl DnsType {
    /// The types keepalived's DNS_CHECK accepts, with their numbers.
    const ALL: [DnsType; 7] = [
        DnsType {
            name: "A",
            number: 1,
        },
        DnsType {
            name: "NS",
            number: 2,
        },
        DnsType {
            name: "CNAME",
            number: 5,
        },
        DnsType {
            name: "SOA",
            number: 6,
        },
        DnsType {
            name: "MX",
            number: 15,
        },
        DnsType {
            name: "TXT",
            number: 16,
        },
        DnsType {
            name: "AAAA",
            number: 28,
        },
    ];

    /// SOA, keepalived's default.
    pub const SOA: DnsType = DnsType::ALL[3];

    /// Its number on the wire.
    pub fn number(self) -> u16 {
        self.number
    }
}

impl std::str::FromStr for DnsType {
    type Err = String;

    fn from_str(name: &str) -> Result<DnsType, String> {
        DnsType::ALL
            .into_iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!("DNS_CHECK type {name:?} is not one of A, NS, CNAME, SOA, MX, TXT, AAAA")
            })
    }
}

impl fmt::Display for DnsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

string_serde!(DnsType);

/// A non-negative duration written as seconds, integer or fractional (`1`, `0.5`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Seconds(pub Duration);

impl Seconds {
    /// From whole seconds.
    pub const fn from_secs(secs: u64) -> Seconds {
        Seconds(Duration::from_secs(secs))
    }

    /// Whether it is no time at all.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecondsVisitor;
        impl Visitor<'_> for SecondsVisitor {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds, e.g. 3 or 0.5")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
                if v.is_finite() && (0.0..=86_400.0).contains(&v) {
                    Ok(Seconds(Duration::from_secs_f64(v)))
                } else {
                    Err(E::custom(format!("seconds must be 0..=86400, not {v}")))
                }
            }
        }
        deserializer.deserialize_any(SecondsVisitor)
    }
}

/// Whole seconds print without a fraction (`5`), others with one (`0.5`),
/// in TOML and keepalived.conf alike.
impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs_f64();
        if secs.fract() == 0.0 {
            write!(f, "{}", secs as u64)
        } else {
            write!(f, "{secs}")
        }
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let secs = self.0.as_secs_f64();
        if secs.fract() == 0.0 {
            serializer.serialize_u64(secs as u64)
        } else {
            serializer.serialize_f64(secs)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_bytes_and_dns_types_parse_once_and_print_back() {
        let hex: HexBytes = "0a ff".parse().unwrap();
        assert_eq!(hex, HexBytes(vec![0x0a, 0xff]));
        assert_eq!(hex.to_string(), "0aff");
        assert!("abc"
            .parse::<HexBytes>()
            .unwrap_err()
            .contains("odd number"));
        assert!("zz".parse::<HexBytes>().unwrap_err().contains("not hex"));
        let aaaa: DnsType = "aaaa".parse().unwrap();
        assert_eq!((aaaa.number(), aaaa.to_string()), (28, "AAAA".to_string()));
        assert!("SRV".parse::<DnsType>().unwrap_err().contains("not one of"));
    }

    use super::*;

    #[test]
    fn ranges_name_the_field_and_the_value() {
        assert_eq!(
            Priority::new(0).unwrap_err(),
            "priority must be 1..=255, not 0"
        );
        assert_eq!(
            Priority::new(256).unwrap_err(),
            "priority must be 1..=255, not 256"
        );
        assert_eq!(Priority::new(150).unwrap(), Priority(150));
        assert!(Weight::new(65536).is_err());
        assert!(Port::new(0).is_err());
    }
}
