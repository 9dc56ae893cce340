//! Examples pinning each scheduler to the kernel's rule.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::*;

fn addr(i: usize) -> SocketAddr {
    SocketAddr::from(([198, 51, 100, 10 + i as u8], 80))
}

fn loads(weights: &[u32]) -> Vec<DestLoad> {
    weights
        .iter()
        .enumerate()
        .map(|(i, &weight)| DestLoad::new(addr(i), weight))
        .collect()
}

fn request(client: &str, now: Instant) -> Request {
    Request {
        client: client.parse().unwrap(),
        target: "203.0.113.10".parse().unwrap(),
        now,
    }
}

fn any() -> Request {
    request("192.0.2.1:40000", Instant::now())
}

fn tally(scheduler: &mut dyn Scheduler, dests: &[DestLoad], rounds: usize) -> Vec<usize> {
    let mut counts = vec![0; dests.len()];
    for _ in 0..rounds {
        counts[scheduler.pick(&any(), dests).unwrap()] += 1;
    }
    counts
}

fn named(name: SchedulerName) -> Box<dyn Scheduler> {
    scheduler(name, SchedFlags::default())
}

#[test]
fn rr_cycles_and_skips_weight_zero_and_overload() {
    let mut dests = loads(&[1, 0, 5, 1]);
    dests[3].overloaded = true;
    let mut rr = named(SchedulerName::Rr);
    let picks: Vec<_> = (0..4).map(|_| rr.pick(&any(), &dests).unwrap()).collect();
    assert_eq!(picks, vec![0, 2, 0, 2]);
}

#[test]
fn wrr_follows_the_kernel_sequence() {
    let dests = loads(&[4, 3, 2]);
    let mut wrr = named(SchedulerName::Wrr);
    let first_cycle: Vec<_> = (0..9).map(|_| wrr.pick(&any(), &dests).unwrap()).collect();
    // The kernel's sequence for weights 4,3,2.
    assert_eq!(first_cycle, vec![0, 0, 1, 0, 1, 2, 0, 1, 2]);
    assert_eq!(tally(wrr.as_mut(), &dests, 900), vec![400, 300, 200]);
}

#[test]
fn wlc_prefers_least_overhead_per_weight() {
    let mut wlc = named(SchedulerName::Wlc);
    let mut dests = loads(&[1, 2, 1]);
    dests[0].active = 1;
    dests[1].active = 1;
    assert_eq!(wlc.pick(&any(), &dests), Some(2));
    dests[2].active = 1;
    // 256/1, 256/2, 256/1: the double-weight server wins.
    assert_eq!(wlc.pick(&any(), &dests), Some(1));
    // Inactive connections count 1/256 of an active one.
    dests[1].active = 0;
    dests[1].inactive = 600;
    dests[0].active = 2;
    assert_eq!(wlc.pick(&any(), &dests), Some(2));
}

#[test]
fn lc_ignores_weight_but_not_weight_zero() {
    let mut lc = named(SchedulerName::Lc);
    let mut dests = loads(&[1, 100, 0]);
    dests[1].active = 1;
    assert_eq!(lc.pick(&any(), &dests), Some(0));
    dests[0].active = 2;
    assert_eq!(lc.pick(&any(), &dests), Some(1));
}

#[test]
fn sed_counts_only_active_plus_one() {
    let mut sed = named(SchedulerName::Sed);
    let mut dests = loads(&[1, 3]);
    // (0+1)/1 vs (2+1)/3: equal, first wins.
    dests[1].active = 2;
    assert_eq!(sed.pick(&any(), &dests), Some(0));
    dests[0].inactive = 1000;
    assert_eq!(sed.pick(&any(), &dests), Some(0), "inactive ignored");
    dests[1].active = 1;
    assert_eq!(sed.pick(&any(), &dests), Some(1));
}

#[test]
fn nq_takes_an_idle_server_before_a_faster_busy_one() {
    let mut nq = named(SchedulerName::Nq);
    let mut dests = loads(&[10, 1]);
    dests[0].active = 1;
    assert_eq!(nq.pick(&any(), &dests), Some(1), "idle wins over weight");
    dests[1].active = 1;
    assert_eq!(nq.pick(&any(), &dests), Some(0), "then sed: 2/10 < 2/1");
}

