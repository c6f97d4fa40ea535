//! How the tab's state follows the server: what to send after every
//! (re)connect, and what each server event changes. Kept apart from the
//! socket so it can be tested without a browser (below), as `feed.rs` is.

use leptos::prelude::*;

use super::{Heard, Live, Status};
use crate::app::feed::Notice;
use crate::model::{ChatMessage, ClientEvent, ServerEvent, UserId};

/// What the socket must do after an event, beyond the state it changed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum After {
    Nothing,
    /// More was missed than a replay holds: load the room's latest page.
    Reload(String),
}

impl Live {
    /// Everything to send after (re)connecting: each room from the last
    /// `seq` of its log applied, then every message and change still
    /// unanswered, with the ids they were first sent with.
    pub(super) fn resume(&self) -> Vec<ClientEvent> {
        let mut subscribe = vec![];
        let mut resend = vec![];
        self.watched.with_value(|watched| {
            self.feeds.with_value(|feeds| {
                for room in watched.iter().filter(|r| !feeds.contains_key(*r)) {
                    subscribe.push(ClientEvent::Subscribe {
                        room: room.as_str().into(),
                        since_seq: i64::MAX,
                    });
                }
            });
        });
        self.feeds.with_value(|feeds| {
            for (room, feed) in feeds {
                feed.with_untracked(|f| {
                    subscribe.push(ClientEvent::Subscribe {
                        room: room.as_str().into(),
                        since_seq: f.resume_from(),
                    });
                    for p in f.unsent() {
                        resend.push(ClientEvent::Send {
                            room: room.as_str().into(),
                            client_msg_id: p.client_msg_id,
                            body: p.body,
                            reply_to: p.reply_to,
                            attachments: p.files.iter().map(|f| f.id.clone()).collect(),
                        });
                    }
                    for c in f.unsent_changes() {
                        resend.push(ClientEvent::change(
                            room.as_str().into(),
                            c.client_op_id,
                            c.seq,
                            c.change,
                        ));
                    }
                });
            }
        });
        subscribe.extend(resend);
        subscribe
    }

