//! Persistence templates, as IPVS keeps them for a persistent service.
//!
//! A template ties a client (its address masked to the granularity) to one
//! real server. A new connection from that client goes to the template's
//! server while the template lives, bypassing the scheduler. A template
//! lives for the persistence timeout after its last use and never dies while
//! connections it placed are still open: when its timer runs out with
//! connections open, it is re-armed for another full timeout, as the kernel
//! re-arms it. A template whose server is gone or has weight 0 is dropped at
//! lookup (`expire_quiescent_template = 1`), so a drain moves persistent
//! clients too.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// What a template is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TemplateKey {
    /// The client's address masked to the granularity.
    pub client: IpAddr,
    /// The virtual service.
    pub service: SocketAddr,
}

/// One template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// The real server clients of this key go to.
    pub dest: SocketAddr,
    /// Connections placed through it that are still open.
    pub controlled: u32,
    /// When it expires unless used again.
    pub expires: Instant,
}

/// The templates of one service.
#[derive(Debug, Default)]
pub struct Templates {
    entries: HashMap<TemplateKey, Template>,
}

impl Templates {
    /// The live template for `key` whose server is still present with a
    /// weight above 0 (`weight_of` answers for present servers); a template
    /// that fails that test is dropped and `None` returned.
    pub fn lookup<F>(&mut self, key: &TemplateKey, weight_of: F) -> Option<SocketAddr>
    where
        F: Fn(SocketAddr) -> Option<u32>,
    {
        let template = self.entries.get(key)?;
        if weight_of(template.dest).is_some_and(|w| w > 0) {
            return Some(template.dest);
        }
        self.entries.remove(key);
        None
    }

    /// A connection was placed on `dest` for `key`: create or refresh the
    /// template and count the connection against it.
    pub fn bind(&mut self, key: TemplateKey, dest: SocketAddr, now: Instant, timeout: Duration) {
        let template = self.entries.entry(key).or_insert(Template {
            dest,
            controlled: 0,
            expires: now + timeout,
        });
        template.dest = dest;
        template.controlled += 1;
        template.expires = now + timeout;
    }

    /// A connection placed through `key` has ended.
    pub fn release(&mut self, key: &TemplateKey) {
        if let Some(template) = self.entries.get_mut(key) {
            template.controlled = template.controlled.saturating_sub(1);
        }
    }

    /// Drop templates whose timer ran out with no open connection; re-arm
    /// those that still control connections.
    pub fn expire(&mut self, now: Instant, timeout: Duration) {
        self.entries.retain(|_, t| {
            if now < t.expires {
                return true;
            }
            if t.controlled > 0 {
                t.expires = now + timeout;
                return true;
            }
            false
        });
    }

    /// Templates per destination (ipvsadm PersistConn), in one pass.
    pub fn per_dest(&self) -> HashMap<SocketAddr, u64> {
        let mut counts = HashMap::new();
        for template in self.entries.values() {
            *counts.entry(template.dest).or_default() += 1;
        }
        counts
    }

    /// Templates pointing at `dest`.
    #[cfg(test)]
    pub fn count_for(&self, dest: SocketAddr) -> u64 {
        self.per_dest().get(&dest).copied().unwrap_or(0)
    }

    /// Every template, for the connection listing.
    pub fn iter(&self) -> impl Iterator<Item = (&TemplateKey, &Template)> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::model::mask;

    fn key(client: &str) -> TemplateKey {
        TemplateKey {
            client: mask(client.parse().unwrap(), 24),
            service: "203.0.113.10:80".parse().unwrap(),
        }
    }

    const RS1: &str = "198.51.100.11:80";

    #[test]
    fn clients_in_one_granule_share_a_template() {
        assert_eq!(key("192.0.2.1"), key("192.0.2.200"));
        assert_ne!(key("192.0.2.1"), key("192.0.3.1"));
        assert_eq!(
            mask("2001:db8:1:2::5".parse().unwrap(), 48),
            "2001:db8:1::".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_template_holds_until_timeout_after_its_connections_end() {
        let mut t = Templates::default();
        let now = Instant::now();
        let timeout = Duration::from_secs(300);
        let rs1: SocketAddr = RS1.parse().unwrap();
        t.bind(key("192.0.2.1"), rs1, now, timeout);
        assert_eq!(t.lookup(&key("192.0.2.9"), |_| Some(1)), Some(rs1));
        // Timer runs out while a connection is open: re-armed.
        t.expire(now + timeout, timeout);
        assert_eq!(t.count_for(rs1), 1);
        t.release(&key("192.0.2.1"));
        t.expire(now + timeout * 2 - Duration::from_secs(1), timeout);
        assert_eq!(t.count_for(rs1), 1, "re-armed for a full timeout");
        t.expire(now + timeout * 2, timeout);
        assert_eq!(t.count_for(rs1), 0);
    }

    #[test]
    fn a_drained_or_removed_server_drops_its_templates() {
        let mut t = Templates::default();
        let now = Instant::now();
        let rs1: SocketAddr = RS1.parse().unwrap();
        t.bind(key("192.0.2.1"), rs1, now, Duration::from_secs(60));
        assert_eq!(t.lookup(&key("192.0.2.1"), |_| Some(0)), None);
        assert_eq!(t.count_for(rs1), 0);
        t.bind(key("192.0.2.1"), rs1, now, Duration::from_secs(60));
        assert_eq!(t.lookup(&key("192.0.2.1"), |_| None), None);
    }
}
