//! Pieces of UI that several pages use.

pub mod avatar;
pub mod composer;
pub mod connection_banner;
pub mod error_alert;
pub mod header;
pub mod member_list;
pub mod message_list;
pub mod removed_list;
pub mod require_user;
pub mod room_admin;
pub mod room_header;
pub mod room_nav;
