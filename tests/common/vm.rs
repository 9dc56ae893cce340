//! A Debian kernel with IPVS, booted under qemu (TCG) with an initramfs
//! that holds a test binary: how tests reach a real kernel IPVS on hosts
//! whose kernel has none. See ../shared/notes/kernel-ipvs-vm.md.
//!
//! The kernel package is fetched with `apt-get download` and cached in
//! `/var/cache/director-vm`; qemu, busybox-static and ipvsadm come from the
//! host. Every missing piece is a clear error; qemu never outlives a boot.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where downloads and extracted kernels are kept between runs.
const CACHE: &str = "/var/cache/director-vm";

/// An extracted kernel.
pub struct Kernel {
    /// The uncompressed ELF kernel (qemu boots it via PVH).
    pub vmlinux: PathBuf,
    /// `lib/modules/VERSION`.
    pub modules: PathBuf,
}

fn run(program: &str, args: &[&str], dir: &Path) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The tools a boot needs on the host.
pub fn require_tools() -> Result<(), String> {
    for (tool, package) in [
        ("qemu-system-x86_64", "qemu-system-x86"),
        ("busybox", "busybox-static"),
        ("ipvsadm", "ipvsadm"),
        ("xz", "xz-utils"),
        ("dpkg-deb", "dpkg"),
        ("strip", "binutils"),
    ] {
        if run("which", &[tool], Path::new("/")).is_err() {
            return Err(format!("{tool} is missing: apt-get install -y {package}"));
        }
    }
    Ok(())
}

/// The newest Debian 6.1 kernel with IPVS modules, downloaded and
/// extracted once.
pub fn kernel() -> Result<Kernel, String> {
    let cache = Path::new(CACHE);
    std::fs::create_dir_all(cache).map_err(|e| format!("{CACHE}: {e}"))?;
    let deb = std::fs::read_dir(cache)
        .map_err(|e| format!("{CACHE}: {e}"))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"));
    let deb = match deb {
        Some(deb) => deb,
        None => {
            let list = run(
                "apt-cache",
                &["search", "--names-only", "^linux-image-6.1.0-[0-9]+-amd64$"],
                cache,
            )?;
            let package = list
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .max_by_key(|p| {
                    p.trim_start_matches("linux-image-6.1.0-")
                        .trim_end_matches("-amd64")
                        .parse::<u32>()
                        .unwrap_or(0)
                })
                .ok_or("apt knows no linux-image-6.1.0-*-amd64 (apt-get update first)")?
                .to_string();
            run("apt-get", &["download", &package], cache)
                .map_err(|e| format!("cannot fetch the kernel package {package}: {e}"))?;
            return kernel();
        }
    };
    let root = cache.join("root");
    if !root.join("boot").exists() {
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        run(
            "dpkg-deb",
            &["-x", &deb.display().to_string(), "root"],
            cache,
        )?;
    }
    let modules_dir = root.join("lib/modules");
    let version = std::fs::read_dir(&modules_dir)
        .map_err(|e| format!("{}: {e}", modules_dir.display()))?
        .flatten()
        .next()
        .ok_or("the kernel package has no modules")?
        .file_name();
    let vmlinux = cache.join("vmlinux");
    if !vmlinux.exists() {
        let vmlinuz = root.join(format!("boot/vmlinuz-{}", version.to_string_lossy()));
        let image = std::fs::read(&vmlinuz).map_err(|e| format!("{}: {e}", vmlinuz.display()))?;
        let start = image
            .windows(6)
            .position(|w| w == b"\xfd7zXZ\0")
            .ok_or("no xz stream in the kernel image")?;
        let mut xz = Command::new("xz")
            .args(["-dc", "--single-stream"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("xz: {e}"))?;
        let mut input = xz.stdin.take().ok_or("xz stdin")?;
        let stream = image[start..].to_vec();
        let feeder = std::thread::spawn(move || input.write_all(&stream));
        let out = xz.wait_with_output().map_err(|e| e.to_string())?;
        let _ = feeder.join();
        if !out.status.success() || !out.stdout.starts_with(b"\x7fELF") {
            return Err("could not decompress the kernel".into());
        }
        std::fs::write(&vmlinux, out.stdout).map_err(|e| e.to_string())?;
    }
    Ok(Kernel {
        vmlinux,
        modules: modules_dir.join(version),
    })
}

/// The modules named, with everything they depend on, in loading order
/// (read from each module's `depends=`; no depmod needed).
pub fn modules_in_order(kernel: &Kernel, wanted: &[&str]) -> Result<Vec<PathBuf>, String> {
    let mut index = std::collections::HashMap::new();
    let mut stack = vec![kernel.modules.join("kernel")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                if let Some(stem) = name.strip_suffix(".ko") {
                    index.insert(stem.replace('-', "_"), path.clone());
                }
            }
        }
    }
    let mut order: Vec<PathBuf> = Vec::new();
    fn visit(
        name: &str,
        index: &std::collections::HashMap<String, PathBuf>,
        order: &mut Vec<PathBuf>,
    ) -> Result<(), String> {
        let path = index
            .get(&name.replace('-', "_"))
            .ok_or_else(|| format!("no module {name} in the kernel package"))?;
        if order.contains(path) {
            return Ok(());
        }
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        let depends = bytes
            .windows(8)
            .position(|w| w == b"depends=")
            .map(|at| {
                let rest = &bytes[at + 8..];
                let end = rest.iter().position(|b| *b == 0).unwrap_or(0);
                String::from_utf8_lossy(&rest[..end]).into_owned()
            })
            .unwrap_or_default();
        for dependency in depends.split(',').filter(|d| !d.is_empty()) {
            visit(dependency, index, order)?;
        }
        order.push(path.clone());
        Ok(())
    }
    for name in wanted {
        visit(name, &index, &mut order)?;
    }
    Ok(order)
}

