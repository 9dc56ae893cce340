//! The VRRP instance state machine of RFC 5798 §6.4, as a pure function of
//! (state, input, now). Timers are deadlines the caller polls with `Tick`.
//!
//! Beyond the RFC it knows keepalived's `preempt_delay`, tracking (an
//! effective priority and a fault flag computed elsewhere), the split-brain
//! guard's reference check, and the operator's hitless failover and takeover.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::packet::Advert;

/// The static parameters of one virtual router.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceParams {
    /// Virtual router identifier.
    pub vrid: u8,
    /// Configured priority; 255 makes this router the address owner.
    pub priority: u8,
    /// Our advertisement interval in centiseconds.
    pub interval_cs: u16,
    /// Whether a higher-priority backup takes over from a lower-priority master.
    pub preempt: bool,
    /// How long a higher-priority backup waits before preempting.
    pub preempt_delay: Duration,
    /// This router's primary address on the instance's interface (tie-breaker).
    pub own_address: IpAddr,
}

/// The four states a virtual router can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Not started, or shut down.
    Init,
    /// Listening to a master.
    Backup,
    /// Owning the virtual addresses and advertising.
    Master,
    /// Unable to serve (failed tracking, unreachable reference).
    Fault,
}

impl State {
    /// The name keepalived uses in its logs: MASTER, BACKUP, FAULT, INIT.
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        }
    }
}

/// What can happen to an instance.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The instance starts (RFC 5798 Startup event).
    Startup,
    /// A validated advertisement for our VRID arrived from `from`.
    Advert {
        /// IP source of the advertisement.
        from: IpAddr,
        /// Its decoded contents.
        advert: Advert,
    },
    /// Time has passed; fire whichever timers are due.
    Tick,
    /// The instance stops (RFC 5798 Shutdown event).
    Shutdown,
    /// Operator: give up mastership and let the peer take the addresses.
    Failover,
    /// Operator: take mastership now.
    Takeover,
    /// Operator: lift the hold a failover left, allowing preemption again.
    Release,
    /// Tracking changed: the effective priority, and whether to be in FAULT.
    Tracking {
        /// Effective priority, 1..=254 (ignored for an address owner).
        priority: u8,
        /// A zero-weight tracked object failed.
        fault: bool,
    },
    /// The split-brain guard's reference address answered (true) or not.
    Reference(bool),
    /// Sync group: another member is (true) or is no longer (false) in FAULT.
    GroupFault(bool),
    /// Sync group: another member became master; follow it.
    GroupMaster,
    /// Sync group: another member fell back to backup; follow it, as
    /// hitlessly as a failover, and held too when that member is (an
    /// operator failed it over), so the group does not come back on its own.
    GroupBackup {
        /// The member that moved is held.
        held: bool,
    },
}

/// Why a transition happened; shown to the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Startup.
    Startup,
    /// Priority 255: this router owns the addresses.
    AddressOwner,
    /// No advertisement arrived within Master_Down_Interval.
    MasterDown,
    /// The master sent priority 0.
    MasterResigned(IpAddr),
    /// A better router advertised.
    Preempted(IpAddr),
    /// An operator asked for a failover.
    OperatorFailover,
    /// An operator asked for a takeover.
    OperatorTakeover,
    /// A zero-weight tracked object failed.
    TrackingFault,
    /// Whatever faulted the instance cleared.
    FaultCleared,
    /// The split-brain guard's reference did not answer.
    ReferenceUnreachable,
    /// Another member of the sync group moved.
    SyncGroup,
    /// Shutdown.
    Shutdown,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Startup => write!(f, "startup"),
            Reason::AddressOwner => write!(f, "address owner (priority 255)"),
            Reason::MasterDown => write!(f, "no advert within master-down interval"),
            Reason::MasterResigned(from) => write!(f, "master {from} resigned (priority 0)"),
            Reason::Preempted(from) => write!(f, "preempted by {from}"),
            Reason::OperatorFailover => write!(f, "operator failover"),
            Reason::OperatorTakeover => write!(f, "operator takeover"),
            Reason::TrackingFault => write!(f, "tracked object failed"),
            Reason::FaultCleared => write!(f, "fault cleared"),
            Reason::ReferenceUnreachable => {
                write!(f, "reference address unreachable (split-brain guard)")
            }
            Reason::SyncGroup => write!(f, "following its sync group"),
            Reason::Shutdown => write!(f, "shutdown"),
        }
    }
}

