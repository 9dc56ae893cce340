//! Prometheus exposition of the snapshot (OpenMetrics text, through
//! `prometheus-client`), served over a minimal HTTP endpoint.

use std::net::SocketAddr;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::engine::{EngineHandle, Snapshot};
use crate::http;
use crate::ipvs::model::Health;
use crate::vrrp::instance::State;

type Labels = Vec<(String, String)>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn gauge_family(
    registry: &mut Registry,
    name: &str,
    help: &str,
) -> Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>> {
    let family = Family::default();
    registry.register(name, help, family.clone());
    family
}

/// Render `snapshot` as OpenMetrics text.
pub fn render(snapshot: &Snapshot) -> String {
    let mut registry = Registry::default();
    // A gauge rather than an OpenMetrics info metric, so Prometheus-text parsers read it too.
    gauge_family(
        &mut registry,
        "director_build_info",
        "Build information; always 1",
    )
    .get_or_create(&labels(&[
        ("version", env!("CARGO_PKG_VERSION")),
        ("dataplane", snapshot.dataplane.name()),
    ]))
    .set(1.0);
    let state = gauge_family(
        &mut registry,
        "director_vrrp_state",
        "1 for the state each VRRP instance is in",
    );
    let priority = gauge_family(
        &mut registry,
        "director_vrrp_priority",
        "Effective VRRP priority",
    );
    let mut counters: Vec<(String, String, Option<Unit>, Labels, u64)> = Vec::new();
    for i in &snapshot.instances {
        for s in [State::Init, State::Backup, State::Master, State::Fault] {
            let value = if i.state == s { 1.0 } else { 0.0 };
            state
                .get_or_create(&labels(&[("instance", &i.name), ("state", s.name())]))
                .set(value);
        }
        priority
            .get_or_create(&labels(&[("instance", &i.name)]))
            .set(f64::from(i.priority));
        let instance = labels(&[("instance", &i.name)]);
        counters.push((
            "director_vrrp_adverts_sent".into(),
            "VRRP adverts sent".into(),
            None,
            instance.clone(),
            i.adverts_sent,
        ));
        counters.push((
            "director_vrrp_adverts_received".into(),
            "Valid VRRP adverts received".into(),
            None,
            instance.clone(),
            i.adverts_received,
        ));
        counters.push((
            "director_vrrp_transitions".into(),
            "VRRP state transitions".into(),
            None,
            instance.clone(),
            i.transitions,
        ));
        for (reason, count) in &i.drops {
            counters.push((
                "director_vrrp_adverts_dropped".into(),
                "Received VRRP packets dropped, by reason".into(),
                None,
                labels(&[("instance", &i.name), ("reason", reason)]),
                *count,
            ));
        }
    }
    let weight = gauge_family(
        &mut registry,
        "director_real_server_weight",
        "Effective weight of each real server",
    );
    let health = gauge_family(
        &mut registry,
        "director_real_server_health",
        "1 for the health each real server is in",
    );
    let active = gauge_family(
        &mut registry,
        "director_real_server_active_connections",
        "ActiveConn",
    );
    let inactive = gauge_family(
        &mut registry,
        "director_real_server_inactive_connections",
        "InActConn",
    );
    let persistent = gauge_family(
        &mut registry,
        "director_real_server_persistent_connections",
        "PersistConn: persistence templates pointing at the real server",
    );
    let check_seconds = gauge_family(
        &mut registry,
        "director_real_server_check_duration_seconds",
        "How long the real server's last health probe took",
    );
    let overloaded = gauge_family(
        &mut registry,
        "director_real_server_overloaded",
        "1 while the real server is over its upper connection threshold",
    );
    for service in &snapshot.services {
        let of_service = labels(&[("service", &service.name), ("address", &service.address)]);
        for (name, help, unit, value) in [
            (
                "director_service_connections",
                "Connections scheduled for the virtual service",
                None,
                service.traffic.conns,
            ),
            (
                "director_service_in_packets",
                "Packets from clients (reads, for the TCP proxy)",
                None,
                service.traffic.in_packets,
            ),
            (
                "director_service_out_packets",
                "Packets to clients (reads from real servers, for the TCP proxy)",
                None,
                service.traffic.out_packets,
            ),
            (
                "director_service_in",
                "Bytes from clients",
                Some(Unit::Bytes),
                service.traffic.in_bytes,
            ),
            (
                "director_service_out",
                "Bytes to clients",
                Some(Unit::Bytes),
                service.traffic.out_bytes,
            ),
        ] {
            counters.push((name.into(), help.into(), unit, of_service.clone(), value));
        }
        for r in &service.servers {
            let who = labels(&[
                ("service", &service.name),
                ("server", &r.name),
                ("address", &r.address),
            ]);
            weight.get_or_create(&who).set(f64::from(r.weight));
            active.get_or_create(&who).set(r.active as f64);
            inactive.get_or_create(&who).set(r.inactive as f64);
            persistent.get_or_create(&who).set(r.persistent as f64);
            if let Some(seconds) = r.last_check_seconds {
                check_seconds.get_or_create(&who).set(seconds);
            }
            overloaded
                .get_or_create(&who)
                .set(if r.overloaded { 1.0 } else { 0.0 });
            for (name, help, value) in [
                (
                    "director_real_server_in_packets",
                    "Packets from clients to the real server",
                    r.in_packets,
                ),
                (
                    "director_real_server_out_packets",
                    "Packets from the real server to clients",
                    r.out_packets,
                ),
                (
                    "director_real_server_connect_failures",
                    "Connects to the real server that failed",
                    r.connect_failures,
                ),
            ] {
                counters.push((name.into(), help.into(), None, who.clone(), value));
            }
            for (h, name) in [
                (Health::Up, "up"),
                (Health::Down, "down"),
                (Health::Unknown, "unknown"),
            ] {
                let mut with = who.clone();
                with.push(("health".into(), name.into()));
                health
                    .get_or_create(&with)
                    .set(if r.health == h { 1.0 } else { 0.0 });
            }
            counters.push((
                "director_real_server_connections".into(),
                "Connections scheduled to the real server".into(),
                None,
                who.clone(),
                r.conns,
            ));
            counters.push((
                "director_real_server_in".into(),
                "Bytes from clients to the real server".into(),
                Some(Unit::Bytes),
                who.clone(),
                r.in_bytes,
            ));
            counters.push((
                "director_real_server_out".into(),
                "Bytes from the real server to clients".into(),
                Some(Unit::Bytes),
                who.clone(),
                r.out_bytes,
            ));
        }
    }
    register_counters(&mut registry, counters);
    let mut text = String::new();
    if encode(&mut text, &registry).is_err() {
        text = "# EOF\n".into();
    }
    text
}

