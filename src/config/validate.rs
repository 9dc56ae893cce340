//! Checks that span more than one value: uniqueness and cross-references.
//! Each problem names the path of the value it is about, so the loader can
//! point at its line and column.

use std::collections::HashSet;

use super::model::Config;

/// One step of a path into the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// A semantic problem at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the offending value is.
    pub path: Vec<Segment>,
    /// What is wrong with it.
    pub message: String,
}

/// Every semantic problem in `config`, in document order.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    let mut vrids = HashSet::new();
    for (i, instance) in config.vrrp_instances.iter().enumerate() {
        let at = |key| {
            vec![
                Segment::Key("vrrp_instance"),
                Segment::Index(i),
                Segment::Key(key),
            ]
        };
        if !names.insert(instance.name.as_str()) {
            problems.push(Problem {
                path: at("name"),
                message: format!("vrrp_instance name {:?} is used twice", instance.name),
            });
        }
        if !vrids.insert((instance.interface.as_str(), instance.virtual_router_id)) {
            problems.push(Problem {
                path: at("virtual_router_id"),
                message: format!(
                    "virtual_router_id {} is already used on {}",
                    instance.virtual_router_id, instance.interface
                ),
            });
        }
        let centis = instance.advert_int.0.as_millis();
        if !(10..=40_950).contains(&centis) || centis % 10 != 0 {
            problems.push(Problem {
                path: at("advert_int"),
                message: "advert_int must be 0.01..=40.95 seconds in steps of 0.01".into(),
            });
        }
        if instance.virtual_ipaddress.is_empty() {
            problems.push(Problem {
                path: at("virtual_ipaddress"),
                message: "virtual_ipaddress needs at least one address".into(),
            });
        }
    }
    let mut services = HashSet::new();
    for (i, service) in config.virtual_servers.iter().enumerate() {
        let at = |tail: Vec<Segment>| {
            let mut path = vec![Segment::Key("virtual_server"), Segment::Index(i)];
            path.extend(tail);
            path
        };
        if !services.insert((service.address, service.port)) {
            problems.push(Problem {
                path: at(vec![Segment::Key("port")]),
                message: format!("virtual_server {} is defined twice", service.display_name()),
            });
        }
        let mut reals = HashSet::new();
        for (j, real) in service.real_servers.iter().enumerate() {
            let real_at = |key| {
                at(vec![
                    Segment::Key("real_server"),
                    Segment::Index(j),
                    Segment::Key(key),
                ])
            };
            if !reals.insert((real.address, real.port)) {
                problems.push(Problem {
                    path: real_at("address"),
                    message: format!(
                        "real_server {} appears twice in virtual_server {}",
                        real.display_name(),
                        service.display_name()
                    ),
                });
            }
            if real.address.is_ipv4() != service.address.is_ipv4() {
                problems.push(Problem {
                    path: real_at("address"),
                    message: "a real server's address family must match its virtual server's"
                        .into(),
                });
            }
            if real
                .tcp_check
                .as_ref()
                .is_some_and(|c| c.connect_timeout.0.is_zero())
            {
                problems.push(Problem {
                    path: real_at("tcp_check"),
                    message: "connect_timeout must be greater than 0".into(),
                });
            }
        }
    }
    problems
}
