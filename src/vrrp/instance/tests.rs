use std::net::Ipv4Addr;

use super::*;
use crate::vrrp::packet::{Auth, Version};

const US: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11));
const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 12));

fn instance(priority: u8, preempt: bool) -> Instance {
    Instance::new(InstanceParams {
        vrid: 51,
        priority,
        interval_cs: 100,
        preempt,
        preempt_delay: Duration::ZERO,
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
            addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50))],
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
            Action::AddAddresses,
            Action::Announce,
            Action::SendAdvert { priority: 150 },
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
fn a_paced_master_leaves_its_periodic_adverts_to_the_schedule() {
    let t0 = Instant::now();
    let second = Duration::from_secs(1);
    let mut vr = instance(150, true);
    vr.pace_adverts();
    vr.handle(Input::Startup, t0);
    assert_eq!(vr.advert_schedule(), None, "a backup sends no adverts");
    vr.takeover(t0).unwrap();
    let schedule = AdvertSchedule {
        first: t0 + second,
        interval: second,
        priority: 150,
    };
    assert_eq!(vr.advert_schedule(), Some(schedule));
    // Nothing to wake for, and a tick sends nothing: the shell does.
    assert_eq!(vr.next_deadline(), None);
    assert!(vr.handle(Input::Tick, t0 + second * 5).is_empty());
    assert_eq!(vr.advert_schedule(), Some(schedule), "ticks leave it be");
    // A priority change goes out at once and on the same beat after.
    let lowered = Input::Tracking {
        priority: 90,
        fault: false,
    };
    let t1 = t0 + second * 5 + Duration::from_millis(300);
    assert_eq!(
        vr.handle(lowered, t1),
        vec![Action::SendAdvert { priority: 90 }]
    );
    let lowered = AdvertSchedule {
        priority: 90,
        ..schedule
    };
    assert_eq!(vr.advert_schedule(), Some(lowered));
    // Answering priority 0 starts the beat afresh from the answer.
    let t2 = t1 + Duration::from_millis(100);
    assert_eq!(
        vr.handle(advert(0), t2),
        vec![Action::SendAdvert { priority: 90 }]
    );
    let restarted = AdvertSchedule {
        first: t2 + second,
        ..lowered
    };
    assert_eq!(vr.advert_schedule(), Some(restarted));
    // Resigning ends it.
    vr.failover(t2).unwrap();
    assert_eq!(vr.advert_schedule(), None);
}

#[test]
fn an_unpaced_master_has_the_same_schedule_its_ticks_keep() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let schedule = vr.advert_schedule().expect("a master advertises");
    assert_eq!(Some(schedule.first), vr.next_deadline());
    assert_eq!(
        vr.handle(Input::Tick, schedule.first),
        vec![Action::SendAdvert {
            priority: schedule.priority
        }]
    );
    assert_eq!(
        vr.advert_schedule().map(|s| s.first),
        Some(schedule.first + schedule.interval)
    );
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
fn failover_resigns_keeps_addresses_until_the_new_master_speaks_and_holds() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let actions = vr.failover(t0).unwrap();
    assert_eq!(actions[0], Action::SendAdvert { priority: 0 });
    assert!(
        !actions.contains(&Action::RemoveAddresses),
        "hitless: addresses stay for now"
    );
    assert!(vr.held() && vr.releasing());
    // The new master's first advert releases the addresses.
    let t1 = t0 + Duration::from_millis(450);
    assert_eq!(vr.handle(advert(100), t1), vec![Action::RemoveAddresses]);
    assert!(!vr.releasing());
    // Held: the lower-priority peer keeps mastership.
    let t2 = t1 + Duration::from_secs(1);
    vr.handle(advert(100), t2);
    assert!(vr
        .handle(Input::Tick, t1 + vr.master_down_interval())
        .is_empty());
    assert_eq!(vr.state(), State::Backup);
    // But if the peer dies, we still take over.
    assert_eq!(
        transitions(&vr.handle(Input::Tick, t2 + vr.master_down_interval())),
        vec![State::Master]
    );
}

