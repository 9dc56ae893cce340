//! VRRP conformance traces: each file in `tests/vrrp_traces/` is a scenario
//! replayed against the state machine. Its first line gives the router's
//! parameters; every further line is an input at a time (ms from the start)
//! with the exact actions expected, and optionally the state and the next
//! timer deadline afterwards. See `tests/vrrp_traces/README.md`.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use director::vrrp::instance::{Action, Input, Instance, InstanceParams, Reason, State};
use director::vrrp::packet::{Advert, Auth, Version};
use serde_json::Value;

fn params(line: &Value) -> InstanceParams {
    let p = &line["params"];
    InstanceParams {
        vrid: 51,
        priority: p["priority"].as_u64().expect("params.priority") as u8,
        interval_cs: p["interval_cs"].as_u64().unwrap_or(100) as u16,
        preempt: p["preempt"].as_bool().unwrap_or(true),
        preempt_delay: Duration::from_millis(p["preempt_delay_ms"].as_u64().unwrap_or(0)),
        own_address: p["own"]
            .as_str()
            .unwrap_or("192.0.2.11")
            .parse()
            .expect("params.own"),
    }
}

fn input(value: &Value) -> Input {
    if let Some(word) = value.as_str() {
        return match word {
            "startup" => Input::Startup,
            "tick" => Input::Tick,
            "shutdown" => Input::Shutdown,
            "failover" => Input::Failover,
            "takeover" => Input::Takeover,
            "release" => Input::Release,
            "group_master" => Input::GroupMaster,
            "group_backup" => Input::GroupBackup { held: false },
            other => panic!("unknown input {other:?}"),
        };
    }
    if let Some(advert) = value.get("advert") {
        let from: IpAddr = advert["from"]
            .as_str()
            .unwrap_or("192.0.2.12")
            .parse()
            .unwrap();
        return Input::Advert {
            from,
            advert: Advert {
                version: Version::V3,
                vrid: 51,
                priority: advert["priority"].as_u64().expect("advert.priority") as u8,
                interval_cs: advert["interval_cs"].as_u64().unwrap_or(100) as u16,
                addresses: vec!["192.0.2.50".parse().unwrap()],
                auth: Auth::None,
            },
        };
    }
    if let Some(tracking) = value.get("tracking") {
        return Input::Tracking {
            priority: tracking["priority"].as_u64().expect("tracking.priority") as u8,
            fault: tracking["fault"].as_bool().unwrap_or(false),
        };
    }
    if let Some(backup) = value.get("group_backup") {
        return Input::GroupBackup {
            held: backup["held"]
                .as_bool()
                .expect("group_backup.held is a bool"),
        };
    }
    if let Some(ok) = value.get("reference") {
        return Input::Reference(ok.as_bool().expect("reference is a bool"));
    }
    if let Some(fault) = value.get("group_fault") {
        return Input::GroupFault(fault.as_bool().expect("group_fault is a bool"));
    }
    panic!("unknown input {value}")
}

fn reason_word(reason: &Reason) -> &'static str {
    match reason {
        Reason::Startup => "startup",
        Reason::AddressOwner => "owner",
        Reason::MasterDown => "master_down",
        Reason::MasterResigned(_) => "resigned",
        Reason::Preempted(_) => "preempted",
        Reason::OperatorFailover => "failover",
        Reason::OperatorTakeover => "takeover",
        Reason::TrackingFault => "tracking_fault",
        Reason::FaultCleared => "fault_cleared",
        Reason::ReferenceUnreachable => "reference",
        Reason::SyncGroup => "sync_group",
        Reason::Shutdown => "shutdown",
    }
}

/// The compact form traces use: "send 150", "add", "remove", "announce",
/// "BACKUP->MASTER master_down".
fn describe(action: &Action) -> String {
    match action {
        Action::SendAdvert { priority } => format!("send {priority}"),
        Action::AddAddresses => "add".into(),
        Action::RemoveAddresses => "remove".into(),
        Action::Announce => "announce".into(),
        Action::Transition { from, to, reason } => {
            format!("{}->{} {}", from.name(), to.name(), reason_word(reason))
        }
    }
}

fn state_name(state: State) -> &'static str {
    state.name()
}

fn at(start: Instant, ms: f64) -> Instant {
    start + Duration::from_secs_f64(ms / 1000.0)
}

fn replay(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty()).enumerate();
    let (_, first) = lines.next().unwrap_or_else(|| panic!("{name}: empty"));
    let header: Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("{name}:1: {e}"));
    assert!(
        header["scenario"].is_string(),
        "{name}: first line needs a scenario description"
    );
    let mut vr = Instance::new(params(&header));
    let start = Instant::now();
    let mut steps = 0;
    for (number, line) in lines {
        let where_ = format!("{name}:{}", number + 1);
        let step: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{where_}: {e}"));
        let now = at(
            start,
            step["at_ms"]
                .as_f64()
                .unwrap_or_else(|| panic!("{where_}: at_ms")),
        );
        let actions: Vec<String> = vr
            .handle(input(&step["input"]), now)
            .iter()
            .map(describe)
            .collect();
        let expected: Vec<String> = step["expect"]
            .as_array()
            .unwrap_or_else(|| panic!("{where_}: expect must be a list"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(actions, expected, "{where_}: actions");
        if let Some(state) = step.get("state") {
            assert_eq!(
                state_name(vr.state()),
                state.as_str().unwrap(),
                "{where_}: state"
            );
        }
        if let Some(deadline) = step.get("next_ms") {
            let got = vr
                .next_deadline()
                .map(|d| d.duration_since(start).as_secs_f64() * 1000.0);
            match deadline.as_f64() {
                None => assert_eq!(got, None, "{where_}: no deadline expected"),
                Some(ms) => {
                    let got =
                        got.unwrap_or_else(|| panic!("{where_}: expected a deadline at {ms} ms"));
                    assert!(
                        (got - ms).abs() < 0.01,
                        "{where_}: next deadline {got} ms, expected {ms} ms"
                    );
                }
            }
        }
        steps += 1;
    }
    assert!(steps > 0, "{name}: no steps");
    steps
}

#[test]
fn every_trace_replays_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vrrp_traces");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} traces", files.len());
    let steps: usize = files.iter().map(|f| replay(f)).sum();
    eprintln!("{} traces, {steps} steps", files.len());
}

#[test]
fn a_wrong_expectation_fails() {
    let dir = std::env::temp_dir().join(format!("director-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrong.jsonl");
    std::fs::write(
        &path,
        "{\"scenario\":\"wrong\",\"params\":{\"priority\":128}}\n{\"at_ms\":0,\"input\":\"startup\",\"expect\":[\"INIT->MASTER startup\"]}\n",
    )
    .unwrap();
    let result = std::panic::catch_unwind(|| replay(&path));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        result.is_err(),
        "a trace with a wrong expectation must fail"
    );
}