#[test]
fn fo_sends_everything_to_the_heaviest_available() {
    let mut fo = named(SchedulerName::Fo);
    let mut dests = loads(&[5, 10, 10, 1]);
    assert_eq!(tally(fo.as_mut(), &dests, 10), vec![0, 10, 0, 0]);
    dests[1].weight = 0;
    assert_eq!(fo.pick(&any(), &dests), Some(2));
    dests[2].overloaded = true;
    assert_eq!(fo.pick(&any(), &dests), Some(0));
}

#[test]
fn ovf_fills_the_heaviest_up_to_its_weight_then_overflows() {
    let mut ovf = named(SchedulerName::Ovf);
    let mut dests = loads(&[2, 3]);
    let mut picks = Vec::new();
    for _ in 0..6 {
        let Some(i) = ovf.pick(&any(), &dests) else {
            picks.push(None);
            continue;
        };
        dests[i].active += 1;
        picks.push(Some(i));
    }
    assert_eq!(
        picks,
        vec![Some(1), Some(1), Some(1), Some(0), Some(0), None]
    );
}

#[test]
fn dh_maps_a_target_to_one_server_whatever_the_client() {
    let mut dh = named(SchedulerName::Dh);
    let dests = loads(&[1, 1, 1]);
    let now = Instant::now();
    let first = dh.pick(&request("192.0.2.1:1", now), &dests);
    for client in ["192.0.2.2:2", "192.0.2.99:3", "198.51.100.7:4"] {
        assert_eq!(dh.pick(&request(client, now), &dests), first);
    }
    // The kernel's bucket: (0xcb00710a * 2654435761) & 255, filled round robin.
    let target: IpAddr = "203.0.113.10".parse().unwrap();
    let bucket = (u64::from(hash::fold(target)) * 2_654_435_761) as usize & 255;
    assert_eq!(first, Some(bucket % 3));
}

#[test]
fn dh_refuses_when_the_hashed_server_is_drained() {
    let mut dh = named(SchedulerName::Dh);
    let mut dests = loads(&[1, 1, 1]);
    let i = dh.pick(&any(), &dests).unwrap();
    dests[i].weight = 0;
    assert_eq!(dh.pick(&any(), &dests), None);
}

#[test]
fn sh_buckets_follow_weights_and_fallback_finds_another() {
    let mut sh = scheduler(SchedulerName::Sh, SchedFlags::default());
    let mut dests = loads(&[1, 3]);
    let now = Instant::now();
    let mut counts = [0; 2];
    for i in 0..=255u8 {
        let client = SocketAddr::from(([192, 0, 2, i], 1000));
        let r = Request {
            client,
            target: "203.0.113.10".parse().unwrap(),
            now,
        };
        counts[sh.pick(&r, &dests).unwrap()] += 1;
    }
    // 256 buckets: 1 for the first, 3 for the second, round and round.
    assert!(counts[1] > counts[0] * 2, "{counts:?}");
    let client = request("192.0.2.7:1000", now);
    let home = sh.pick(&client, &dests).unwrap();
    dests[home].weight = 0;
    assert_eq!(sh.pick(&client, &dests), None, "no fallback: refused");
    let mut fallback = scheduler(
        SchedulerName::Sh,
        SchedFlags {
            fallback: true,
            port: false,
        },
    );
    assert_eq!(fallback.pick(&client, &dests), Some(1 - home));
}

#[test]
fn sh_port_spreads_one_client_over_servers() {
    let flags = SchedFlags {
        fallback: false,
        port: true,
    };
    let mut sh = scheduler(SchedulerName::Sh, flags);
    let dests = loads(&[1, 1, 1, 1]);
    let now = Instant::now();
    let chosen: std::collections::HashSet<_> = (1000..1064)
        .map(|port| sh.pick(&request(&format!("192.0.2.7:{port}"), now), &dests))
        .collect();
    assert!(chosen.len() > 1, "{chosen:?}");
}