#[test]
fn a_shutdown_hand_over_is_hitless_and_says_shutdown() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let actions = vr.hand_over_on_shutdown(t0).unwrap();
    assert_eq!(actions[0], Action::SendAdvert { priority: 0 });
    assert!(!actions.contains(&Action::RemoveAddresses), "{actions:?}");
    assert!(actions.contains(&Action::Transition {
        from: State::Master,
        to: State::Backup,
        reason: Reason::Shutdown,
    }));
    assert!(vr.releasing());
    assert_eq!(
        vr.hand_over_on_shutdown(t0),
        Err(Refusal::NotMaster),
        "only a master hands over"
    );
}

#[test]
fn failover_with_no_taker_keeps_the_addresses_and_comes_back() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    vr.failover(t0).unwrap();
    let due = vr.next_deadline().unwrap();
    let actions = vr.handle(Input::Tick, due);
    assert!(!actions.contains(&Action::RemoveAddresses), "{actions:?}");
    assert_eq!(transitions(&actions), vec![State::Master]);
}

#[test]
fn release_lets_a_held_node_preempt_again() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    vr.failover(t0).unwrap();
    vr.handle(advert(100), t0);
    vr.handle(Input::Release, t0);
    let t1 = t0 + Duration::from_millis(100);
    vr.handle(advert(100), t1);
    assert_eq!(
        transitions(&vr.handle(Input::Tick, t0 + vr.master_down_interval())),
        vec![State::Master]
    );
}

#[test]
fn preempt_delay_accepts_a_lower_master_until_the_delay_passes() {
    let t0 = Instant::now();
    let mut vr = Instance::new(InstanceParams {
        preempt_delay: Duration::from_secs(5),
        ..instance(150, true).params().clone()
    });
    vr.handle(Input::Startup, t0);
    for second in 0..5 {
        vr.handle(advert(100), t0 + Duration::from_secs(second));
    }
    // At 4 s the advert was still accepted: no takeover until 4 s + MDI.
    assert!(vr
        .handle(Input::Tick, t0 + Duration::from_secs(6))
        .is_empty());
    // From 5 s adverts are discarded, so the timer from 4 s runs out.
    vr.handle(advert(100), t0 + Duration::from_secs(5));
    let due = t0 + Duration::from_secs(4) + vr.master_down_interval();
    assert_eq!(
        transitions(&vr.handle(Input::Tick, due)),
        vec![State::Master]
    );
}

#[test]
fn address_owner_is_master_at_startup() {
    let t0 = Instant::now();
    let mut vr = instance(255, true);
    let actions = vr.handle(Input::Startup, t0);
    assert_eq!(
        actions.last(),
        Some(&Action::Transition {
            from: State::Init,
            to: State::Master,
            reason: Reason::AddressOwner
        })
    );
}

#[test]
fn tracking_fault_takes_a_master_down_and_recovery_returns_to_backup() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let actions = vr.handle(
        Input::Tracking {
            priority: 150,
            fault: true,
        },
        t0,
    );
    assert_eq!(
        actions[..2],
        [Action::SendAdvert { priority: 0 }, Action::RemoveAddresses]
    );
    assert_eq!(transitions(&actions), vec![State::Fault]);
    assert_eq!(vr.next_deadline(), None, "no timers in FAULT");
    let actions = vr.handle(
        Input::Tracking {
            priority: 150,
            fault: false,
        },
        t0,
    );
    assert_eq!(transitions(&actions), vec![State::Backup]);
}

#[test]
fn a_priority_change_on_a_master_is_advertised_at_once() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    assert_eq!(
        vr.handle(
            Input::Tracking {
                priority: 90,
                fault: false
            },
            t0
        ),
        vec![Action::SendAdvert { priority: 90 }]
    );
    assert_eq!(vr.priority(), 90);
    // Now a priority-100 peer preempts us.
    assert_eq!(
        transitions(&vr.handle(advert(100), t0)),
        vec![State::Backup]
    );
}