    /// A stored message changed (logged as `seq`). A deleted or edited
    /// message may have been counted (unread, or as a mention) in a room no
    /// page here shows: `recount` refetches the counts.
    fn message_changed(&self, room: &str, seq: i64, message: ChatMessage, recount: bool) {
        if recount && !self.is_shown(room) {
            self.rooms_changed.update(|v| *v += 1);
        }
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.changed(seq, message));
        }
    }

    /// A new message. In a room no page here shows, its unread count went
    /// up (the page showing one keeps the counts itself).
    fn arrived(&self, message: ChatMessage) {
        if !self.is_shown(&message.room) {
            self.rooms_changed.update(|v| *v += 1);
        }
        self.tell(Heard {
            message: message.clone(),
            edit_mentioned: None,
        });
        if let Some(feed) = self.feed(&message.room) {
            feed.update(|f| {
                f.add(message);
            });
        }
    }

    /// A message was edited; people it now mentions may be notified.
    fn edited(&self, room: &str, seq: i64, message: ChatMessage, mentioned: Vec<UserId>) {
        if !mentioned.is_empty() {
            self.tell(Heard {
                message: message.clone(),
                edit_mentioned: Some(mentioned),
            });
        }
        self.message_changed(room, seq, message, true);
    }

    /// A moderation event: a line in the conversation, and the room's
    /// details (members, mutes, bans) read again.
    fn noticed(&self, room: &str, notice: Notice) {
        let seq = notice.seq;
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.notice(notice));
        }
        self.room_changed(room, seq);
    }

    /// Whether a page here shows `room` now.
    fn is_shown(&self, room: &str) -> bool {
        self.shown
            .try_with_value(|s| s.contains_key(room))
            .unwrap_or(false)
    }

    /// Applies one server event to the feeds and signals; says what the
    /// socket must do beyond that.
    pub(super) fn apply(&self, event: ServerEvent, now_ms: f64) -> After {
        match event {
            ServerEvent::Hello { .. } => {
                // Counts may have moved while the connection was down.
                if self.status.get_untracked() == Status::Reconnecting {
                    self.rooms_changed.update(|v| *v += 1);
                }
                self.status.set(Status::Online);
            }
            ServerEvent::Subscribed { .. } => {}
            ServerEvent::Message { message } => self.arrived(message),
            ServerEvent::Ack {
                room,
                client_msg_id,
                seq,
                ..
            } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.acked(client_msg_id, seq));
                }
            }
            ServerEvent::Done {
                room,
                client_op_id,
                seq,
                message,
            } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.done(client_op_id, seq, message));
                }
            }
            ServerEvent::Error {
                message,
                client_msg_id,
                client_op_id,
                room: Some(room),
                ..
            } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| {
                        if let Some(id) = client_msg_id {
                            f.failed(id, message);
                        } else if let Some(id) = client_op_id {
                            f.change_failed(id, message);
                        }
                    });
                }
            }
            ServerEvent::Error { .. } => {}
            ServerEvent::MessageEdited {
                room,
                seq,
                message,
                mentioned,
            } => self.edited(&room, seq, message, mentioned),
            ServerEvent::ReactionAdded {
                room, seq, message, ..
            }
            | ServerEvent::ReactionRemoved {
                room, seq, message, ..
            } => self.message_changed(&room, seq, message, false),
            ServerEvent::MessageDeleted {
                room, seq, message, ..
            } => self.message_changed(&room, seq, message, true),
            ServerEvent::Resync { room, last_seq } => {
                // Live events go on after `last_seq`; what came before is
                // reloaded as the latest page.
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.saw(last_seq));
                    return After::Reload(room.into_string());
                }
            }
            ServerEvent::Typing { room, user } => {
                if Some(user.id) == self.me.get_untracked() {
                    return After::Nothing;
                }
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.typing(user, now_ms + 5_000.0, now_ms));
                }
            }
            ServerEvent::Presence { room, online } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.online = online);
                }
            }
            ServerEvent::MemberRemoved { .. } | ServerEvent::Moderated { .. } => {
                if let Some((room, notice)) = Notice::of(&event, now_ms as i64) {
                    self.noticed(&room, notice);
                } else if let ServerEvent::MemberRemoved { room, seq, .. } = event {
                    self.room_changed(&room, seq);
                }
            }
            ServerEvent::MemberJoined { room, seq, .. }
            | ServerEvent::MemberLeft { room, seq, .. }
            | ServerEvent::TopicChanged { room, seq, .. }
            | ServerEvent::AdminChanged { room, seq, .. }
            | ServerEvent::RoomRenamed { room, seq, .. }
            | ServerEvent::InvitesChanged { room, seq, .. }
            | ServerEvent::RoomSettingsChanged { room, seq, .. }
            | ServerEvent::RoomDeleted { room, seq } => self.room_changed(&room, seq),
        }
        After::Nothing
    }

    /// A change to the room itself (its members, name, settings): the
    /// room's details and the rooms list are read again.
    fn room_changed(&self, room: &str, seq: i64) {
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.saw(seq));
        }
        self.details_changed.update(|v| *v += 1);
        self.rooms_changed.update(|v| *v += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChatMessage, ErrorCode, PROTOCOL_VERSION, User, UserId};
    use uuid::Uuid;

    fn person(id: i64) -> User {
        User {
            id: UserId(id),
            name: format!("p{id}"),
            avatar_url: None,
        }
    }

    fn msg(room: &str, seq: i64) -> ChatMessage {
        ChatMessage {
            id: seq,
            room: room.into(),
            seq,
            sender: person(2),
            body: format!("m{seq}"),
            html: String::new(),
            client_msg_id: Uuid::from_u128(seq as u128),
            created_at: 0,
            revision: seq,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: vec![],
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    /// Runs a test with Ann (1) holding room `a` from its first two
    /// messages, inside a reactive owner as a page would be.
    fn with_live(test: impl FnOnce(Live)) {
        Owner::new().with(|| {
            let live = Live::new();
            live.me.set(Some(UserId(1)));
            live.open("a", vec![msg("a", 1), msg("a", 2)], false, 2);
            test(live);
        });
    }

    fn seqs(live: &Live, room: &str) -> Vec<i64> {
        live.feed(room)
            .map(|f| f.with_untracked(|f| f.messages.iter().map(|m| m.seq).collect()))
            .unwrap_or_default()
    }

    #[test]
    fn resuming_subscribes_every_room_from_what_it_holds_then_resends() {
        with_live(|live| {
            live.watch(["b".to_owned()]);
            live.send("a", "still sending".into());
            let events = live.resume();
            assert_eq!(events.len(), 3, "{events:?}");
            assert!(events.contains(&ClientEvent::Subscribe {
                room: "a".into(),
                since_seq: 2
            }));
            assert!(events.contains(&ClientEvent::Subscribe {
                room: "b".into(),
                since_seq: i64::MAX
            }));
            assert!(
                matches!(&events[2], ClientEvent::Send { room, body, .. } if room == "a" && body == "still sending"),
                "subscriptions first, then the outbox: {events:?}"
            );
            // Once acknowledged, nothing is resent.
            let id = match &events[2] {
                ClientEvent::Send { client_msg_id, .. } => *client_msg_id,
                _ => unreachable!(),
            };
            live.apply(
                ServerEvent::Ack {
                    room: "a".into(),
                    client_msg_id: id,
                    id: 3,
                    seq: 3,
                    created_at: 0,
                },
                0.0,
            );
            assert_eq!(live.resume().len(), 2);
        });
    }

    #[test]
    fn messages_land_in_their_feed_once_and_in_order() {
        with_live(|live| {
            for seq in [4, 3, 2, 4] {
                assert_eq!(
                    live.apply(
                        ServerEvent::Message {
                            message: msg("a", seq)
                        },
                        0.0
                    ),
                    After::Nothing
                );
            }
            assert_eq!(seqs(&live, "a"), vec![1, 2, 3, 4]);
        });
    }

    #[test]
    fn a_message_in_a_room_not_open_here_refreshes_the_counts() {
        with_live(|live| {
            let before = live.rooms_changed.get_untracked();
            live.apply(
                ServerEvent::Message {
                    message: msg("b", 9),
                },
                0.0,
            );
            assert_eq!(live.rooms_changed.get_untracked(), before + 1);
            assert!(live.feed("b").is_none());
        });
    }

    #[test]
    fn a_message_in_a_room_left_earlier_refreshes_the_counts() {
        with_live(|live| {
            let before = live.rooms_changed.get_untracked();
            live.apply(
                ServerEvent::Message {
                    message: msg("a", 3),
                },
                0.0,
            );
            assert_eq!(live.rooms_changed.get_untracked(), before, "shown here");
            live.hide("a");
            live.apply(
                ServerEvent::Message {
                    message: msg("a", 4),
                },
                0.0,
            );
            assert_eq!(live.rooms_changed.get_untracked(), before + 1);
            assert_eq!(seqs(&live, "a"), vec![1, 2, 3, 4], "the feed keeps up");
        });
    }

    #[test]
    fn a_refused_message_is_marked_failed_in_its_feed() {
        with_live(|live| {
            live.send("a", "too fast".into());
            let id = live
                .feed("a")
                .unwrap()
                .with_untracked(|f| f.pending[0].client_msg_id);
            live.apply(
                ServerEvent::Error {
                    code: ErrorCode::RateLimited,
                    message: "Wait 1 s.".into(),
                    client_msg_id: Some(id),
                    client_op_id: None,
                    room: Some("a".into()),
                },
                0.0,
            );
            let failed = live
                .feed("a")
                .unwrap()
                .with_untracked(|f| f.pending[0].failed.clone());
            assert_eq!(failed.as_deref(), Some("Wait 1 s."));
            assert!(
                live.resume()
                    .iter()
                    .all(|e| !matches!(e, ClientEvent::Send { .. }))
            );
        });
    }

    #[test]
    fn hello_after_a_reconnection_refreshes_the_counts() {
        with_live(|live| {
            let hello = || ServerEvent::Hello {
                user: person(1),
                protocol: PROTOCOL_VERSION,
            };
            live.apply(hello(), 0.0);
            assert_eq!(live.status.get_untracked(), Status::Online);
            assert_eq!(
                live.rooms_changed.get_untracked(),
                0,
                "a first connection changes nothing"
            );
            live.status.set(Status::Reconnecting);
            live.apply(hello(), 0.0);
            assert_eq!(live.rooms_changed.get_untracked(), 1);
        });
    }

    #[test]
    fn typing_shows_for_others_only() {
        with_live(|live| {
            live.apply(
                ServerEvent::Typing {
                    room: "a".into(),
                    user: person(1),
                },
                0.0,
            );
            live.apply(
                ServerEvent::Typing {
                    room: "a".into(),
                    user: person(2),
                },
                0.0,
            );
            let typing = live.feed("a").unwrap().with_untracked(|f| f.typing.clone());
            assert_eq!(typing.len(), 1);
            assert_eq!(typing[0].0.id, UserId(2));
        });
    }

    #[test]
    fn room_changes_refresh_the_details_and_a_big_gap_reloads() {
        with_live(|live| {
            live.apply(
                ServerEvent::RoomRenamed {
                    room: "a".into(),
                    seq: 9,
                    name: "n".into(),
                },
                0.0,
            );
            assert_eq!(live.details_changed.get_untracked(), 1);
            assert_eq!(live.rooms_changed.get_untracked(), 1);
            let resync = |room: &str| ServerEvent::Resync {
                room: room.into(),
                last_seq: 500,
            };
            assert_eq!(live.apply(resync("a"), 0.0), After::Reload("a".into()));
            assert_eq!(
                live.apply(resync("b"), 0.0),
                After::Nothing,
                "not open here"
            );
        });
    }
}
