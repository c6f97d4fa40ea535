//! What a room page can do to its room: the server actions, created once per
//! page, and the versions that tell the page what to reload after each.

use leptos::prelude::*;

use crate::api::invites::{CreateInvite, RevokeInvite};
use crate::api::moderation::{BanMember, MuteMember, SetModerator, UnbanMember, UnmuteMember};
use crate::api::room_settings::SaveRoomSettings;
use crate::api::rooms::{DeleteRoom, JoinRoom, LeaveRoom, MakeAdmin, RenameRoom};
use crate::app::refresh::Version;

/// The actions a room page can take; created once per page so their results
/// survive the room being refetched.
#[derive(Clone, Copy)]
pub struct RoomActions {
    pub join: ServerAction<JoinRoom>,
    pub leave: ServerAction<LeaveRoom>,
    pub rename: ServerAction<RenameRoom>,
    pub make_admin: ServerAction<MakeAdmin>,
    pub delete: ServerAction<DeleteRoom>,
    pub ban: ServerAction<BanMember>,
    pub unban: ServerAction<UnbanMember>,
    pub mute: ServerAction<MuteMember>,
    pub unmute: ServerAction<UnmuteMember>,
    pub set_moderator: ServerAction<SetModerator>,
    pub create_invite: ServerAction<CreateInvite>,
    pub revoke_invite: ServerAction<RevokeInvite>,
    pub save_settings: ServerAction<SaveRoomSettings>,
    /// Bumped to reload the whole page (after joining, or when the person
    /// is no longer a member).
    pub page_changed: Version,
    /// Bumped to refresh the room's name and members in place, keeping the
    /// conversation, its scroll position and the composer's text.
    pub details_changed: Version,
}

impl RoomActions {
    pub fn new(rooms_changed: Version) -> Self {
        let actions = Self {
            join: ServerAction::new(),
            leave: ServerAction::new(),
            rename: ServerAction::new(),
            make_admin: ServerAction::new(),
            delete: ServerAction::new(),
            ban: ServerAction::new(),
            unban: ServerAction::new(),
            mute: ServerAction::new(),
            unmute: ServerAction::new(),
            set_moderator: ServerAction::new(),
            create_invite: ServerAction::new(),
            revoke_invite: ServerAction::new(),
            save_settings: ServerAction::new(),
            page_changed: Version::new(),
            details_changed: Version::new(),
        };
        actions.page_changed.after_success(actions.join);
        for v in [actions.details_changed, rooms_changed] {
            v.after_success(actions.rename);
            v.after_success(actions.ban);
            v.after_success(actions.make_admin);
            v.after_success(actions.save_settings);
        }
        let details = actions.details_changed;
        details.after_success(actions.unban);
        details.after_success(actions.mute);
        details.after_success(actions.unmute);
        details.after_success(actions.set_moderator);
        details.after_success(actions.create_invite);
        details.after_success(actions.revoke_invite);
        rooms_changed.after_success(actions.join);
        rooms_changed.after_success(actions.leave);
        rooms_changed.after_success(actions.delete);
        actions
    }
}