#[test]
fn lblc_sticks_to_a_server_per_target_until_it_is_overloaded() {
    let mut lblc = named(SchedulerName::Lblc);
    let mut dests = loads(&[2, 2]);
    let now = Instant::now();
    let first = lblc.pick(&request("192.0.2.1:1", now), &dests).unwrap();
    dests[first].active = 2;
    assert_eq!(lblc.pick(&request("192.0.2.2:1", now), &dests), Some(first));
    // More active than weight while the other is under half: move.
    dests[first].active = 3;
    let moved = lblc.pick(&request("192.0.2.3:1", now), &dests).unwrap();
    assert_ne!(moved, first);
    // The entry now remembers the new server.
    dests[first].active = 0;
    assert_eq!(lblc.pick(&request("192.0.2.4:1", now), &dests), Some(moved));
    // Unused for a day: forgotten, chosen afresh by wlc.
    dests[moved].active = 1;
    let later = now + lblc::EXPIRATION + Duration::from_secs(1);
    assert_eq!(
        lblc.pick(&request("192.0.2.4:1", later), &dests),
        Some(first)
    );
}

#[test]
fn lblcr_adds_a_server_to_the_set_when_the_member_is_overloaded() {
    let mut lblcr = named(SchedulerName::Lblcr);
    let mut dests = loads(&[2, 2, 2]);
    let now = Instant::now();
    assert_eq!(lblcr.pick(&request("192.0.2.1:1", now), &dests), Some(0));
    dests[0].active = 3;
    assert_eq!(lblcr.pick(&request("192.0.2.1:1", now), &dests), Some(1));
    // The set is {0, 1}: the least loaded member serves.
    dests[1].active = 2;
    dests[0].active = 1;
    assert_eq!(lblcr.pick(&request("192.0.2.1:1", now), &dests), Some(0));
}

#[test]
fn mh_table_is_full_and_weighted() {
    let members: Vec<(SocketAddr, u32)> = (0..3).map(|i| (addr(i), [1, 1, 2][i])).collect();
    let table = mh::populate(&members);
    assert!(table.iter().all(Option::is_some));
    let heavy = table.iter().filter(|s| **s == Some(2)).count();
    let light = table.iter().filter(|s| **s == Some(0)).count();
    // Turns 1,1,2: the heavy server claims two slots per round.
    assert!(heavy.abs_diff(2 * light) <= 2, "{heavy} vs {light}");
}

#[test]
fn mh_table_is_the_maglev_permutation() {
    // Every slot a destination holds is the first free one on its own
    // preference list at the moment it claimed it; replay the fill and check.
    let members: Vec<(SocketAddr, u32)> = (0..5).map(|i| (addr(i), 1)).collect();
    let table = mh::populate(&members);
    let prefs: Vec<(u32, u32)> = members.iter().map(|m| mh::preference(m.0)).collect();
    let mut next = vec![0u32; members.len()];
    let mut taken = vec![false; mh::TABLE_SIZE as usize];
    let mut filled = 0;
    'fill: loop {
        for (i, (offset, skip)) in prefs.iter().enumerate() {
            let mut slot;
            loop {
                slot = ((offset + next[i] * skip) % mh::TABLE_SIZE) as usize;
                if !taken[slot] {
                    break;
                }
                next[i] += 1;
            }
            taken[slot] = true;
            assert_eq!(table[slot], Some(i), "slot {slot}");
            filled += 1;
            if filled == mh::TABLE_SIZE {
                break 'fill;
            }
        }
    }
}

#[test]
fn mh_keeps_a_drained_servers_slots_and_refuses_or_falls_back() {
    let mut dests = loads(&[1, 1, 1]);
    let client = any();
    let mut mh = named(SchedulerName::Mh);
    let home = mh.pick(&client, &dests).unwrap();
    dests[home].weight = 0; // last_weight stays 1: the table does not change
    assert_eq!(mh.pick(&client, &dests), None);
    let flags = SchedFlags {
        fallback: true,
        port: false,
    };
    let mut fallback = scheduler(SchedulerName::Mh, flags);
    let other = fallback.pick(&client, &dests).unwrap();
    assert_ne!(other, home);
}

#[test]
fn twos_takes_the_busier_of_two_only_when_both_draws_hit_it() {
    let mut twos = twos::TwoChoices::new(Random::seeded(7));
    let mut dests = loads(&[1, 1]);
    dests[1].active = 5;
    // The kernel draws from 0..=total (3 values) and the first server takes
    // two of them: the busy second server is drawn both times 1/9 of the time.
    let counts = tally(&mut twos, &dests, 9000);
    assert!((700..1300).contains(&counts[1]), "{counts:?}");
}