/// The same exposition in Prometheus' classic text format (0.0.4), which
/// every scraper and `promtool` read: counters are named with their
/// `_total` in HELP and TYPE, and the OpenMetrics-only lines are dropped.
pub fn prometheus_text(openmetrics: &str) -> String {
    let lines: Vec<&str> = openmetrics.lines().collect();
    let mut out = String::with_capacity(openmetrics.len());
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("# UNIT ") || *line == "# EOF" {
            continue;
        }
        let counter_family = |name: &str| {
            lines[i..]
                .iter()
                .take(3)
                .any(|l| *l == format!("# TYPE {name} counter"))
        };
        let rewritten = match line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
        {
            Some(rest) => {
                let name = rest.split_whitespace().next().unwrap_or("");
                if counter_family(name) {
                    line.replacen(name, &format!("{name}_total"), 1)
                } else {
                    line.to_string()
                }
            }
            None => line.to_string(),
        };
        out.push_str(&rewritten);
        out.push('\n');
    }
    out
}

/// Counters are registered as one family per name (a name may be registered once).
fn register_counters(
    registry: &mut Registry,
    counters: Vec<(String, String, Option<Unit>, Labels, u64)>,
) {
    let mut names: Vec<(String, String, Option<Unit>)> = Vec::new();
    for (name, help, unit, _, _) in &counters {
        if !names.iter().any(|(n, _, _)| n == name) {
            names.push((name.clone(), help.clone(), unit.clone()));
        }
    }
    for (name, help, unit) in names {
        let family: Family<Labels, ConstCounterHolder> =
            Family::new_with_constructor(ConstCounterHolder::default);
        for (_, _, _, labels, value) in counters.iter().filter(|(n, ..)| *n == name) {
            family.get_or_create(labels).set(*value);
        }
        match unit {
            Some(unit) => registry.register_with_unit(name, help, unit, family),
            None => registry.register(name, help, family),
        }
    }
}

