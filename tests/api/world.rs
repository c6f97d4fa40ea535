//! The world the authorization tests act in: a room with its admin, a
//! message of the admin's, a member, a moderator, a muted member, someone
//! the admin banned, a logged-in outsider, and the admin of another room.

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;
use hearth::model::UserId;

/// A room with an admin, a member and a removed member, another room with
/// its own admin, and a logged-in outsider.
pub struct World {
    pub app: TestApp,
    pub admin: Person,
    pub member: Person,
    pub outsider: Person,
    pub other_admin: Person,
    /// Someone the admin banned, who still has the room's link.
    pub removed: Person,
    /// A member the admin made a moderator.
    pub moderator: Person,
    /// A member muted until unmuted.
    pub muted: Person,
    pub room: String,
    /// The seq of the admin's message in the room (the room's first
    /// event): only the admin may edit or delete it; members may react.
    pub message: i64,
    pub member_id: UserId,
    /// Someone the admin removed from the room.
    pub removed_id: UserId,
    /// Each person's session, as their settings name it.
    pub session_ids: Vec<(UserId, String)>,
    /// An invite link to the room the admin made (no limit, 7 days).
    pub invite: String,
}

impl World {
    pub async fn new() -> Self {
        let app = TestApp::spawn().await;
        let admin = app.person("admin").await;
        let member = app.person("member").await;
        let outsider = app.person("outsider").await;
        let other_admin = app.person("otheradmin").await;
        let room = create_room(&app, &admin, "Book club").await;
        let message = WsClient::connect(&app, &admin)
            .await
            .say_stored(&room, "Welcome, all")
            .await;
        assert_eq!(
            app.call(&member.client, "join_room", &[("room", &room)])
                .await
                .status(),
            200
        );
        create_room(&app, &other_admin, "Elsewhere").await;
        let member_id = member.id;
        let removed = app.person("removed").await;
        let removed_id = removed.id.to_string();
        app.call(&removed.client, "join_room", &[("room", &room)])
            .await;
        let res = app
            .call(
                &admin.client,
                "ban_member",
                &[("room", &room), ("user_id", &removed_id)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let moderator = app.person("moderator").await;
        let muted = app.person("muted").await;
        for p in [&moderator, &muted] {
            let res = app.call(&p.client, "join_room", &[("room", &room)]).await;
            assert_eq!(res.status(), 200);
        }
        let (moderator_id, muted_id) = (moderator.id.to_string(), muted.id.to_string());
        let res = app
            .call(
                &admin.client,
                "set_moderator",
                &[
                    ("room", &room),
                    ("user_id", &moderator_id),
                    ("moderator", "true"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .call(
                &admin.client,
                "mute_member",
                &[
                    ("room", &room),
                    ("user_id", &muted_id),
                    ("duration", "forever"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        let invite = create_invite(&app, &admin, &room, "7d", "none").await;
        let session_ids: Vec<(i64, String)> = on_store!(app, |db| sqlx::query_as(
            "SELECT user_id, public_id FROM sessions"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        Self {
            session_ids: session_ids
                .into_iter()
                .map(|(id, session)| (UserId(id), session))
                .collect(),
            app,
            admin,
            member,
            outsider,
            other_admin,
            room,
            message,
            member_id,
            removed_id: removed.id,
            removed,
            moderator,
            muted,
            invite,
        }
    }

    /// The client acting as `role` (anonymous: a fresh one with no cookie).
    pub fn client(&self, role: Role) -> reqwest::Client {
        match role {
            Role::Anonymous => self.app.client(),
            Role::Outsider => self.outsider.client.clone(),
            Role::Member => self.member.client.clone(),
            Role::Admin => self.admin.client.clone(),
            Role::OtherAdmin => self.other_admin.client.clone(),
            Role::Removed => self.removed.client.clone(),
            Role::Moderator => self.moderator.client.clone(),
            Role::Muted => self.muted.client.clone(),
        }
    }

    pub fn person(&self, role: Role) -> Option<&Person> {
        match role {
            Role::Anonymous => None,
            Role::Outsider => Some(&self.outsider),
            Role::Member => Some(&self.member),
            Role::Admin => Some(&self.admin),
            Role::OtherAdmin => Some(&self.other_admin),
            Role::Removed => Some(&self.removed),
            Role::Moderator => Some(&self.moderator),
            Role::Muted => Some(&self.muted),
        }
    }

    /// The session `role` is logged in with, by its public id (for
    /// anyone else, someone's: the admin's).
    pub fn session_id(&self, role: Role) -> String {
        let who = self.person(role).unwrap_or(&self.admin).id;
        self.session_ids
            .iter()
            .find(|(id, _)| *id == who)
            .map(|(_, session)| session.clone())
            .expect("a session")
    }

    /// Rooms, memberships, messages and the rooms' logs, to prove a
    /// refused call changed nothing.
    pub async fn snapshot(&self) -> Vec<String> {
        let rooms: Vec<(String, String, i64, i64, i64, Option<String>)> =
            on_store!(self.app, |db| {
                sqlx::query_as(
            "SELECT public_id, name, admin_id, invite_only, listed, topic FROM rooms ORDER BY id"
        )
        .fetch_all(db)
        .await
            })
            .unwrap();
        let members: Vec<(i64, i64, String)> = on_store!(self.app, |db| sqlx::query_as(
            "SELECT room_id, user_id, role FROM room_members ORDER BY room_id, user_id"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        let removals: Vec<(i64, i64)> = on_store!(self.app, |db| sqlx::query_as(
            "SELECT room_id, user_id FROM room_removals ORDER BY room_id, user_id"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        let mutes: Vec<(i64, i64, Option<i64>)> = on_store!(self.app, |db| sqlx::query_as(
            "SELECT room_id, user_id, ends_at FROM room_mutes ORDER BY room_id, user_id"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        let invites: Vec<(String, i64, Option<i64>)> = on_store!(self.app, |db| sqlx::query_as(
            "SELECT code, uses, revoked_at FROM invites ORDER BY id"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        // Messages as they are now (text, edits, deletion), and how long
        // the rooms' logs and the reactions are.
        let messages: Vec<MessageState> = on_store!(self.app, |db| {
            sqlx::query_as(
            "SELECT room_id, seq, body, revision, deleted_at FROM messages ORDER BY room_id, seq",
        )
        .fetch_all(db)
        .await
        })
        .unwrap();
        rooms
            .into_iter()
            .map(|r| format!("{r:?}"))
            .chain(members.into_iter().map(|m| format!("{m:?}")))
            .chain(removals.into_iter().map(|r| format!("removed {r:?}")))
            .chain(mutes.into_iter().map(|m| format!("muted {m:?}")))
            .chain(invites.into_iter().map(|i| format!("invite {i:?}")))
            .chain(messages.into_iter().map(|m| format!("message {m:?}")))
            .chain(std::iter::once(format!(
                "room events {}, reactions {}, revisions {}",
                self.app.count("room_events").await,
                self.app.count("reactions").await,
                self.app.count("message_revisions").await
            )))
            .chain(std::iter::once(format!(
                "sessions {}, accounts {}",
                self.app.count("sessions").await,
                self.app.count("users WHERE deleted_at IS NULL").await
            )))
            .collect()
    }
}

/// A message's room, seq, body, revision and deletion time.
type MessageState = (i64, i64, String, Option<i64>, Option<i64>);

/// `p` makes an invite link to `room`; its code.
pub async fn create_invite(
    app: &TestApp,
    p: &Person,
    room: &str,
    expires: &str,
    max_uses: &str,
) -> String {
    let res = app
        .call(
            &p.client,
            "create_invite",
            &[("room", room), ("expires", expires), ("max_uses", max_uses)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let invite: serde_json::Value = res.json().await.unwrap();
    invite["code"]
        .as_str()
        .expect("an invite's code")
        .to_owned()
}

pub async fn create_room(app: &TestApp, p: &Person, name: &str) -> String {
    let res = app.call(&p.client, "create_room", &[("name", name)]).await;
    assert_eq!(res.status(), 200);
    res.json::<String>().await.unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    Anonymous,
    Outsider,
    Member,
    Admin,
    OtherAdmin,
    /// Was a member until the admin banned them; still has the link.
    Removed,
    /// A member the admin appointed to moderate.
    Moderator,
    /// A member muted until unmuted: reads, but does not write.
    Muted,
}

impl Role {
    /// A member of the world's room.
    pub fn is_member(self) -> bool {
        matches!(
            self,
            Role::Member | Role::Admin | Role::Moderator | Role::Muted
        )
    }
}

pub const ROLES: [Role; 8] = [
    Role::Anonymous,
    Role::Outsider,
    Role::Member,
    Role::Admin,
    Role::OtherAdmin,
    Role::Removed,
    Role::Moderator,
    Role::Muted,
];