/// What the shell must do after an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one advertisement with this priority.
    SendAdvert {
        /// Priority to advertise (0 when resigning).
        priority: u8,
    },
    /// Configure the virtual addresses on the interface.
    AddAddresses,
    /// Remove the virtual addresses from the interface.
    RemoveAddresses,
    /// Send gratuitous ARPs / unsolicited NAs for the virtual addresses.
    Announce,
    /// The state changed.
    Transition {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
}

/// The adverts a master sends on its own, once every `interval` after
/// `first` (at `first`, `first + interval`, ...), while nothing changes:
/// what an instance that leaves them to its shell ([`Instance::pace_adverts`])
/// asks the shell to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertSchedule {
    /// When the first of them is due.
    pub first: Instant,
    /// Advertisement_Interval.
    pub interval: Duration,
    /// The priority they carry.
    pub priority: u8,
}

/// Why an operator request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Failover needs this node to be master.
    NotMaster,
    /// Takeover needs this node to be backup.
    NotBackup,
    /// Release needs a hold to lift.
    NotHeld,
    /// A hold is for an instance that is not master (fail a master over).
    IsMaster,
    /// Takeover from a master that outranks this node: it would take the
    /// addresses straight back at its next advert.
    Outranked {
        /// The master.
        master: IpAddr,
        /// The priority it advertises.
        priority: u8,
        /// This node's effective priority.
        ours: u8,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotMaster => write!(f, "this node is not master"),
            Refusal::NotBackup => write!(f, "this node is not backup"),
            Refusal::NotHeld => write!(f, "it is not held"),
            Refusal::IsMaster => write!(f, "it is master: fail it over instead"),
            Refusal::Outranked {
                master,
                priority,
                ours,
            } => write!(
                f,
                "the master {master} advertises priority {priority} against this node's \
                 {ours} and would take the addresses straight back: fail {master} over instead"
            ),
        }
    }
}

/// One virtual router's runtime state.
#[derive(Debug, Clone)]
pub struct Instance {
    params: InstanceParams,
    state: State,
    priority: u8,
    tracking_fault: bool,
    group_fault: bool,
    reference_ok: bool,
    master_interval_cs: u16,
    adver_deadline: Option<Instant>,
    master_down_deadline: Option<Instant>,
    release_deadline: Option<Instant>,
    preempt_from: Option<Instant>,
    resigned_by: Option<IpAddr>,
    held: bool,
    /// The master last heard, and the priority it advertised.
    master: Option<(IpAddr, u8)>,
    /// When this node last became master.
    master_since: Option<Instant>,
    /// The shell sends the periodic adverts from `advert_schedule`.
    paced: bool,
}

impl Instance {
    /// A new instance in Init.
    pub fn new(params: InstanceParams) -> Instance {
        Instance {
            master_interval_cs: params.interval_cs,
            priority: params.priority,
            params,
            state: State::Init,
            tracking_fault: false,
            group_fault: false,
            reference_ok: true,
            adver_deadline: None,
            master_down_deadline: None,
            release_deadline: None,
            preempt_from: None,
            resigned_by: None,
            held: false,
            master: None,
            master_since: None,
            paced: false,
        }
    }

    /// Leave a master's periodic adverts to the shell, which sends them
    /// from [`Self::advert_schedule`] on a timer of its own: `Tick` no
    /// longer sends them and `next_deadline` leaves them out, so whatever
    /// runs the state machine need not wake once per advert. Adverts sent
    /// at once (becoming master, answering priority 0, a priority change,
    /// resigning) are still actions.
    pub fn pace_adverts(&mut self) {
        self.paced = true;
    }

    /// The periodic adverts this instance sends while master, as they
    /// stand now; `None` when it sends none. A new schedule replaces the
    /// old one from its `first` on.
    pub fn advert_schedule(&self) -> Option<AdvertSchedule> {
        let first = self
            .adver_deadline
            .filter(|_| self.state == State::Master)?;
        Some(AdvertSchedule {
            first,
            interval: centis(self.params.interval_cs),
            priority: self.priority,
        })
    }

