//! Files attached to messages: uploaded to a room (`upload.rs`), pictures
//! decoded within limits and re-encoded with a thumbnail (`image.rs`),
//! kept on disk by content (`store.rs`), served to the room's members only
//! and never as a page of Hearth's (`serve.rs`), and removed once nothing
//! names them (`sweep.rs`). Messages name their files when sent
//! (`ClientEvent::Send::attachments`); the rows are `db/attachments.rs`.

pub mod attach;
pub mod form;
pub mod image;
pub mod name;
pub mod serve;
pub mod store;
pub mod sweep;
pub mod upload;

pub use store::Files;
