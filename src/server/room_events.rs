//! Every room event reaches the hub through here: stored messages (from
//! group commit), membership, admin and name changes (from the server
//! functions, inside their write's commit so they travel in commit order),
//! and the passing ones, presence and typing (from the websocket). Each
//! function builds its `ServerEvent` and says whose access to the room it
//! ends, so the followers (`ws/follow.rs`) know when to stop.

use uuid::Uuid;

use super::db::members::AfterRemoval;
use super::db::rooms::RoomId;
use super::hub::{Ends, Hub, Signal};
use crate::model::{ChatMessage, Member, Millis, RoomPublicId, ServerEvent, User, UserId};

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

    /// A message just committed with `seq`.
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
        body: &str,
        client_msg_id: Uuid,
    ) -> ChatMessage {
        ChatMessage {
            id,
            room: self.room(),
            seq,
            sender: sender.clone(),
            body: body.to_owned(),
            client_msg_id,
            created_at,
        }
    }

    pub fn member_joined(&self, user: &User, joined_at: Millis) {
        let member = Member {
            user: user.clone(),
            is_admin: false,
            joined_at,
        };
        let event = ServerEvent::MemberJoined {
            room: self.room(),
            member,
        };
        self.hub.publish(self.id, &event, None, Ends::Nobody);
    }

    /// `user_id` left; what followed (a new admin, the room's end) too.
    pub fn member_left(&self, user_id: UserId, outcome: AfterRemoval) {
        let event = ServerEvent::MemberLeft {
            room: self.room(),
            user_id,
        };
        self.member_gone(user_id, outcome, &event, true);
    }

    /// The admin removed `user_id`; what followed too.
    pub fn member_removed(&self, user_id: UserId, outcome: AfterRemoval) {
        let event = ServerEvent::MemberRemoved {
            room: self.room(),
            user_id,
        };
        self.member_gone(user_id, outcome, &event, true);
    }

    /// `user_id` deleted their account: the room hears it as their leaving.
    /// Their own connections are not told, as they are all closing
    /// (`Signal::SessionsEnded`); a signal per room could overflow their
    /// signal channel first.
    pub fn member_deleted(&self, user_id: UserId, outcome: AfterRemoval) {
        let event = ServerEvent::MemberLeft {
            room: self.room(),
            user_id,
        };
        self.member_gone(user_id, outcome, &event, false);
    }

    /// Tells the room that `user_id` is gone (with `event`), cuts their
    /// connections off the room (telling them too, with `tell_them`), and
    /// announces a new admin or the room's end.
    fn member_gone(
        &self,
        user_id: UserId,
        outcome: AfterRemoval,
        event: &ServerEvent,
        tell_them: bool,
    ) {
        if matches!(outcome, AfterRemoval::NotAMember | AfterRemoval::NotAdmin) {
            return;
        }
        self.hub.publish(self.id, event, None, Ends::User(user_id));
        if tell_them {
            self.hub.signal(user_id, Signal::LeftRoom(self.id));
        }
        match outcome {
            AfterRemoval::AdminPassedTo(next) => self.admin_changed(next),
            AfterRemoval::RoomDeleted => self.deleted(&[]),
            AfterRemoval::Removed | AfterRemoval::NotAMember | AfterRemoval::NotAdmin => {}
        }
    }

    pub fn admin_changed(&self, user_id: UserId) {
        let event = ServerEvent::AdminChanged {
            room: self.room(),
            user_id,
        };
        self.hub.publish(self.id, &event, None, Ends::Nobody);
    }

    pub fn renamed(&self, name: &str) {
        let event = ServerEvent::RoomRenamed {
            room: self.room(),
            name: name.to_owned(),
        };
        self.hub.publish(self.id, &event, None, Ends::Nobody);
    }

    /// The room is gone: its followers stop, and `members`' connections
    /// forget it.
    pub fn deleted(&self, members: &[UserId]) {
        let event = ServerEvent::RoomDeleted { room: self.room() };
        self.hub.publish(self.id, &event, None, Ends::Everyone);
        for member in members {
            self.hub.signal(*member, Signal::LeftRoom(self.id));
        }
    }

    /// Who has the room open, as an event (for a new follower, and the room).
    pub fn presence(&self, online: Vec<UserId>) -> ServerEvent {
        ServerEvent::Presence {
            room: self.room(),
            online,
        }
    }

    /// Tells the room who has it open now.
    pub fn publish_presence(&self, presence: &ServerEvent) {
        self.hub.publish(self.id, presence, None, Ends::Nobody);
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
