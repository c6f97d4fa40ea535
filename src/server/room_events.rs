//! Every room event reaches the hub through here: stored messages and
//! changes to them (from group commit), membership, admin and name changes
//! (from the server functions, inside their write's commit so they travel
//! in commit order), and the passing one, typing (from the websocket).
//! Each function builds its `ServerEvent`, with the seq the change took in
//! the room's log, and says whose access to the room it ends, so the
//! followers (`ws/follow.rs`) know when to stop. A replay builds the same
//! events from the log (`replayed`). Presence is the hub's own (`hub.rs`),
//! as it counts who follows what on every node.

mod replay;

use uuid::Uuid;

use super::db::members::AfterRemoval;
use super::db::moderation::action_of;
use super::db::room_log::{Entry, Kind};
use super::db::room_settings::RoomFlags;
use super::db::rooms::RoomId;
use super::hub::{Ends, Hub, Signal};
use super::wire::Wire;
use crate::model::{
    Change, ChatMessage, Member, Millis, Moderation, RoomPublicId, ServerEvent, User, UserId,
};
pub use replay::{Replayed, page};

/// Whose access to the room an event ends, as its followers must know to
/// stop: the member who left or was removed, or everyone when the room
/// was deleted.
pub fn ends(event: &ServerEvent) -> Ends {
    match event {
        ServerEvent::MemberLeft { user_id, .. } | ServerEvent::MemberRemoved { user_id, .. } => {
            Ends::User(*user_id)
        }
        ServerEvent::RoomDeleted { .. } => Ends::Everyone,
        _ => Ends::Nobody,
    }
}

/// One room's events, by its row id (the hub's key) and public id (what
/// the events name).
pub struct RoomEvents<'a> {
    hub: &'a Hub,
    id: RoomId,
    public_id: &'a str,
}

impl<'a> RoomEvents<'a> {
    pub fn new(hub: &'a Hub, id: RoomId, public_id: &'a str) -> Self {
        Self { hub, id, public_id }
    }

    fn room(&self) -> RoomPublicId {
        self.public_id.into()
    }

    /// A message just committed with its `seq`.
    pub fn message(&self, message: ChatMessage) {
        let seq = message.seq;
        self.hub.publish(
            self.id,
            &ServerEvent::Message { message },
            Some(seq),
            Ends::Nobody,
        );
    }

