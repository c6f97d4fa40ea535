//! A run's people: signed up over HTTP, put into rooms, each driven by a
//! client task; and the questions the driver asks about all of them.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Result;
use tokio::time::Instant;

use crate::client::{Client, Pace, Spec};
use crate::http::Api;
use crate::record::Record;

/// Who takes part in a run.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub senders: usize,
    pub rooms: usize,
    /// How many rooms each sender is in (consecutive, wrapping).
    pub rooms_each: usize,
    /// Readers in every room that never write and read slowly.
    pub slow_readers: usize,
    pub slow_pause: Duration,
    pub pace: Pace,
}

pub struct Crowd {
    pub clients: Vec<Client>,
}

impl Crowd {
    /// Signs everyone up, creates the rooms, joins them and starts the clients.
    pub async fn setup(api: &Api, shape: Shape) -> Result<Self> {
        let mut people = Vec::new();
        for i in 0..shape.senders {
            let name = format!("soak{i}");
            let rooms: Vec<usize> = (0..shape.rooms_each.min(shape.rooms))
                .map(|k| (i + k) % shape.rooms)
                .collect();
            people.push((name.clone(), api.signup(&name).await?, rooms, None));
        }
        for i in 0..shape.slow_readers {
            let name = format!("slow{i}");
            let cookie = api.signup(&name).await?;
            people.push((
                name,
                cookie,
                (0..shape.rooms).collect(),
                Some(shape.slow_pause),
            ));
        }
        let mut rooms = Vec::new();
        let mut admins = Vec::new();
        for r in 0..shape.rooms {
            let mut members = people.iter().filter(|p| p.2.contains(&r));
            let creator = members.next().expect("every room has a member");
            let room = api
                .create_room(&creator.1, &format!("soak room {r}"))
                .await?;
            admins.push(creator.0.clone());
            for member in members {
                api.join_room(&member.1, &room).await?;
            }
            rooms.push(room);
        }
        let clients = people
            .into_iter()
            .map(|(name, cookie, idx, slow)| {
                let spec = Spec {
                    rooms: idx.iter().map(|&r| rooms[r].clone()).collect(),
                    admin_of: idx
                        .iter()
                        .filter(|&&r| admins[r] == name)
                        .map(|&r| rooms[r].clone())
                        .collect(),
                    name,
                    cookie,
                    slow,
                };
                let pace = if slow.is_some() {
                    Pace {
                        window: 0,
                        ..shape.pace
                    }
                } else {
                    shape.pace
                };
                Client::spawn(api.clone(), spec, pace)
            })
            .collect();
        Ok(Self { clients })
    }

    /// The clients that write.
    pub fn senders(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().filter(|c| c.spec.slow.is_none())
    }

    /// Lets every sender write `n` more messages.
    pub fn send(&self, n: u64) {
        self.senders().for_each(|c| c.add_quota(n));
    }

    pub fn set_body_len(&self, len: usize) {
        self.senders().for_each(|c| c.set_body_len(len));
    }

    /// Messages acknowledged so far, across everyone.
    pub fn acked(&self) -> usize {
        self.clients
            .iter()
            .map(|c| c.shared.record().acked.len())
            .sum()
    }

    /// Refusals received so far, across everyone.
    pub fn refusals(&self) -> usize {
        self.clients
            .iter()
            .map(|c| c.shared.record().refusals.len())
            .sum()
    }

    /// Waits until every client has a live connection.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let waiting = self
                .clients
                .iter()
                .filter(|c| !c.shared.record().connected)
                .count();
            if waiting == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{waiting} clients not connected after {timeout:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until everything written is answered and every client has
    /// applied every room's log up to its latest write; says what is missing
    /// if it times out.
    pub async fn settle(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.unsettled() {
                None => return Ok(()),
                Some(why) if Instant::now() > deadline => {
                    return Err(format!("not settled after {timeout:?}: {why}"));
                }
                Some(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }

    /// Why the run has not settled yet, or `None` when it has.
    fn unsettled(&self) -> Option<String> {
        let mut latest: HashMap<String, i64> = HashMap::new();
        for c in &self.clients {
            if c.shared.quota() > 0 {
                return Some(format!(
                    "{} has {} messages to write",
                    c.spec.name,
                    c.shared.quota()
                ));
            }
            let r = c.shared.record();
            if !r.outbox.is_empty() {
                return Some(format!("{} has {} unanswered", c.spec.name, r.outbox.len()));
            }
            let ops = r
                .done
                .iter()
                .filter_map(|(id, seq)| Some((&r.ops.get(id)?.room, (*seq)?)));
            for (room, seq) in r.acked.values().map(|(room, seq)| (room, *seq)).chain(ops) {
                let e = latest.entry(room.clone()).or_default();
                *e = (*e).max(seq);
            }
        }
        for c in &self.clients {
            let r = c.shared.record();
            for room in &c.spec.rooms {
                let want = latest.get(room).copied().unwrap_or(0);
                if r.held(room) < want {
                    return Some(format!(
                        "{} has applied seq {} of {want} in {room}",
                        c.spec.name,
                        r.held(room)
                    ));
                }
            }
        }
        None
    }

    /// Stops every client and returns what each recorded.
    pub async fn stop(self) -> Vec<(Spec, Record)> {
        let mut out = Vec::new();
        for c in self.clients {
            out.push(c.stop().await);
        }
        out
    }
}
