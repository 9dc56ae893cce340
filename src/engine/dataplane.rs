//! Which data plane an engine drives (the embedded userspace proxy, or the
//! kernel's IPVS over netlink), chosen at start; the engine then holds it as
//! an `ipvs::model::DataPlane`.

/// Which data plane to use (`--dataplane`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Choice {
    /// The kernel's IPVS when its netlink family resolves, else userspace.
    #[default]
    Auto,
    /// The kernel's IPVS; refuse to start without it.
    Kernel,
    /// The embedded userspace proxy.
    Userspace,
}

/// How an engine's data plane is chosen and left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlaneOptions {
    /// Which plane.
    pub choice: Choice,
    /// Kernel plane: delete every IPVS service on stop (`--flush-on-stop`);
    /// by default the table stays so that connections keep flowing.
    pub flush_on_stop: bool,
    /// Userspace plane: the threads the proxy runs on (`--plane-threads`).
    pub threads: usize,
}