#[test]
fn an_unreachable_reference_faults_instead_of_claiming_mastership() {
    let t0 = Instant::now();
    let mut vr = instance(150, true);
    vr.handle(Input::Startup, t0);
    vr.handle(Input::Reference(false), t0);
    assert_eq!(vr.state(), State::Fault);
    let actions = vr.handle(Input::Reference(true), t0);
    assert_eq!(transitions(&actions), vec![State::Backup]);
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

#[test]
fn takeover_is_refused_while_an_outranking_master_advertises() {
    let t0 = Instant::now();
    let mut vr = instance(100, true);
    vr.handle(Input::Startup, t0);
    vr.handle(advert(150), t0);
    let refusal = vr.takeover(t0).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Outranked {
            master: PEER,
            priority: 150,
            ours: 100
        }
    );
    assert!(refusal.to_string().contains("fail 192.0.2.12 over instead"));
    // Equal priority: the higher address wins the tie, and PEER is higher.
    vr.handle(advert(100), t0);
    assert!(matches!(vr.takeover(t0), Err(Refusal::Outranked { .. })));
    // A lower master yields to our advert: the takeover goes ahead.
    vr.handle(advert(50), t0);
    assert_eq!(transitions(&vr.takeover(t0).unwrap()), vec![State::Master]);
}

#[test]
fn another_masters_adverts_are_an_overlap_only_right_after_a_takeover() {
    let t0 = Instant::now();
    let mut vr = instance(150, true);
    assert!(!vr.in_takeover_overlap(100, t0), "not master");
    vr.handle(Input::Startup, t0);
    vr.takeover(t0).unwrap();
    let t1 = t0 + Duration::from_millis(100);
    assert!(
        vr.in_takeover_overlap(100, t1),
        "the old master's adverts in flight are not split brain"
    );
    let later = t0 + vr.master_down_interval() + Duration::from_secs(1);
    assert!(!vr.in_takeover_overlap(100, later));
}

#[test]
fn a_member_follows_an_operator_failover_held_and_the_hold_ends_as_master() {
    let t0 = Instant::now();
    let mut vr = master(150, t0);
    let actions = vr.handle(Input::GroupBackup { held: true }, t0);
    assert_eq!(actions[..1], [Action::SendAdvert { priority: 0 }]);
    assert!(vr.held() && vr.releasing());
    // The peer's lower-priority member takes over: no preempting back.
    let t1 = t0 + Duration::from_millis(500);
    assert_eq!(vr.handle(advert(100), t1), vec![Action::RemoveAddresses]);
    let later = t1 + vr.master_down_interval() * 3;
    assert!(vr.handle(advert(100), later).is_empty());
    assert!(vr.handle(Input::Tick, later).is_empty());
    assert_eq!(vr.state(), State::Backup);
    // The group comes back (its peer died, say): the hold is over.
    assert_eq!(
        transitions(&vr.handle(Input::GroupMaster, later)),
        vec![State::Master]
    );
    assert!(!vr.held());
}

#[test]
fn sync_group_inputs_move_a_member_with_its_group() {
    let t0 = Instant::now();
    let mut vr = instance(100, true);
    vr.handle(Input::Startup, t0);
    assert_eq!(
        transitions(&vr.handle(Input::GroupMaster, t0)),
        vec![State::Master]
    );
    let actions = vr.handle(Input::GroupBackup { held: false }, t0);
    assert_eq!(actions[..1], [Action::SendAdvert { priority: 0 }]);
    assert_eq!(transitions(&actions), vec![State::Backup]);
    assert!(
        vr.releasing(),
        "it keeps its addresses until the new master speaks"
    );
    assert!(!vr.held());
    assert_eq!(vr.handle(advert(90), t0), vec![Action::RemoveAddresses]);
    assert_eq!(
        transitions(&vr.handle(Input::GroupFault(true), t0)),
        vec![State::Fault]
    );
    assert!(
        vr.handle(Input::GroupMaster, t0).is_empty(),
        "a faulted member does not follow to master"
    );
    assert_eq!(
        transitions(&vr.handle(Input::GroupFault(false), t0)),
        vec![State::Backup]
    );
}