/// An initramfs being assembled (newc cpio, uncompressed).
#[derive(Default)]
pub struct Initramfs {
    entries: Vec<(String, Vec<u8>, u32)>,
}

impl Initramfs {
    /// Add a file with `mode` (e.g. 0o100755).
    pub fn file(&mut self, at: &str, bytes: Vec<u8>, mode: u32) {
        self.entries
            .push((at.trim_start_matches('/').to_string(), bytes, mode));
    }

    /// Add a host file (following links), executable or not as it is.
    pub fn copy(&mut self, host: &Path, at: &str) -> Result<(), String> {
        let bytes = std::fs::read(host).map_err(|e| format!("{}: {e}", host.display()))?;
        self.file(at, bytes, 0o100755);
        Ok(())
    }

    /// Add a dynamically linked program, without its debug information
    /// (most of a debug build, and the guest unpacks everything into its
    /// RAM), and every library `ldd` lists.
    pub fn program(&mut self, host: &Path, at: &str) -> Result<(), String> {
        let stripped = std::env::temp_dir().join(format!(
            "director-vm-{}-{}",
            std::process::id(),
            at.replace('/', "_")
        ));
        let (from, to) = (host.display().to_string(), stripped.display().to_string());
        run(
            "strip",
            &["--strip-debug", "-o", &to, &from],
            Path::new("/"),
        )?;
        let bytes = std::fs::read(&stripped).map_err(|e| format!("{to}: {e}"));
        let _ = std::fs::remove_file(&stripped);
        self.file(at, bytes?, 0o100755);
        let listing =
            run("ldd", &[&host.display().to_string()], Path::new("/")).unwrap_or_default();
        for line in listing.lines() {
            let library = line
                .split_whitespace()
                .find(|w| w.starts_with('/'))
                .map(PathBuf::from);
            if let Some(library) = library {
                let at = library.display().to_string();
                if !self
                    .entries
                    .iter()
                    .any(|(p, _, _)| *p == at.trim_start_matches('/'))
                {
                    self.copy(&library, &at)?;
                }
            }
        }
        Ok(())
    }

    /// Write it, directories included, to `path`.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut out = Vec::new();
        let mut directories: Vec<String> = Vec::new();
        for (at, _, _) in &self.entries {
            let mut prefix = String::new();
            for part in at
                .split('/')
                .rev()
                .skip(1)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                prefix = if prefix.is_empty() {
                    part.to_string()
                } else {
                    format!("{prefix}/{part}")
                };
                if !directories.contains(&prefix) {
                    directories.push(prefix.clone());
                }
            }
        }
        let mut inode = 1;
        let mut entry = |out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]| {
            let header = format!(
                "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
                inode,
                mode,
                0,
                0,
                1,
                0,
                data.len(),
                0,
                0,
                0,
                0,
                name.len() + 1,
                0
            );
            inode += 1;
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
            out.extend_from_slice(data);
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
        };
        for directory in &directories {
            entry(&mut out, directory, 0o040755, &[]);
        }
        for (at, bytes, mode) in &self.entries {
            entry(&mut out, at, *mode, bytes);
        }
        entry(&mut out, "TRAILER!!!", 0, &[]);
        std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Kills qemu on every exit path.
