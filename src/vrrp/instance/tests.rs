use super::*;
use crate::vrrp::packet::{Auth, Version};

const US: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
const PEER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 12);

fn instance(priority: u8, preempt: bool) -> Instance {
    Instance::new(InstanceParams {
        vrid: 51,
        priority,
        interval_cs: 100,
        preempt,
        own_address: US,
    })
}

/// An instance that started at `t0` and took mastership at once.
fn master(priority: u8, t0: Instant) -> Instance {
    let mut vr = instance(priority, true);
    vr.handle(Input::Startup, t0);
    vr.takeover(t0).unwrap();
    vr
}

fn advert(priority: u8) -> Input {
    Input::Advert {
        from: PEER,
        advert: Advert {
            version: Version::V3,
            vrid: 51,
            priority,
            interval_cs: 100,
            addresses: vec![Ipv4Addr::new(192, 0, 2, 50)],
            auth: Auth::None,
        },
    }
}

fn transitions(actions: &[Action]) -> Vec<State> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Transition { to, .. } => Some(*to),
            _ => None,
        })
        .collect()
}

#[test]
fn timers_follow_rfc5798_formulas() {
    let vr = instance(150, true);
    // Skew = (256-150)*100cs/256 = 41.40625 cs = 414.0625 ms.
    assert_eq!(vr.skew_time(), Duration::from_micros(414_062));
    assert_eq!(vr.master_down_interval(), Duration::from_micros(3_414_062));
}

#[test]
fn startup_enters_backup_then_master_after_master_down_interval() {
    let t0 = Instant::now();
    let mut vr = instance(150, true);
    assert_eq!(
        transitions(&vr.handle(Input::Startup, t0)),
        vec![State::Backup]
    );
    let mdi = vr.master_down_interval();
    assert!(vr
        .handle(Input::Tick, t0 + mdi - Duration::from_millis(1))
        .is_empty());
    let actions = vr.handle(Input::Tick, t0 + mdi);
    assert_eq!(
        actions,
        vec![
            Action::SendAdvert { priority: 150 },
            Action::AddAddresses,
            Action::Announce,
            Action::Transition {
                from: State::Backup,
                to: State::Master,
                reason: Reason::MasterDown
            },
        ]
    );
    assert_eq!(vr.master(), Some(US));
}

#[test]
fn master_advertises_every_interval() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    assert_eq!(vr.next_deadline(), Some(t0 + Duration::from_secs(1)));
    assert_eq!(
        vr.handle(Input::Tick, t0 + Duration::from_secs(1)),
        vec![Action::SendAdvert { priority: 150 }]
    );
    assert_eq!(vr.next_deadline(), Some(t0 + Duration::from_secs(2)));
}

#[test]
fn backup_adverts_from_a_higher_priority_master_reset_the_timer() {
    let t0 = Instant::now();
    let mut vr = instance(100, true);
    vr.handle(Input::Startup, t0);
    let t1 = t0 + Duration::from_secs(3);
    vr.handle(advert(150), t1);
    assert_eq!(vr.master(), Some(PEER));
    assert_eq!(vr.next_deadline(), Some(t1 + vr.master_down_interval()));
}

#[test]
fn preempting_backup_ignores_a_lower_priority_master_and_takes_over() {
    let t0 = Instant::now();
    let mut vr = instance(150, true);
    vr.handle(Input::Startup, t0);
    vr.handle(advert(100), t0 + Duration::from_secs(1));
    let due = t0 + vr.master_down_interval();
    assert_eq!(
        transitions(&vr.handle(Input::Tick, due)),
        vec![State::Master]
    );
}

#[test]
fn nopreempt_backup_stays_behind_a_lower_priority_master() {
    let t0 = Instant::now();
    let mut vr = instance(150, false);
    vr.handle(Input::Startup, t0);
    let t1 = t0 + Duration::from_secs(1);
    vr.handle(advert(100), t1);
    assert!(vr
        .handle(Input::Tick, t0 + vr.master_down_interval())
        .is_empty());
    assert_eq!(vr.state(), State::Backup);
}

#[test]
fn priority_zero_makes_backup_take_over_at_skew_time() {
    let t0 = Instant::now();
    let mut vr = instance(100, true);
    vr.handle(Input::Startup, t0);
    vr.handle(advert(150), t0);
    let t1 = t0 + Duration::from_millis(500);
    vr.handle(advert(0), t1);
    assert_eq!(vr.next_deadline(), Some(t1 + vr.skew_time()));
    assert_eq!(
        transitions(&vr.handle(Input::Tick, t1 + vr.skew_time())),
        vec![State::Master]
    );
}

#[test]
fn master_yields_to_higher_priority_and_removes_addresses() {
    let t0 = Instant::now();
    let mut vr = master(100, t0);
    let actions = vr.handle(advert(150), t0 + Duration::from_millis(10));
    assert_eq!(actions[0], Action::RemoveAddresses);
    assert_eq!(transitions(&actions), vec![State::Backup]);
    assert_eq!(vr.master(), Some(PEER));
}

#[test]
fn equal_priority_tie_goes_to_the_higher_address() {
    let t0 = Instant::now();
    let mut vr = master(100, t0);
    // PEER (.12) > US (.11): we yield.
    assert_eq!(
        transitions(&vr.handle(advert(100), t0)),
        vec![State::Backup]
    );
}

#[test]
fn master_answers_priority_zero_with_an_immediate_advert() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    assert_eq!(
        vr.handle(advert(0), t0),
        vec![Action::SendAdvert { priority: 150 }]
    );
}

#[test]
fn failover_resigns_and_holds_backup_without_preempting() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let actions = vr.failover(t0).unwrap();
    assert_eq!(actions[0], Action::SendAdvert { priority: 0 });
    assert_eq!(actions[1], Action::RemoveAddresses);
    assert!(vr.held());
    // The lower-priority peer now masters; we keep accepting it.
    let t1 = t0 + Duration::from_secs(1);
    vr.handle(advert(100), t1);
    assert!(vr
        .handle(Input::Tick, t0 + vr.master_down_interval())
        .is_empty());
    assert_eq!(vr.state(), State::Backup);
    // But if the peer dies, we still take over.
    assert_eq!(
        transitions(&vr.handle(Input::Tick, t1 + vr.master_down_interval())),
        vec![State::Master]
    );
}

#[test]
fn operator_requests_in_the_wrong_state_are_refused() {
    let t0 = Instant::now();
    let mut vr = instance(150, true);
    vr.handle(Input::Startup, t0);
    assert_eq!(vr.failover(t0), Err(Refusal::NotMaster));
    vr.takeover(t0).unwrap();
    assert_eq!(vr.takeover(t0), Err(Refusal::NotBackup));
}

#[test]
fn shutdown_of_master_sends_priority_zero() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let actions = vr.handle(Input::Shutdown, t0);
    assert_eq!(actions[0], Action::SendAdvert { priority: 0 });
    assert_eq!(actions[1], Action::RemoveAddresses);
    assert_eq!(vr.state(), State::Init);
    assert_eq!(vr.next_deadline(), None);
}
