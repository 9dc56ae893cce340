use super::*;

fn loads(weights: &[u32]) -> Vec<DestLoad> {
    weights
        .iter()
        .map(|&weight| DestLoad {
            weight,
            ..DestLoad::default()
        })
        .collect()
}

fn tally(scheduler: &mut dyn Scheduler, dests: &[DestLoad], rounds: usize) -> Vec<usize> {
    let mut counts = vec![0; dests.len()];
    for _ in 0..rounds {
        counts[scheduler.pick(dests).unwrap()] += 1;
    }
    counts
}

#[test]
fn rr_cycles_and_skips_weight_zero() {
    let dests = loads(&[1, 0, 5]);
    let mut rr = RoundRobin::default();
    let picks: Vec<_> = (0..4).map(|_| rr.pick(&dests).unwrap()).collect();
    assert_eq!(picks, vec![0, 2, 0, 2]);
}

#[test]
fn wrr_is_proportional_to_weight_and_interleaved() {
    let dests = loads(&[4, 3, 2]);
    let mut wrr = WeightedRoundRobin::default();
    let first_cycle: Vec<_> = (0..9).map(|_| wrr.pick(&dests).unwrap()).collect();
    // The kernel's sequence for weights 4,3,2.
    assert_eq!(first_cycle, vec![0, 0, 1, 0, 1, 2, 0, 1, 2]);
    assert_eq!(tally(&mut wrr, &dests, 900), vec![400, 300, 200]);
}

#[test]
fn wrr_skips_weight_zero() {
    let dests = loads(&[0, 2, 0]);
    let mut wrr = WeightedRoundRobin::default();
    assert_eq!(tally(&mut wrr, &dests, 10), vec![0, 10, 0]);
}

#[test]
fn wlc_prefers_least_overhead_per_weight() {
    let mut wlc = WeightedLeastConnection;
    let mut dests = loads(&[1, 2, 1]);
    dests[0].active = 1;
    dests[1].active = 1;
    assert_eq!(wlc.pick(&dests), Some(2));
    dests[2].active = 1;
    // 256/1, 256/2, 256/1: the double-weight server wins.
    assert_eq!(wlc.pick(&dests), Some(1));
    // Inactive connections count 1/256 of an active one.
    dests[1].active = 0;
    dests[1].inactive = 600;
    dests[0].active = 2;
    assert_eq!(wlc.pick(&dests), Some(2));
}

#[test]
fn wlc_spreads_in_proportion_to_weight_as_connections_accumulate() {
    let mut wlc = WeightedLeastConnection;
    let mut dests = loads(&[1, 3]);
    for _ in 0..400 {
        let i = wlc.pick(&dests).unwrap();
        dests[i].active += 1;
    }
    assert_eq!((dests[0].active, dests[1].active), (100, 300));
}

#[test]
fn no_eligible_destination_means_none() {
    for name in [SchedulerName::Rr, SchedulerName::Wrr, SchedulerName::Wlc] {
        let mut s = scheduler(name);
        assert_eq!(s.pick(&[]), None, "{name:?} empty");
        assert_eq!(s.pick(&loads(&[0, 0])), None, "{name:?} all drained");
    }
}