    /// Take new parameters in place (a reload). The VRID, the address
    /// owner's priority 255 and our address are what the instance is on
    /// the wire; changing those needs a new instance. A master advertises
    /// at the new interval from its next advert; the effective priority
    /// follows with the next `Tracking` input.
    pub fn reconfigure(&mut self, params: InstanceParams) {
        if self.state != State::Backup {
            self.master_interval_cs = params.interval_cs;
        }
        if !params.preempt {
            self.preempt_from = None;
        }
        self.params = params;
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The static parameters.
    pub fn params(&self) -> &InstanceParams {
        &self.params
    }

    /// The effective priority (configured priority adjusted by tracking).
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// Whether an operator failover holds this node in backup (no preemption).
    pub fn held(&self) -> bool {
        self.held
    }

    /// Whether the addresses are still up after a hitless failover, waiting
    /// for the new master's first advert.
    pub fn releasing(&self) -> bool {
        self.release_deadline.is_some()
    }

    /// The current master's address: ours when master, the last advertiser's when backup.
    pub fn master(&self) -> Option<IpAddr> {
        match self.state {
            State::Master => Some(self.params.own_address),
            State::Backup => self.master.map(|(address, _)| address),
            State::Init | State::Fault => None,
        }
    }

    /// The advertisement interval learned from the master, in centiseconds.
    pub fn master_interval_cs(&self) -> u16 {
        self.master_interval_cs
    }

    /// Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
    pub fn skew_time(&self) -> Duration {
        let cs = (256 - u32::from(self.priority)) * u32::from(self.master_interval_cs);
        Duration::from_micros(u64::from(cs) * 10_000 / 256)
    }

    /// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
    pub fn master_down_interval(&self) -> Duration {
        centis(self.master_interval_cs) * 3 + self.skew_time()
    }

    /// The earliest moment at which `Tick` has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.adver_deadline.filter(|_| !self.paced),
            self.master_down_deadline,
            self.release_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Apply one input at time `now`, returning what the shell must do.
    /// Operator inputs refused in the current state do nothing.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Action> {
        match input {
            Input::Startup => self.startup(now),
            Input::Advert { from, advert } => self.advert(from, &advert, now),
            Input::Tick => self.tick(now),
            Input::Shutdown => self.shutdown(),
            Input::Failover => self.failover(now).unwrap_or_default(),
            Input::Takeover => self.takeover(now).unwrap_or_default(),
            Input::Release => {
                self.held = false;
                Vec::new()
            }
            Input::Tracking { priority, fault } => self.tracking(priority, fault, now),
            Input::Reference(ok) => self.reference(ok, now),
            Input::GroupFault(fault) => {
                let was_faulted = self.faulted();
                self.group_fault = fault;
                self.fault_change(was_faulted, Reason::SyncGroup, now)
                    .unwrap_or_default()
            }
            Input::GroupMaster if self.state == State::Backup && !self.faulted() => {
                self.become_master(now, Reason::SyncGroup)
            }
            Input::GroupBackup { held } if self.state == State::Master => {
                let actions = self.let_go(now, Reason::SyncGroup).unwrap_or_default();
                self.held = held;
                actions
            }
            Input::GroupMaster | Input::GroupBackup { .. } => Vec::new(),
        }
    }

    /// Operator failover, made hitless: advertise priority 0 so the best
    /// backup takes over at once, keep the addresses until its first advert
    /// arrives (at most Master_Down_Interval), and hold this node in backup
    /// without preempting until released.
    pub fn failover(&mut self, now: Instant) -> Result<Vec<Action>, Refusal> {
        self.let_go(now, Reason::OperatorFailover)
    }

    /// A stopping master's hand-over: the same hitless steps as
    /// [`Self::failover`], reported as a shutdown so the journal and the
    /// notifications say why.
    pub fn hand_over_on_shutdown(&mut self, now: Instant) -> Result<Vec<Action>, Refusal> {
        self.let_go(now, Reason::Shutdown)
    }

    fn let_go(&mut self, now: Instant, reason: Reason) -> Result<Vec<Action>, Refusal> {
        if self.state != State::Master {
            return Err(Refusal::NotMaster);
        }
        self.held = true;
        let mut actions = vec![Action::SendAdvert { priority: 0 }];
        actions.extend(self.become_backup(now, reason));
        self.release_deadline = self.master_down_deadline;
        Ok(actions)
    }

    /// Operator hold on an instance that is not master: it does not
    /// preempt until released or taken over, as after a failover (it still
    /// takes over if no master is heard). How a failover's hold survives a
    /// restart.
    pub fn hold(&mut self) -> Result<Vec<Action>, Refusal> {
        if self.state == State::Master {
            return Err(Refusal::IsMaster);
        }
        self.held = true;
        Ok(Vec::new())
    }