struct Qemu(std::process::Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Boot `kernel` with `initramfs`; the console output once the guest
/// powers off, or an error (with the output so far) after `limit`.
pub fn boot(kernel: &Kernel, initramfs: &Path, limit: Duration) -> Result<String, String> {
    let console = initramfs.with_extension("console");
    let file = std::fs::File::create(&console).map_err(|e| e.to_string())?;
    let child = Command::new("qemu-system-x86_64")
        .args([
            "-accel",
            "tcg",
            "-m",
            "768",
            "-smp",
            "1",
            "-nographic",
            "-no-reboot",
        ])
        .args(["-nic", "none", "-kernel"])
        .arg(&kernel.vmlinux)
        .arg("-initrd")
        .arg(initramfs)
        .args(["-append", "console=ttyS0 quiet panic=-1 rdinit=/init"])
        .stdin(Stdio::null())
        .stdout(file.try_clone().map_err(|e| e.to_string())?)
        .stderr(file)
        .spawn()
        .map_err(|e| format!("qemu-system-x86_64: {e}"))?;
    let mut qemu = Qemu(child);
    let started = Instant::now();
    loop {
        if let Ok(Some(_)) = qemu.0.try_wait() {
            return std::fs::read_to_string(&console).map_err(|e| e.to_string());
        }
        if started.elapsed() > limit {
            let so_far = std::fs::read_to_string(&console).unwrap_or_default();
            return Err(format!(
                "the VM did not finish within {limit:?}; console:\n{so_far}"
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where a tool is on the host (`which`); an empty path when it is not.
pub fn which(tool: &str) -> PathBuf {
    let out = Command::new("which")
        .arg(tool)
        .output()
        .expect("which runs");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// What a VM runs: the guest program and its arguments, the modules it
/// needs loaded, and other programs to put in the image (host path, guest path).
pub struct Guest<'a> {
    /// The program `/init` runs (as `/guest`).
    pub program: &'a Path,
    /// Its arguments.
    pub args: &'a str,
    /// Modules to load first (their dependencies are added).
    pub modules: &'a [&'a str],
    /// Other programs, with the libraries they need.
    pub programs: &'a [(PathBuf, &'a str)],
    /// How long the whole boot may take.
    pub limit: Duration,
}

/// Boot `kernel` with busybox, the modules and the guest in an initramfs:
/// `/init` loads the modules, brings `lo` up, runs the guest, prints
/// `GUEST RESULT <exit code>` and powers off. Returns the console.
pub fn run_guest(kernel: &Kernel, guest: &Guest<'_>) -> Result<String, String> {
    let init = format!(
        "#!/bin/busybox sh\n/bin/busybox --install -s /bin\nmkdir -p /proc /sys /dev /tmp /run\n\
         mount -t proc proc /proc\nmount -t sysfs sys /sys\nmount -t devtmpfs dev /dev\n\
         for m in $(cat /modules.order); do insmod /modules/$m || echo \"insmod $m failed\"; done\n\
         ip link set dev lo up\n/guest {}\necho \"GUEST RESULT $?\"\npoweroff -f\n",
        guest.args
    );
    let mut initramfs = Initramfs::default();
    initramfs.file("init", init.into_bytes(), 0o100755);
    initramfs.program(&which("busybox"), "/bin/busybox")?;
    initramfs.program(guest.program, "/guest")?;
    for (host, at) in guest.programs {
        initramfs.program(host, at)?;
    }
    let mut names = Vec::new();
    for module in modules_in_order(kernel, guest.modules)? {
        let name = module
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        initramfs.copy(&module, &format!("/modules/{name}"))?;
        names.push(name);
    }
    initramfs.file("modules.order", names.join("\n").into_bytes(), 0o100644);
    let dir = std::env::temp_dir().join(format!("director-vm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let image = dir.join("initramfs.cpio");
    let console = initramfs
        .write(&image)
        .and_then(|()| boot(kernel, &image, guest.limit));
    let _ = std::fs::remove_dir_all(&dir);
    console
}
