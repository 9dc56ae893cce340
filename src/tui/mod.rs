//! The console: renders snapshots, sends commands, and nothing else.

pub mod app;
pub mod terminal;
pub mod view;

#[cfg(test)]
pub(crate) mod fixture;

use std::io;
use std::time::Duration;

use crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc;

use crate::engine::{EngineHandle, Request};
use app::{App, Outcome};

/// Run the console on this terminal until the operator quits.
pub async fn run(engine: EngineHandle, origin: String) -> io::Result<()> {
    let mut terminal = terminal::enter()?;
    let (key_tx, mut keys) = mpsc::channel(64);
    std::thread::spawn(move || {
        while !key_tx.is_closed() {
            if event::poll(Duration::from_millis(100)).unwrap_or(false) {
                if let Ok(Event::Key(key)) = event::read() {
                    if key.kind != KeyEventKind::Release && key_tx.blocking_send(key).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let (reply_tx, mut replies) = mpsc::channel::<String>(16);
    let mut snapshots = engine.snapshots.clone();
    let mut app = App::default();
    loop {
        let snapshot = snapshots.borrow_and_update().clone();
        terminal.draw(|frame| view::draw(frame, &app, snapshot.as_deref()))?;
        tokio::select! {
            Some(key) = keys.recv() => match app.on_key(key, snapshot.as_deref()) {
                Outcome::Quit => break,
                Outcome::Send(command) => {
                    let engine = engine.clone();
                    let replies = reply_tx.clone();
                    let request = Request { command, origin: origin.clone() };
                    tokio::spawn(async move {
                        let text = match engine.request(request).await {
                            Ok(done) => done,
                            Err(why) => format!("refused: {why}"),
                        };
                        let _ = replies.send(text).await;
                    });
                }
                Outcome::Redraw => {}
            },
            Some(text) = replies.recv() => app.status = Some(text),
            _ = snapshots.changed() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    drop(keys);
    terminal::leave()
}
