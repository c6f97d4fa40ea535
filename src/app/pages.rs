//! One module per page (route).

pub mod directory;
pub mod home;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod room;
pub mod search;
pub mod settings;
pub mod signup;
