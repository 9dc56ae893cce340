//! The host the console runs on (the director itself: control sockets are
//! local): CPU, memory and the rate on each interface, from sysinfo.

use std::time::Instant;

use sysinfo::{Networks, System};

/// One interface's traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceRate {
    /// Its name.
    pub name: String,
    /// Bytes per second received.
    pub rx_bps: f64,
    /// Bytes per second sent.
    pub tx_bps: f64,
}

/// The host at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostStats {
    /// All CPUs together, 0..=100.
    pub cpu_percent: f32,
    /// How many CPUs.
    pub cores: usize,
    /// Bytes of memory in use.
    pub memory_used: u64,
    /// Bytes of memory in all.
    pub memory_total: u64,
    /// Interfaces, busiest first.
    pub interfaces: Vec<InterfaceRate>,
}

/// Reads the host, keeping what it needs to turn counters into rates.
#[derive(Debug)]
pub struct HostSampler {
    system: System,
    networks: Networks,
    last: Instant,
}

impl Default for HostSampler {
    fn default() -> Self {
        HostSampler::new()
    }
}

impl HostSampler {
    /// Start sampling; the first sample's rates cover the time since now.
    pub fn new() -> HostSampler {
        let mut system = System::new();
        system.refresh_cpu_usage();
        HostSampler {
            system,
            networks: Networks::new_with_refreshed_list(),
            last: Instant::now(),
        }
    }

    /// The host now.
    pub fn sample(&mut self) -> HostStats {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.networks.refresh(true);
        let elapsed = self.last.elapsed().as_secs_f64().max(0.001);
        self.last = Instant::now();
        let mut interfaces: Vec<InterfaceRate> = self
            .networks
            .iter()
            .map(|(name, data)| InterfaceRate {
                name: name.clone(),
                rx_bps: data.received() as f64 / elapsed,
                tx_bps: data.transmitted() as f64 / elapsed,
            })
            .collect();
        interfaces.sort_by(|a, b| {
            (b.rx_bps + b.tx_bps)
                .total_cmp(&(a.rx_bps + a.tx_bps))
                .then_with(|| a.name.cmp(&b.name))
        });
        HostStats {
            cpu_percent: self.system.global_cpu_usage(),
            cores: self.system.cpus().len(),
            memory_used: self.system.used_memory(),
            memory_total: self.system.total_memory(),
            interfaces,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_has_memory_cpus_and_loopback() {
        let mut sampler = HostSampler::new();
        let stats = sampler.sample();
        assert!(stats.cores >= 1);
        assert!(stats.memory_total > stats.memory_used && stats.memory_used > 0);
        assert!(stats.interfaces.iter().any(|i| i.name == "lo"), "{stats:?}");
        assert!((0.0..=100.0).contains(&stats.cpu_percent));
    }
}
