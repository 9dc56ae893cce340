//! The virtual-server table in `ipvsadm`'s own formats, column for column,
//! so that scripts written against `ipvsadm -Ln` keep working: the plain
//! listing, `--stats`, `--rate`, `--thresholds`, `--persistent-conn`, the
//! connection listing `-c` and the rules `-S`. The first line names the
//! data plane instead of the kernel's IPVS version.

use std::fmt::Write;

use crate::engine::snapshot::{ServerView, ServiceView};
use crate::engine::Snapshot;
use crate::ipvs::model::{netmask_text, ConnRow};

/// Which table ipvsadm would print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// `-Ln`.
    Plain,
    /// `-Ln --stats`.
    Stats,
    /// `-Ln --rate`.
    Rate,
    /// `-Ln --thresholds`.
    Thresholds,
    /// `-Ln --persistent-conn`.
    PersistentConn,
}

/// ipvsadm's `print_largenum`: 8 columns, scaled with K/M/G/T unless exact.
fn largenum(out: &mut String, value: u64, exact: bool) {
    let _ = match value {
        _ if exact => write!(out, " {value:8}"),
        0..=99_999_999 => write!(out, " {value:8}"),
        100_000_000..=999_999_999 => write!(out, " {:7}K", value / 1_000),
        1_000_000_000..=99_999_999_999 => write!(out, " {:7}M", value / 1_000_000),
        100_000_000_000..=99_999_999_999_999 => write!(out, " {:7}G", value / 1_000_000_000),
        _ => write!(out, " {:7}T", value / 1_000_000_000_000),
    };
}

fn service_name(s: &ServiceView) -> String {
    format!("{:<4} {}", s.protocol.to_uppercase(), s.address)
}

/// The persistence netmask when it is narrower than the whole address
/// (ipvsadm prints nothing otherwise).
fn partial_mask(s: &ServiceView) -> Option<String> {
    // "[2001:db8::1]:80", or "8 IPv6" for an IPv6 firewall-mark service.
    let ipv6 = s.address.starts_with('[') || s.address.ends_with(" IPv6");
    let whole = if ipv6 { 128 } else { 32 };
    s.persistence_bits
        .filter(|bits| *bits != whole)
        .map(|bits| netmask_text(ipv6, bits))
}

/// The rows ipvsadm would list: the real servers in the table, then the
/// sorry server while it is in it.
fn listed(s: &ServiceView) -> impl Iterator<Item = &ServerView> {
    s.servers
        .iter()
        .filter(|r| r.in_table)
        .chain(s.sorry_row.as_ref())
}

/// `ipvsadm -Ln` and its column variants.
pub fn table(snapshot: &Snapshot, columns: Columns, exact: bool) -> String {
    let header = format!(
        "director {} data plane on {}",
        snapshot.dataplane, snapshot.node
    );
    render(&header, &snapshot.services, columns, exact)
}

/// `services` in `ipvsadm -Ln`'s format (or a column variant), under
/// `header` (the first line: ipvsadm names the IPVS version there).
pub fn render(header: &str, services: &[ServiceView], columns: Columns, exact: bool) -> String {
    let mut out = format!("{header}\n");
    out.push_str(match columns {
        Columns::Stats => "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n",
        Columns::Rate => "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n",
        Columns::Thresholds => "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n",
        Columns::PersistentConn => "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n",
        Columns::Plain => "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    });
    for s in services {
        let name = service_name(s);
        let t = &s.traffic;
        match columns {
            Columns::Stats => {
                let _ = write!(out, "{name:<33}");
                for v in [
                    t.conns,
                    t.in_packets,
                    t.out_packets,
                    t.in_bytes,
                    t.out_bytes,
                ] {
                    largenum(&mut out, v, exact);
                }
            }
            Columns::Rate => {
                let _ = write!(
                    out,
                    "{name:<33} {:8} {:8} {:8}",
                    t.cps as u64, t.in_pps as u64, t.out_pps as u64
                );
                largenum(&mut out, t.in_bps as u64, exact);
                largenum(&mut out, t.out_bps as u64, exact);
            }
            Columns::Plain | Columns::PersistentConn | Columns::Thresholds => {
                let _ = write!(out, "{name} {}", s.scheduler);
                if !s.flags.is_empty() {
                    let _ = write!(out, " ({})", s.flags.join(","));
                }
                if let Some(timeout) = s.persistence_secs {
                    let _ = write!(out, " persistent {timeout}");
                    if let Some(mask) = partial_mask(s) {
                        let _ = write!(out, " mask {mask}");
                    }
                }
            }
        }
        out.push('\n');
        for r in listed(s) {
            match columns {
                Columns::Stats => {
                    let _ = write!(out, "  -> {:<28}", r.address);
                    for v in [
                        r.conns,
                        r.in_packets,
                        r.out_packets,
                        r.in_bytes,
                        r.out_bytes,
                    ] {
                        largenum(&mut out, v, exact);
                    }
                    out.push('\n');
                }
                Columns::Rate => {
                    let _ = write!(
                        out,
                        "  -> {:<28} {:8} {:8} {:8}",
                        r.address, r.cps as u64, r.in_pps as u64, r.out_pps as u64
                    );
                    largenum(&mut out, r.in_bps as u64, exact);
                    largenum(&mut out, r.out_bps as u64, exact);
                    out.push('\n');
                }
                Columns::Thresholds => {
                    let _ = writeln!(
                        out,
                        "  -> {:<28} {:<10} {:<10} {:<10} {:<10}",
                        r.address, r.uthreshold, r.lthreshold, r.active, r.inactive
                    );
                }
                Columns::PersistentConn => {
                    let _ = writeln!(
                        out,
                        "  -> {:<28} {:<9} {:<11} {:<10} {:<10}",
                        r.address, r.weight, r.persistent, r.active, r.inactive
                    );
                }
                Columns::Plain => {
                    let _ = writeln!(
                        out,
                        "  -> {:<28} {:<7} {:<6} {:<10} {:<10}",
                        r.address, r.forwarding, r.weight, r.active, r.inactive
                    );
                }
            }
        }
    }
    out
}

/// `ipvsadm -Lnc`: the connection entries, persistence templates included.
pub fn connections(rows: &[ConnRow]) -> String {
    let mut out = String::from("IPVS connection entries\n");
    let _ = writeln!(
        out,
        "pro expire {:<11} {:<18} {:<18} destination",
        "state", "source", "virtual"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<3} {:02}:{:02}  {:<11} {:<18} {:<18} {}",
            row.protocol,
            row.expires_secs / 60,
            row.expires_secs % 60,
            row.state,
            row.source.to_string(),
            row.virtual_address.to_string(),
            row.destination
        );
    }
    out
}