    /// Builds a stored message as readers receive it.
    pub fn stored_message(
        &self,
        (id, seq, created_at): (i64, i64, Millis),
        sender: &User,
        (body, html): (&str, &str),
        client_msg_id: Uuid,
    ) -> ChatMessage {
        ChatMessage {
            id,
            room: self.room(),
            seq,
            sender: sender.clone(),
            body: body.to_owned(),
            html: html.to_owned(),
            client_msg_id,
            created_at,
            revision: seq,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    /// A change to message `message.seq`, logged as `seq`, by `actor`; an
    /// edit says whom it newly mentions.
    pub fn message_changed(
        &self,
        seq: i64,
        actor: UserId,
        change: &Change,
        message: ChatMessage,
        mentioned: Vec<UserId>,
    ) {
        let room = self.room();
        let event = match change {
            Change::Edit { .. } => ServerEvent::MessageEdited {
                room,
                seq,
                message,
                mentioned,
            },
            Change::Delete => ServerEvent::MessageDeleted {
                room,
                seq,
                by: actor,
                message,
            },
            Change::React { emoji } => ServerEvent::ReactionAdded {
                room,
                seq,
                user_id: actor,
                emoji: emoji.clone(),
                message,
            },
            Change::Unreact { emoji } => ServerEvent::ReactionRemoved {
                room,
                seq,
                user_id: actor,
                emoji: emoji.clone(),
                message,
            },
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    pub fn member_joined(&self, seq: i64, user: &User, joined_at: Millis) {
        let member = Member {
            user: user.clone(),
            is_admin: false,
            is_moderator: false,
            joined_at,
        };
        let event = ServerEvent::MemberJoined {
            room: self.room(),
            seq,
            member,
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    /// `user_id` left; what followed (a new admin, the room's end) too.
    pub fn member_left(&self, user_id: UserId, outcome: AfterRemoval) {
        self.member_gone(user_id, outcome, None, true);
    }

    /// `by` (the admin or a moderator) banned `user_id`; what followed too.
    pub fn member_banned(&self, user_id: UserId, by: UserId, outcome: AfterRemoval) {
        self.member_gone(user_id, outcome, Some(by), true);
    }

    /// `user_id` deleted their account: the room hears it as their leaving.
    /// Their own connections are not told, as they are all closing
    /// (`Signal::SessionsEnded`); a signal per room could overflow their
    /// signal channel first.
    pub fn member_deleted(&self, user_id: UserId, outcome: AfterRemoval) {
        self.member_gone(user_id, outcome, None, false);
    }

    /// Tells the room that `user_id` is gone (banned by `banned_by`, or
    /// left), cuts their connections off the room (telling them too, with
    /// `tell_them`), and announces a new admin or the room's end.
    fn member_gone(
        &self,
        user_id: UserId,
        outcome: AfterRemoval,
        banned_by: Option<UserId>,
        tell_them: bool,
    ) {
        let seq = match outcome {
            AfterRemoval::NotAMember | AfterRemoval::NotAllowed | AfterRemoval::Protected => return,
            AfterRemoval::Removed { seq }
            | AfterRemoval::AdminPassedTo { seq, .. }
            | AfterRemoval::RoomDeleted { seq, .. } => seq,
        };
        let room = self.room();
        let event = if banned_by.is_some() {
            ServerEvent::MemberRemoved {
                room,
                seq,
                user_id,
                by: banned_by,
                at: Some(crate::server::db::now_ms()),
            }
        } else {
            ServerEvent::MemberLeft { room, seq, user_id }
        };
        self.hub
            .publish(self.id, &event, Some(seq), Ends::User(user_id));
        if tell_them {
            self.hub.signal(user_id, Signal::LeftRoom(self.id));
        }
        match outcome {
            AfterRemoval::AdminPassedTo { to, admin_seq, .. } => self.admin_changed(admin_seq, to),
            AfterRemoval::RoomDeleted { deleted_seq, .. } => self.deleted(deleted_seq, &[]),
            AfterRemoval::Removed { .. }
            | AfterRemoval::NotAMember
            | AfterRemoval::NotAllowed
            | AfterRemoval::Protected => {}
        }
    }

    pub fn admin_changed(&self, seq: i64, user_id: UserId) {
        let event = ServerEvent::AdminChanged {
            room: self.room(),
            seq,
            user_id,
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    pub fn renamed(&self, seq: i64, name: &str) {
        let event = ServerEvent::RoomRenamed {
            room: self.room(),
            seq,
            name: name.to_owned(),
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    /// `by` made or revoked an invite link.
    pub fn invites_changed(&self, seq: i64, by: UserId) {
        let event = ServerEvent::InvitesChanged {
            room: self.room(),
            seq,
            by,
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    /// `by` changed how people get in: invite-only or open by its address,
    /// listed in the directory or not.
    pub fn settings_changed(&self, seq: i64, by: UserId, flags: RoomFlags) {
        let event = ServerEvent::RoomSettingsChanged {
            room: self.room(),
            seq,
            by,
            invite_only: flags.invite_only,
            listed: flags.listed,
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    /// `by` set the topic (`None`: cleared it).
    pub fn topic_changed(&self, seq: i64, by: UserId, topic: Option<&str>) {
        let event = ServerEvent::TopicChanged {
            room: self.room(),
            seq,
            by,
            topic: topic.map(str::to_owned),
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    /// `by` muted, unmuted, unbanned or changed the role of `user_id`.
    pub fn moderated(&self, seq: i64, by: UserId, user_id: UserId, action: Moderation, at: Millis) {
        let event = ServerEvent::Moderated {
            room: self.room(),
            seq,
            by,
            user_id,
            action,
            at,
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Nobody);
    }

    /// The room is gone (its last seq, `seq`): its followers stop, and
    /// `members`' connections forget it.
    pub fn deleted(&self, seq: i64, members: &[UserId]) {
        let event = ServerEvent::RoomDeleted {
            room: self.room(),
            seq,
        };
        self.hub.publish(self.id, &event, Some(seq), Ends::Everyone);
        for member in members {
            self.hub.signal(*member, Signal::LeftRoom(self.id));
        }
    }

    /// An entry of the room's log as a replay sends it; `message` is the
    /// message it sent or changed, as it is now. `None` for an entry whose
    /// message or person cannot be read (a replay then skips it: the
    /// reader's next event is later still, and every event about a message
    /// carries its whole state).
    pub fn replayed(
        &self,
        entry: Entry,
        message: Option<ChatMessage>,
        wire: &Wire,
    ) -> Option<ServerEvent> {
        let room = self.room();
        let seq = entry.seq;
        let member = |entry: &Entry| entry.user.as_ref().map(|u| u.id);
        Some(match entry.kind {
            None => ServerEvent::Message { message: message? },
            Some(Kind::Edit) => ServerEvent::MessageEdited {
                room,
                seq,
                message: message?,
                mentioned: Vec::new(),
            },
            Some(Kind::Delete) => ServerEvent::MessageDeleted {
                room,
                seq,
                by: entry.actor,
                message: message?,
            },
            Some(kind @ (Kind::React | Kind::Unreact)) => {
                let message = message?;
                // A deleted message's log keeps that a reaction happened,
                // not which emoji: its tombstone says what matters.
                let emoji = entry.detail.unwrap_or_default();
                if kind == Kind::React {
                    ServerEvent::ReactionAdded {
                        room,
                        seq,
                        user_id: entry.actor,
                        emoji,
                        message,
                    }
                } else {
                    ServerEvent::ReactionRemoved {
                        room,
                        seq,
                        user_id: entry.actor,
                        emoji,
                        message,
                    }
                }
            }
            Some(Kind::Join) => ServerEvent::MemberJoined {
                room,
                seq,
                member: Member {
                    user: wire.user(entry.user?),
                    is_admin: false,
                    is_moderator: false,
                    joined_at: entry.created_at,
                },
            },
            Some(Kind::Leave) => ServerEvent::MemberLeft {
                room,
                seq,
                user_id: member(&entry)?,
            },
            Some(Kind::Remove) => ServerEvent::MemberRemoved {
                room,
                seq,
                user_id: member(&entry)?,
                by: Some(entry.actor),
                at: Some(entry.created_at),
            },
            Some(Kind::Admin) => ServerEvent::AdminChanged {
                room,
                seq,
                user_id: member(&entry)?,
            },
            Some(Kind::Rename) => ServerEvent::RoomRenamed {
                room,
                seq,
                name: entry.detail?,
            },
            Some(Kind::Invite | Kind::Revoke) => ServerEvent::InvitesChanged {
                room,
                seq,
                by: entry.actor,
            },
            Some(Kind::Settings) => settings_event(room, seq, entry.actor, entry.detail),
            Some(Kind::Topic) => ServerEvent::TopicChanged {
                room,
                seq,
                by: entry.actor,
                topic: entry.detail,
            },
            Some(kind @ (Kind::Mute | Kind::Unmute | Kind::Unban | Kind::Role)) => {
                ServerEvent::Moderated {
                    room,
                    seq,
                    by: entry.actor,
                    user_id: member(&entry)?,
                    action: action_of(kind, entry.detail.as_deref()),
                    at: entry.created_at,
                }
            }
        })
    }

    /// `user` is typing: everyone following the room but their own
    /// connections.
    pub fn typing(&self, user: &User) {
        let event = ServerEvent::Typing {
            room: self.room(),
            user: user.clone(),
        };
        self.hub.publish_to_others(self.id, &event, user.id);
    }
}

/// A replayed `settings` entry, its flags read from its detail.
fn settings_event(room: RoomPublicId, seq: i64, by: UserId, detail: Option<String>) -> ServerEvent {
    let flags = RoomFlags::from_detail(detail.as_deref().unwrap_or_default());
    ServerEvent::RoomSettingsChanged {
        room,
        seq,
        by,
        invite_only: flags.invite_only,
        listed: flags.listed,
    }
}