/// A counter whose value is set from the snapshot (the engine owns the count).
#[derive(Debug, Default)]
struct ConstCounterHolder(std::sync::atomic::AtomicU64);

impl ConstCounterHolder {
    fn set(&self, value: u64) {
        self.0.store(value, std::sync::atomic::Ordering::Relaxed);
    }
}

impl prometheus_client::metrics::TypedMetric for ConstCounterHolder {
    const TYPE: prometheus_client::metrics::MetricType =
        prometheus_client::metrics::MetricType::Counter;
}

impl prometheus_client::encoding::EncodeMetric for ConstCounterHolder {
    fn encode(
        &self,
        encoder: prometheus_client::encoding::MetricEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        ConstCounter::new(self.0.load(std::sync::atomic::Ordering::Relaxed)).encode(encoder)
    }

    fn metric_type(&self) -> prometheus_client::metrics::MetricType {
        prometheus_client::metrics::MetricType::Counter
    }
}

/// Serve `GET /metrics` on `address` from the latest snapshot.
pub async fn serve(address: SocketAddr, engine: EngineHandle) -> std::io::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(address).await?;
    Ok(tokio::spawn(async move {
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, engine.clone()));
            }
        }
    }))
}

/// Answer one scrape from a snapshot with counters as of now.
async fn answer(mut stream: TcpStream, engine: EngineHandle) {
    let Some(head) = http::read_head(&mut stream).await else {
        return;
    };
    let current = engine.fresh_snapshot("metrics").await;
    match (http::path(&head), current) {
        ("/metrics", Some(snapshot)) => {
            let body = prometheus_text(&render(&snapshot));
            http::respond(
                &mut stream,
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                &body,
            )
            .await
        }
        ("/metrics", None) => {
            let body = "the engine has not published yet\n";
            http::respond(&mut stream, "503 Service Unavailable", "text/plain", body).await
        }
        _ => http::respond(&mut stream, "404 Not Found", "text/plain", "try /metrics\n").await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::snapshot;

    #[test]
    fn exposition_names_follow_the_conventions() {
        let text = render(&snapshot());
        assert!(
            text.contains("director_vrrp_state{instance=\"VI_1\",state=\"MASTER\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("director_vrrp_adverts_sent_total{instance=\"VI_1\"} 42"),
            "{text}"
        );
        assert!(
            text.contains("# UNIT director_real_server_in_bytes bytes"),
            "{text}"
        );
        assert!(text.contains("director_real_server_active_connections{service=\"web\",server=\"rs1\",address=\"192.0.2.21:80\"} 4"), "{text}");
        assert!(
            text.contains("director_real_server_check_duration_seconds{service=\"web\",server=\"rs1\",address=\"192.0.2.21:80\"} 0.003"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
        let classic = prometheus_text(&text);
        assert!(
            classic.contains("# TYPE director_vrrp_adverts_sent_total counter\n"),
            "{classic}"
        );
        assert!(classic.contains("# TYPE director_vrrp_priority gauge\n"));
        assert!(!classic.contains("# EOF") && !classic.contains("# UNIT"));
    }
}
