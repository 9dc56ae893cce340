//! How a sync group follows one of its members, as keepalived's
//! `vrrp_sync_group` does: a pure rule over the member's transition, with
//! its state machines driven together in the tests below.
//!
//! * A member that goes to FAULT faults the whole group; one that leaves
//!   FAULT clears the group's fault.
//! * A member that becomes MASTER takes the group with it.
//! * A master member that falls back to BACKUP (a better peer, a failover,
//!   a resigning peer) makes the other masters follow hitlessly: priority 0
//!   with their addresses kept until the new master speaks, and held when
//!   the member that moved is held (an operator's failover moves the whole
//!   group and it stays moved).
//! * A member moved by its group does not move the group again, and a
//!   stopping member does not move it at all: every master hands over on
//!   its own as director stops.

use super::instance::{Input, Reason, State};

/// What the other members of a group are given when one member moved
/// `from` → `to` for `reason`; `held` says whether that member is now held
/// in backup. `None`: the group does not follow.
pub fn follow(from: State, to: State, reason: &Reason, held: bool) -> Option<Input> {
    if matches!(reason, Reason::SyncGroup | Reason::Shutdown) {
        return None;
    }
    match (from, to) {
        (_, State::Fault) => Some(Input::GroupFault(true)),
        (State::Fault, _) => Some(Input::GroupFault(false)),
        (_, State::Master) => Some(Input::GroupMaster),
        (State::Master, State::Backup) => Some(Input::GroupBackup { held }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::vrrp::instance::{Action, Instance, InstanceParams};

    const US: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11));

    fn member(vrid: u8) -> Instance {
        Instance::new(InstanceParams {
            vrid,
            priority: 150,
            interval_cs: 100,
            preempt: true,
            preempt_delay: Duration::ZERO,
            own_address: US,
        })
    }

    fn transitions(actions: &[Action]) -> Vec<(State, State, Reason)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Transition { from, to, reason } => Some((*from, *to, reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// Feed `input` to member `index` of `group` at `now`, then let the
    /// group follow as the engine does, to the end; every transition, by
    /// member, in order.
    fn drive(
        group: &mut [Instance],
        index: usize,
        input: Input,
        now: Instant,
    ) -> Vec<(usize, State, State, Reason)> {
        let mut seen = Vec::new();
        let mut queue = vec![(index, input)];
        // Bounded: each member can move a handful of times at most.
        for _ in 0..32 {
            let Some((at, input)) = queue.pop() else {
                return seen;
            };
            let actions = group[at].handle(input, now);
            for (from, to, reason) in transitions(&actions) {
                seen.push((at, from, to, reason.clone()));
                if let Some(next) = follow(from, to, &reason, group[at].held()) {
                    queue.extend(
                        (0..group.len())
                            .filter(|m| *m != at)
                            .map(|m| (m, next.clone())),
                    );
                }
            }
        }
        panic!("the group did not settle: {seen:?}");
    }

    #[test]
    fn the_rule_for_each_transition() {
        let own = Reason::MasterDown;
        assert_eq!(
            follow(State::Backup, State::Fault, &own, false),
            Some(Input::GroupFault(true))
        );
        assert_eq!(
            follow(State::Fault, State::Backup, &own, false),
            Some(Input::GroupFault(false))
        );
        assert_eq!(
            follow(State::Backup, State::Master, &own, false),
            Some(Input::GroupMaster)
        );
        assert_eq!(
            follow(
                State::Master,
                State::Backup,
                &Reason::OperatorFailover,
                true
            ),
            Some(Input::GroupBackup { held: true })
        );
        assert_eq!(
            follow(State::Init, State::Backup, &Reason::Startup, false),
            None
        );
        for quiet in [Reason::SyncGroup, Reason::Shutdown] {
            assert_eq!(
                follow(State::Backup, State::Fault, &quiet, false),
                None,
                "{quiet}"
            );
            assert_eq!(
                follow(State::Master, State::Backup, &quiet, true),
                None,
                "{quiet}"
            );
        }
    }

    #[test]
    fn a_group_moves_together_to_master_fault_and_back() {
        let t0 = Instant::now();
        let mut group = [member(51), member(52)];
        drive(&mut group, 0, Input::Startup, t0);
        drive(&mut group, 1, Input::Startup, t0);
        assert!(group.iter().all(|m| m.state() == State::Backup));

        // Member 0 hears no master first: the group becomes master with it.
        let later = t0 + group[0].master_down_interval() + Duration::from_millis(1);
        let moved = drive(&mut group, 0, Input::Tick, later);
        assert_eq!(
            moved[0],
            (0, State::Backup, State::Master, Reason::MasterDown)
        );
        assert!(
            moved.contains(&(1, State::Backup, State::Master, Reason::SyncGroup)),
            "{moved:?}"
        );
        assert!(group.iter().all(|m| m.state() == State::Master));

        // Member 1's tracking faults: the whole group faults, and comes back.
        let fault = Input::Tracking {
            priority: 150,
            fault: true,
        };
        let moved = drive(&mut group, 1, fault, later);
        assert!(
            moved.contains(&(0, State::Master, State::Fault, Reason::SyncGroup)),
            "{moved:?}"
        );
        assert!(group.iter().all(|m| m.state() == State::Fault));
        let clear = Input::Tracking {
            priority: 150,
            fault: false,
        };
        drive(&mut group, 1, clear, later);
        assert!(
            group.iter().all(|m| m.state() != State::Fault),
            "the group's fault cleared"
        );
    }

    #[test]
    fn an_operator_failover_of_one_member_holds_the_whole_group() {
        let t0 = Instant::now();
        let mut group = [member(51), member(52)];
        for index in 0..2 {
            drive(&mut group, index, Input::Startup, t0);
        }
        let later = t0 + group[0].master_down_interval() + Duration::from_millis(1);
        drive(&mut group, 0, Input::Tick, later);
        assert!(group.iter().all(|m| m.state() == State::Master));
        let actions = group[0].failover(later).unwrap();
        let mut moved = Vec::new();
        for (from, to, reason) in transitions(&actions) {
            let next = follow(from, to, &reason, group[0].held()).unwrap();
            moved.extend(drive(&mut group, 1, next, later));
        }
        assert!(
            group.iter().all(|m| m.state() == State::Backup),
            "{moved:?}"
        );
        assert!(
            group.iter().all(Instance::held),
            "the follower is held as the member is"
        );
    }
}
