//! The browser's websocket (hydrate only): connects after hydration,
//! reconnects with backoff and jitter, and on every (re)connect sends what
//! `reducer.rs` says resumes the tab, then feeds it every server event.

use futures::channel::mpsc::UnboundedReceiver;
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use leptos::prelude::*;

use super::reducer::After;
use super::{Command, Live, Status};
use crate::app::feed::Feed;
use crate::model::{ClientEvent, ServerEvent};

const FIRST_RETRY_MS: f64 = 500.0;
const MAX_RETRY_MS: f64 = 15_000.0;
/// Longest wait for a socket to open and take the resumption frames.
const OPEN_TIMEOUT_MS: u32 = 10_000;

fn url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws", location.host().ok()?))
}

fn frame(event: &ClientEvent) -> Message {
    Message::Text(event.to_frame())
}

pub(super) async fn run(live: Live, mut commands: UnboundedReceiver<Command>) {
    let mut delay = FIRST_RETRY_MS;
    loop {
        // Nobody logged in: stay closed until that changes.
        while live.me.get_untracked().is_none() {
            if commands.next().await.is_none() {
                return;
            }
        }
        let mut reconnect_now = false;
        if let Some(ws) = url().and_then(|u| WebSocket::open(&u).ok()) {
            let (mut write, mut read) = ws.split();
            // Opening can hang (an offline browser may never fail the
            // attempt), so it races a deadline and the commands.
            let mut later = vec![];
            let mut up = {
                let mut resumed = Box::pin(
                    async {
                        for event in live.resume() {
                            write.send(frame(&event)).await?;
                        }
                        Ok::<(), gloo_net::websocket::WebSocketError>(())
                    }
                    .fuse(),
                );
                let mut deadline = gloo_timers::future::TimeoutFuture::new(OPEN_TIMEOUT_MS).fuse();
                loop {
                    futures::select! {
                        done = resumed => break done.is_ok(),
                        () = deadline => break false,
                        command = commands.next() => match command {
                            Some(Command::Reconnect) => {
                                reconnect_now = true;
                                break false;
                            }
                            Some(Command::Offline) => break false,
                            // Sent once the resumption is through.
                            Some(Command::Send(event)) => later.push(event),
                            None => return,
                        },
                    }
                }
            };
            for event in later {
                if up {
                    up = write.send(frame(&event)).await.is_ok();
                }
            }
            while up {
                futures::select! {
                    incoming = read.next().fuse() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            // Event types this build does not know are ignored.
                            if let Ok(event) = ServerEvent::parse(&text) {
                                if matches!(event, ServerEvent::Hello { .. }) {
                                    delay = FIRST_RETRY_MS;
                                }
                                if let After::Reload(room) = live.apply(event, js_sys::Date::now()) {
                                    reload(live, room);
                                }
                            }
                        }
                        Some(Ok(Message::Bytes(_))) => {}
                        _ => up = false,
                    },
                    command = commands.next() => match command {
                        Some(Command::Send(event)) => up = write.send(frame(&event)).await.is_ok(),
                        Some(Command::Reconnect) => {
                            up = false;
                            reconnect_now = true;
                        }
                        Some(Command::Offline) => up = false,
                        None => return,
                    },
                }
            }
            let _ = write.close().await;
        }
        if reconnect_now {
            delay = FIRST_RETRY_MS;
            continue;
        }
        live.status.set(Status::Reconnecting);
        // Jitter spreads the reconnections of many tabs after a restart.
        let wait = delay * (0.5 + js_sys::Math::random());
        delay = (delay * 2.0).min(MAX_RETRY_MS);
        let mut timer = gloo_timers::future::TimeoutFuture::new(wait as u32).fuse();
        loop {
            futures::select! {
                () = timer => break,
                command = commands.next() => match command {
                    // The network is back (or the person changed): now.
                    Some(Command::Reconnect) => {
                        delay = FIRST_RETRY_MS;
                        break;
                    }
                    // Sends wait in the feeds' outboxes and subscriptions
                    // in the feeds; `resume` replays both on connecting.
                    Some(Command::Send(_) | Command::Offline) => {}
                    None => return,
                },
            }
        }
    }
}

/// After a gap bigger than a page: start the room over from its latest page.
fn reload(live: Live, room: String) {
    let Some(feed) = live.feed(&room) else {
        return;
    };
    leptos::task::spawn_local(async move {
        let page = crate::api::messages::FIRST_PAGE;
        if let Ok(messages) = crate::api::messages::get_history(room, None, page).await {
            let has_older = messages.len() >= page as usize;
            feed.update(|f| {
                let mut fresh = Feed::new(messages, has_older);
                fresh.pending = std::mem::take(&mut f.pending);
                fresh.changes = std::mem::take(&mut f.changes);
                fresh.log_seq = f.log_seq;
                *f = fresh;
            });
        }
    });
}
