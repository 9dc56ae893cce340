//! The VRRP instance state machine of RFC 5798 §6.4, as a pure function of
//! (state, input, now). Timers are deadlines the caller polls with `Tick`.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use super::packet::Advert;

/// The static parameters of one virtual router.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceParams {
    /// Virtual router identifier.
    pub vrid: u8,
    /// This router's priority, 1..=254.
    pub priority: u8,
    /// Our advertisement interval in centiseconds.
    pub interval_cs: u16,
    /// Whether a higher-priority backup takes over from a lower-priority master.
    pub preempt: bool,
    /// This router's primary address on the instance's interface (tie-breaker).
    pub own_address: Ipv4Addr,
}

/// The four states a virtual router can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum State {
    /// Not started, or shut down.
    Init,
    /// Listening to a master.
    Backup,
    /// Owning the virtual addresses and advertising.
    Master,
    /// Unable to serve (interface down, failed tracking).
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
        from: Ipv4Addr,
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
}

/// Why a transition happened; shown to the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Startup.
    Startup,
    /// No advertisement arrived within Master_Down_Interval.
    MasterDown,
    /// The master sent priority 0.
    MasterResigned(Ipv4Addr),
    /// A better router advertised.
    Preempted(Ipv4Addr),
    /// An operator asked for a failover.
    OperatorFailover,
    /// An operator asked for a takeover.
    OperatorTakeover,
    /// Shutdown.
    Shutdown,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Startup => write!(f, "startup"),
            Reason::MasterDown => write!(f, "no advert within master-down interval"),
            Reason::MasterResigned(from) => write!(f, "master {from} resigned (priority 0)"),
            Reason::Preempted(from) => write!(f, "preempted by {from}"),
            Reason::OperatorFailover => write!(f, "operator failover"),
            Reason::OperatorTakeover => write!(f, "operator takeover"),
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
    /// Send gratuitous ARPs for the virtual addresses.
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

/// Why an operator request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Failover needs this node to be master.
    NotMaster,
    /// Takeover needs this node to be backup.
    NotBackup,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotMaster => write!(f, "this node is not master"),
            Refusal::NotBackup => write!(f, "this node is not backup"),
        }
    }
}

/// One virtual router's runtime state.
#[derive(Debug, Clone)]
pub struct Instance {
    params: InstanceParams,
    state: State,
    master_interval_cs: u16,
    adver_deadline: Option<Instant>,
    master_down_deadline: Option<Instant>,
    held: bool,
    master: Option<Ipv4Addr>,
}

impl Instance {
    /// A new instance in Init.
    pub fn new(params: InstanceParams) -> Instance {
        Instance {
            master_interval_cs: params.interval_cs,
            params,
            state: State::Init,
            adver_deadline: None,
            master_down_deadline: None,
            held: false,
            master: None,
        }
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The static parameters.
    pub fn params(&self) -> &InstanceParams {
        &self.params
    }

    /// Whether an operator failover holds this node in backup (no preemption).
    pub fn held(&self) -> bool {
        self.held
    }

    /// The current master's address: ours when master, the last advertiser's when backup.
    pub fn master(&self) -> Option<Ipv4Addr> {
        match self.state {
            State::Master => Some(self.params.own_address),
            State::Backup => self.master,
            State::Init | State::Fault => None,
        }
    }

    /// The advertisement interval learned from the master (v3), in centiseconds.
    pub fn master_interval_cs(&self) -> u16 {
        self.master_interval_cs
    }

    /// Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
    pub fn skew_time(&self) -> Duration {
        let cs = (256 - u32::from(self.params.priority)) * u32::from(self.master_interval_cs);
        Duration::from_micros(u64::from(cs) * 10_000 / 256)
    }

    /// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time.
    pub fn master_down_interval(&self) -> Duration {
        centis(self.master_interval_cs) * 3 + self.skew_time()
    }

    /// The earliest moment at which `Tick` has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.adver_deadline, self.master_down_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Apply one input at time `now`, returning what the shell must do.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Action> {
        match input {
            Input::Startup => self.startup(now),
            Input::Advert { from, advert } => self.advert(from, &advert, now),
            Input::Tick => self.tick(now),
            Input::Shutdown => self.shutdown(),
            Input::Failover => self.failover(now).unwrap_or_default(),
            Input::Takeover => self.takeover(now).unwrap_or_default(),
        }
    }

