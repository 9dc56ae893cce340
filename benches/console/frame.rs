//! Frame time: build and diff one frame of the console with 10,000 real
//! servers, as the run loop does on every redraw.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use director::engine::Snapshot;
use director::tui::app::App;
use director::tui::fixture::large_snapshot;
use director::tui::keymap::Keymap;
use director::tui::theme::Theme;
use director::tui::view;

/// Per-frame figures of one scenario.
pub struct FrameTimes {
    /// What was drawn.
    pub name: String,
    /// Median frame.
    pub p50: Duration,
    /// 99th percentile frame.
    pub p99: Duration,
    /// Median time to take in a new snapshot (history, notices).
    pub observe_p50: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Draw `frames` frames of the view that `keys` lead to, each after a new
/// snapshot whose rates changed (so the diff has work to do), into a real
/// crossterm backend writing to a sink.
pub fn measure(
    name: &str,
    keys: &str,
    frames: usize,
    services: usize,
    per_service: usize,
) -> FrameTimes {
    let mut snapshot = large_snapshot(services, per_service);
    let mut app = App::new(Keymap::load("default", None).0, vec!["d1".into()]);
    app.size = (160, 48);
    let theme = Theme::built_in("dark");
    let backend = CrosstermBackend::new(std::io::sink());
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, 160, 48)),
    };
    let mut terminal = Terminal::with_options(backend, options).expect("terminal");
    let nodes = vec![Some(Arc::new(snapshot.clone()))];
    for c in keys.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE), &nodes);
    }
    let mut draws = Vec::with_capacity(frames);
    let mut observes = Vec::with_capacity(frames);
    for frame in 0..frames {
        snapshot.unix_ms += 500;
        for (s, service) in snapshot.services.iter_mut().enumerate() {
            for (j, server) in service.servers.iter_mut().enumerate() {
                server.cps = ((frame + s + j) % 7) as f64;
                server.active = ((frame + j) % 13) as u64;
            }
        }
        let started = Instant::now();
        app.observe(0, &snapshot);
        observes.push(started.elapsed());
        let nodes: Vec<Option<Arc<Snapshot>>> = vec![Some(Arc::new(snapshot.clone()))];
        let started = Instant::now();
        terminal
            .draw(|f| view::draw(f, &app, &nodes, &theme))
            .expect("draw");
        draws.push(started.elapsed());
    }
    draws.sort();
    observes.sort();
    FrameTimes {
        name: name.to_string(),
        p50: percentile(&draws, 0.5),
        p99: percentile(&draws, 0.99),
        observe_p50: percentile(&observes, 0.5),
    }
}
