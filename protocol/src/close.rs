//! The websocket close codes the server sends (RFC 6455, section 7.4.1),
//! and what a client should do on each. `docs/protocol.md` has the same
//! table.

/// The answer to a close the client started.
pub const NORMAL: u16 = 1000;
/// The server is restarting, or heard nothing from the client for a minute:
/// reconnect and resume.
pub const GOING_AWAY: u16 = 1001;
/// The client broke the websocket framing rules (an unmasked frame, a bad
/// opcode, a fragmented control frame): a client bug.
pub const PROTOCOL_ERROR: u16 = 1002;
/// A text frame that is not UTF-8: a client bug.
pub const INVALID_DATA: u16 = 1007;
/// The session ended (logged out, expired, or ended elsewhere): log in again
/// before reconnecting.
pub const POLICY: u16 = 1008;
/// A frame over the size limit (`limits.max-ws-frame-bytes`).
pub const TOO_BIG: u16 = 1009;
/// The server lost track of this connection's state: reconnect and resume.
pub const TRY_AGAIN: u16 = 1013;

/// Every code above, for the document check.
pub const ALL: [u16; 7] = [
    NORMAL,
    GOING_AWAY,
    PROTOCOL_ERROR,
    INVALID_DATA,
    POLICY,
    TOO_BIG,
    TRY_AGAIN,
];