/// `ipvsadm -Sn`: rules that rebuild the table with `ipvsadm -R`. Like
/// ipvsadm 1.31 (checked against it under a real kernel), it writes no
/// thresholds: `-x`/`-y` do not survive a save and restore.
pub fn rules(services: &[ServiceView]) -> String {
    let mut out = String::new();
    for s in services {
        let switch = match s.protocol.as_str() {
            "udp" => "-u",
            "sctp" => "--sctp-service",
            "fwm" => "-f",
            _ => "-t",
        };
        // An IPv6 firewall-mark service is "8 IPv6" in listings, "8 -6" here.
        let address = s.address.replace(" IPv6", " -6");
        let _ = write!(out, "-A {switch} {address} -s {}", s.scheduler);
        if !s.flags.is_empty() {
            let _ = write!(out, " -b {}", s.flags.join(","));
        }
        if let Some(timeout) = s.persistence_secs {
            let _ = write!(out, " -p {timeout}");
            if let Some(mask) = partial_mask(s) {
                let _ = write!(out, " -M {mask}");
            }
        }
        out.push('\n');
        for r in listed(s) {
            let forwarding = match r.forwarding.as_str() {
                "Route" => "-g",
                "Tunnel" => "-i",
                _ => "-m",
            };
            let _ = write!(
                out,
                "-a {switch} {address} -r {} {forwarding} -w {}",
                r.address, r.weight
            );
            if let Some(tunnel) = &r.tunnel {
                let _ = write!(out, " --tun-type {}", tunnel.kind);
                if tunnel.kind == "gue" {
                    let _ = write!(out, " --tun-port {}", tunnel.port);
                }
                if tunnel.kind != "ipip" {
                    let _ = write!(out, " --tun-{}", tunnel.checksum);
                }
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::snapshot;

    #[test]
    fn plain_reads_like_ipvsadm() {
        let expected = "\
director userspace data plane on d1
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.50:80 wlc
  -> 192.0.2.21:80                Masq    1      4          12        \n  -> 192.0.2.22:80                Masq    0      0          0         \n  -> 192.0.2.23:80                Masq    1      5          15        \n";
        assert_eq!(table(&snapshot(), Columns::Plain, false), expected);
    }

    #[test]
    fn stats_columns_are_eight_wide_and_scale() {
        let mut snap = snapshot();
        snap.services[0].traffic.in_bytes = 123_456_789_012;
        snap.services[0].traffic.conns = 42;
        let text = table(&snap, Columns::Stats, false);
        let line = text.lines().nth(3).unwrap();
        assert_eq!(
            line,
            "TCP  192.0.2.50:80                      42        0        0     123G        0"
        );
        let exact = table(&snap, Columns::Stats, true);
        assert!(exact.contains(" 123456789012 "), "{exact}");
    }

    #[test]
    fn persistent_service_shows_timeout_and_mask() {
        let mut snap = snapshot();
        snap.services[0].persistence_secs = Some(300);
        snap.services[0].persistence_bits = Some(24);
        let text = table(&snap, Columns::Plain, false);
        assert!(
            text.contains("TCP  192.0.2.50:80 wlc persistent 300 mask 255.255.255.0\n"),
            "{text}"
        );
        let saved = rules(&snap.services);
        assert!(saved.starts_with("-A -t 192.0.2.50:80 -s wlc -p 300 -M 255.255.255.0\n-a -t 192.0.2.50:80 -r 192.0.2.21:80 -m -w 1\n"), "{saved}");
    }

    #[test]
    fn connections_read_like_ipvsadm_lnc() {
        let rows = vec![ConnRow {
            protocol: "TCP".into(),
            expires_secs: 899,
            state: "ESTABLISHED".into(),
            source: "192.0.2.9:40000".parse().unwrap(),
            virtual_address: "192.0.2.50:80".parse().unwrap(),
            destination: "192.0.2.21:80".parse().unwrap(),
        }];
        assert_eq!(
            connections(&rows),
            "IPVS connection entries\n\
             pro expire state       source             virtual            destination\n\
             TCP 14:59  ESTABLISHED 192.0.2.9:40000    192.0.2.50:80      192.0.2.21:80\n"
        );
    }
}