    /// Operator failover: resign with priority 0 and stay backup without preempting.
    pub fn failover(&mut self, now: Instant) -> Result<Vec<Action>, Refusal> {
        if self.state != State::Master {
            return Err(Refusal::NotMaster);
        }
        self.held = true;
        let mut actions = vec![Action::SendAdvert { priority: 0 }, Action::RemoveAddresses];
        actions.extend(self.become_backup(now, Reason::OperatorFailover));
        Ok(actions)
    }

    /// Operator takeover: clear any hold and become master at once.
    pub fn takeover(&mut self, now: Instant) -> Result<Vec<Action>, Refusal> {
        if self.state != State::Backup {
            return Err(Refusal::NotBackup);
        }
        self.held = false;
        Ok(self.become_master(now, Reason::OperatorTakeover))
    }

    fn startup(&mut self, now: Instant) -> Vec<Action> {
        if self.state != State::Init {
            return Vec::new();
        }
        self.master_interval_cs = self.params.interval_cs;
        self.become_backup(now, Reason::Startup)
    }

    fn shutdown(&mut self) -> Vec<Action> {
        let from = self.state;
        let mut actions = Vec::new();
        if from == State::Master {
            actions.push(Action::SendAdvert { priority: 0 });
            actions.push(Action::RemoveAddresses);
        }
        self.adver_deadline = None;
        self.master_down_deadline = None;
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
        match self.state {
            State::Backup if self.master_down_deadline.is_some_and(|d| d <= now) => {
                self.become_master(now, Reason::MasterDown)
            }
            State::Master if self.adver_deadline.is_some_and(|d| d <= now) => {
                self.adver_deadline = Some(now + centis(self.params.interval_cs));
                vec![Action::SendAdvert {
                    priority: self.params.priority,
                }]
            }
            _ => Vec::new(),
        }
    }

    fn advert(&mut self, from: Ipv4Addr, advert: &Advert, now: Instant) -> Vec<Action> {
        match self.state {
            State::Backup => {
                if advert.priority == 0 {
                    self.master_down_deadline = Some(now + self.skew_time());
                } else if !self.params.preempt
                    || self.held
                    || advert.priority >= self.params.priority
                {
                    self.master = Some(from);
                    self.master_interval_cs = advert.interval_cs.max(1);
                    self.master_down_deadline = Some(now + self.master_down_interval());
                }
                Vec::new()
            }
            State::Master => {
                if advert.priority == 0 {
                    self.adver_deadline = Some(now + centis(self.params.interval_cs));
                    return vec![Action::SendAdvert {
                        priority: self.params.priority,
                    }];
                }
                let better = advert.priority > self.params.priority
                    || (advert.priority == self.params.priority && from > self.params.own_address);
                if !better {
                    return Vec::new();
                }
                self.master = Some(from);
                self.master_interval_cs = advert.interval_cs.max(1);
                let mut actions = vec![Action::RemoveAddresses];
                actions.extend(self.become_backup(now, Reason::Preempted(from)));
                actions
            }
            State::Init | State::Fault => Vec::new(),
        }
    }

    fn become_master(&mut self, now: Instant, reason: Reason) -> Vec<Action> {
        let from = self.state;
        self.state = State::Master;
        self.master_down_deadline = None;
        self.adver_deadline = Some(now + centis(self.params.interval_cs));
        vec![
            Action::SendAdvert {
                priority: self.params.priority,
            },
            Action::AddAddresses,
            Action::Announce,
            Action::Transition {
                from,
                to: State::Master,
                reason,
            },
        ]
    }

    fn become_backup(&mut self, now: Instant, reason: Reason) -> Vec<Action> {
        let from = self.state;
        self.state = State::Backup;
        self.adver_deadline = None;
        self.master_down_deadline = Some(now + self.master_down_interval());
        vec![Action::Transition {
            from,
            to: State::Backup,
            reason,
        }]
    }
}

fn centis(cs: u16) -> Duration {
    Duration::from_millis(u64::from(cs) * 10)
}

#[cfg(test)]
mod tests;
