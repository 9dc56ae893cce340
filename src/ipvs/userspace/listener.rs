//! One accept loop per virtual service, bound with IP_FREEBIND so a backup
//! listens on a VIP before VRRP gives it the address.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use socket2::SockRef;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::table::{PlaneTable, Timeouts};
use super::tcp::proxy;
use crate::ipvs::model::DestLoad;
use crate::ipvs::sched::{scheduler, Scheduler};

/// A listener that could not be set up.
#[derive(Debug)]
pub struct PlaneError {
    /// The virtual service.
    pub address: SocketAddr,
    /// Why.
    pub cause: std::io::Error,
}

impl fmt::Display for PlaneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "userspace plane: cannot listen on {}: {}",
            self.address, self.cause
        )
    }
}

impl std::error::Error for PlaneError {}

fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    let sock = SockRef::from(&socket);
    if address.is_ipv4() {
        sock.set_freebind_v4(true)?;
    } else {
        sock.set_freebind_v6(true)?;
    }
    socket.bind(address)?;
    socket.listen(1024)
}

/// Start one listener per service in the current table. Each follows table
/// changes through `table`; the handles stop them when aborted.
pub fn start(
    table: watch::Receiver<Arc<PlaneTable>>,
    timeouts: Timeouts,
) -> Result<Vec<JoinHandle<()>>, PlaneError> {
    let addresses: Vec<SocketAddr> = table.borrow().services.iter().map(|s| s.address).collect();
    let mut handles = Vec::new();
    for address in addresses {
        let listener = bind(address).map_err(|cause| PlaneError { address, cause })?;
        handles.push(tokio::spawn(accept_loop(
            listener,
            address,
            table.clone(),
            timeouts,
        )));
    }
    Ok(handles)
}

async fn accept_loop(
    listener: TcpListener,
    address: SocketAddr,
    table: watch::Receiver<Arc<PlaneTable>>,
    timeouts: Timeouts,
) {
    let mut chooser: Option<(crate::config::SchedulerName, Box<dyn Scheduler>)> = None;
    loop {
        let Ok((client, _peer)) = listener.accept().await else {
            continue;
        };
        let current = table.borrow().clone();
        let Some(service) = current.service(address) else {
            continue;
        };
        let chooser = match &mut chooser {
            Some((name, s)) if *name == service.scheduler => s,
            slot => {
                &mut slot
                    .insert((service.scheduler, scheduler(service.scheduler)))
                    .1
            }
        };
        let loads: Vec<DestLoad> = service
            .dests
            .iter()
            .map(|d| {
                let sample = d.stats.sample();
                DestLoad {
                    weight: d.weight,
                    active: sample.active,
                    inactive: sample.inactive,
                }
            })
            .collect();
        // No eligible destination: dropping the client closes it at once.
        let Some(index) = chooser.pick(&loads) else {
            continue;
        };
        let dest = service.dests[index].clone();
        tokio::spawn(proxy(client, dest, timeouts));
    }
}
