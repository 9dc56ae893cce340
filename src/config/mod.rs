//! Configuration: the one model, its validated values, and loading native TOML
//! with errors that point at file, line and column.

pub mod checker_options;
pub mod diagnostic;
pub mod keepalived;
pub mod ldirectord;
pub mod load;
pub mod model;
pub mod one_or_many;
pub mod track_process;
pub mod validate;
pub mod values;
pub mod vip;
pub mod vrrp;

pub use diagnostic::Diagnostic;
pub use load::{import, is_native, load_file, parse_str, Loaded};
pub use model::*;
