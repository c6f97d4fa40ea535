//! The websocket protocol as the soak's clients speak it: the shared
//! `hearth-protocol` types (whose examples in `docs/protocol.md` are checked
//! by `protocol/tests/doc_examples.rs`). The soak drives the release binary
//! from outside, so a server that drifts from them fails here.

pub use hearth_protocol::{
    Change, ChatMessage, ClientEvent, ErrorCode, Quote, ServerEvent, UserId, close,
};