    /// Operator takeover: clear any hold and become master at once.
    pub fn takeover(&mut self, now: Instant) -> Result<Vec<Action>, Refusal> {
        if self.state != State::Backup {
            return Err(Refusal::NotBackup);
        }
        if let Some((master, priority)) = self.master.filter(|_| self.resigned_by.is_none()) {
            let ours = self.priority;
            let wins_tie = priority == ours && master > self.params.own_address;
            if priority > ours || wins_tie {
                return Err(Refusal::Outranked {
                    master,
                    priority,
                    ours,
                });
            }
        }
        self.held = false;
        Ok(self.become_master(now, Reason::OperatorTakeover))
    }

    /// Whether another master's advert at `now` (advertising every
    /// `peer_interval_cs`) is still a takeover's ordinary overlap rather
    /// than split brain: right after this node became master, the old
    /// master's adverts already in flight arrive until it hears ours and
    /// yields, within Master_Down_Interval plus its own interval.
    pub fn in_takeover_overlap(&self, peer_interval_cs: u16, now: Instant) -> bool {
        let overlap = self.master_down_interval() + centis(peer_interval_cs);
        self.state == State::Master
            && self
                .master_since
                .is_some_and(|since| now.saturating_duration_since(since) < overlap)
    }

    fn faulted(&self) -> bool {
        self.tracking_fault || self.group_fault || !self.reference_ok
    }

    fn startup(&mut self, now: Instant) -> Vec<Action> {
        if self.state != State::Init {
            return Vec::new();
        }
        self.master_interval_cs = self.params.interval_cs;
        if self.tracking_fault || self.group_fault {
            return self.become_fault(Reason::TrackingFault);
        }
        if self.params.priority == 255 {
            return self.become_master(now, Reason::AddressOwner);
        }
        self.become_backup(now, Reason::Startup)
    }

    fn shutdown(&mut self) -> Vec<Action> {
        let from = self.state;
        let mut actions = Vec::new();
        if from == State::Master {
            actions.push(Action::SendAdvert { priority: 0 });
        }
        if from == State::Master || self.release_deadline.is_some() {
            actions.push(Action::RemoveAddresses);
        }
        self.clear_timers();
        self.state = State::Init;
        if from != State::Init {
            actions.push(Action::Transition {
                from,
                to: State::Init,
                reason: Reason::Shutdown,
            });
        }
        actions
    }

    fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        match self.state {
            State::Backup if self.master_down_deadline.is_some_and(|d| d <= now) => {
                // Taking over keeps any addresses a pending release still holds.
                self.release_deadline = None;
                if !self.reference_ok {
                    return self.become_fault(Reason::ReferenceUnreachable);
                }
                let reason = match self.resigned_by {
                    Some(from) => Reason::MasterResigned(from),
                    None => Reason::MasterDown,
                };
                return self.become_master(now, reason);
            }
            State::Master if !self.paced && self.adver_deadline.is_some_and(|d| d <= now) => {
                self.adver_deadline = Some(now + centis(self.params.interval_cs));
                actions.push(Action::SendAdvert {
                    priority: self.priority,
                });
            }
            _ => {}
        }
        if self.release_deadline.is_some_and(|d| d <= now) {
            self.release_deadline = None;
            actions.push(Action::RemoveAddresses);
        }
        actions
    }

    fn advert(&mut self, from: IpAddr, advert: &Advert, now: Instant) -> Vec<Action> {
        match self.state {
            State::Backup => self.advert_in_backup(from, advert, now),
            State::Master => {
                if advert.priority == 0 {
                    self.adver_deadline = Some(now + centis(self.params.interval_cs));
                    return vec![Action::SendAdvert {
                        priority: self.priority,
                    }];
                }
                let better = advert.priority > self.priority
                    || (advert.priority == self.priority && from > self.params.own_address);
                if !better {
                    return Vec::new();
                }
                self.master = Some((from, advert.priority));
                self.master_interval_cs = advert.interval_cs.max(1);
                let mut actions = vec![Action::RemoveAddresses];
                actions.extend(self.become_backup(now, Reason::Preempted(from)));
                actions
            }
            State::Init | State::Fault => Vec::new(),
        }
    }

    fn advert_in_backup(&mut self, from: IpAddr, advert: &Advert, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        if advert.priority == 0 {
            self.master_down_deadline = Some(now + self.skew_time());
            self.resigned_by = Some(from);
            return actions;
        }
        self.resigned_by = None;
        // A new master is advertising: a hitless failover can now let go.
        if self.release_deadline.take().is_some() {
            actions.push(Action::RemoveAddresses);
        }
        // The master until we preempt it, even when its advert is discarded.
        self.master = Some((from, advert.priority));
        let lower = advert.priority < self.priority;
        if lower && self.params.preempt && !self.held {
            let since = *self.preempt_from.get_or_insert(now);
            if now.duration_since(since) >= self.params.preempt_delay {
                // Discard: the master-down timer runs out and we preempt.
                return actions;
            }
        } else if !lower {
            self.preempt_from = None;
        }
        self.master_interval_cs = advert.interval_cs.max(1);
        self.master_down_deadline = Some(now + self.master_down_interval());
        actions
    }

    fn tracking(&mut self, priority: u8, fault: bool, now: Instant) -> Vec<Action> {
        if self.params.priority != 255 {
            self.priority = priority.clamp(1, 254);
        }
        let was_faulted = self.faulted();
        self.tracking_fault = fault;
        self.fault_change(was_faulted, Reason::TrackingFault, now)
            .unwrap_or_else(|| self.priority_change())
    }

    fn reference(&mut self, ok: bool, now: Instant) -> Vec<Action> {
        let was_faulted = self.faulted();
        self.reference_ok = ok;
        // An unreachable reference only blocks claiming mastership; a master
        // keeps serving. It faults a backup so it cannot take over blindly.
        if !ok && self.state == State::Master {
            return Vec::new();
        }
        self.fault_change(was_faulted, Reason::ReferenceUnreachable, now)
            .unwrap_or_default()
    }

    /// Enter or leave FAULT when the fault flags changed, if that applies now.
    fn fault_change(
        &mut self,
        was_faulted: bool,
        reason: Reason,
        now: Instant,
    ) -> Option<Vec<Action>> {
        let faulted = self.faulted();
        match (was_faulted, faulted, self.state) {
            (_, true, State::Master) if self.tracking_fault || self.group_fault => {
                let mut actions = vec![Action::SendAdvert { priority: 0 }, Action::RemoveAddresses];
                actions.extend(self.become_fault(reason));
                Some(actions)
            }
            (_, true, State::Backup) => {
                let mut actions = Vec::new();
                if self.release_deadline.take().is_some() {
                    actions.push(Action::RemoveAddresses);
                }
                actions.extend(self.become_fault(reason));
                Some(actions)
            }
            (true, false, State::Fault) => Some(self.become_backup(now, Reason::FaultCleared)),
            _ => None,
        }
    }

    /// A master advertises a changed priority at once, so backups react now.
    fn priority_change(&mut self) -> Vec<Action> {
        if self.state == State::Master {
            vec![Action::SendAdvert {
                priority: self.priority,
            }]
        } else {
            Vec::new()
        }
    }

    fn clear_timers(&mut self) {
        self.adver_deadline = None;
        self.master_down_deadline = None;
        self.release_deadline = None;
        self.preempt_from = None;
        self.resigned_by = None;
    }

    fn become_master(&mut self, now: Instant, reason: Reason) -> Vec<Action> {
        let from = self.state;
        self.clear_timers();
        // A hold keeps a backup from preempting; a master it no longer
        // concerns (the peer died, or its group took over).
        self.held = false;
        self.state = State::Master;
        self.master_since = Some(now);
        self.adver_deadline = Some(now + centis(self.params.interval_cs));
        // The addresses are up and announced before the first advert
        // claims them: a master handing over lets go of them when it hears
        // that advert, and by then clients already reach this node.
        vec![
            Action::AddAddresses,
            Action::Announce,
            Action::SendAdvert {
                priority: self.priority,
            },
            Action::Transition {
                from,
                to: State::Master,
                reason,
            },
        ]
    }

    fn become_backup(&mut self, now: Instant, reason: Reason) -> Vec<Action> {
        let from = self.state;
        self.clear_timers();
        self.state = State::Backup;
        self.master_down_deadline = Some(now + self.master_down_interval());
        vec![Action::Transition {
            from,
            to: State::Backup,
            reason,
        }]
    }

    fn become_fault(&mut self, reason: Reason) -> Vec<Action> {
        let from = self.state;
        self.clear_timers();
        self.state = State::Fault;
        vec![Action::Transition {
            from,
            to: State::Fault,
            reason,
        }]
    }
}

fn centis(cs: u16) -> Duration {
    Duration::from_millis(u64::from(cs) * 10)
}

#[cfg(test)]
mod tests;
