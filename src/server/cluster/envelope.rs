//! What nodes say to each other over NATS, and its subjects:
//!
//! - `hearth.room.<room id>`: a room event, its frame as the payload and
//!   the rest in headers (`Hearth-Seq`, `Hearth-Ends`: `everyone` or a
//!   person's id, `Hearth-Skip`: a person's id);
//! - `hearth.signal`: a signal to one person's connections, as JSON;
//! - `hearth.node`: presence, heartbeats and requests for snapshots, as JSON.
//!
//! Anything that does not parse is dropped with a warning: a node never
//! trusts another's bytes with its life.

use async_nats::HeaderMap;
use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};

use crate::model::UserId;
use crate::server::db::rooms::RoomId;
use crate::server::hub::peers::NodeNote;
use crate::server::hub::{Broadcast, Ends, Outgoing, Signal};

const ROOM: &str = "hearth.room.";
const SIGNAL: &str = "hearth.signal";
const NODE: &str = "hearth.node";
const SEQ: &str = "Hearth-Seq";
const ENDS: &str = "Hearth-Ends";
const SKIP: &str = "Hearth-Skip";

#[derive(Serialize, Deserialize)]
struct SignalNote {
    user: UserId,
    signal: Signal,
}

/// One NATS message.
pub struct Envelope {
    pub subject: String,
    pub headers: Option<HeaderMap>,
    pub payload: Bytes,
}

pub fn encode(outgoing: Outgoing) -> Result<Envelope, serde_json::Error> {
    Ok(match outgoing {
        Outgoing::Room { room, event } => {
            let mut headers = HeaderMap::new();
            if let Some(seq) = event.seq {
                headers.insert(SEQ, seq.to_string());
            }
            match event.ends {
                Ends::Nobody => {}
                Ends::Everyone => headers.insert(ENDS, "everyone"),
                Ends::User(user) => headers.insert(ENDS, user.0.to_string()),
            }
            if let Some(skip) = event.skip {
                headers.insert(SKIP, skip.0.to_string());
            }
            Envelope {
                subject: format!("{ROOM}{}", room.0),
                headers: Some(headers),
                payload: event.frame.map(Bytes::from).unwrap_or_default(),
            }
        }
        Outgoing::Signal { user, signal } => Envelope {
            subject: SIGNAL.into(),
            headers: None,
            payload: serde_json::to_vec(&SignalNote { user, signal })?.into(),
        },
        Outgoing::Note(note) => Envelope {
            subject: NODE.into(),
            headers: None,
            payload: serde_json::to_vec(&note)?.into(),
        },
    })
}

/// What another node said.
#[derive(Debug)]
pub enum Incoming {
    Room(RoomId, Broadcast),
    Signal(UserId, Signal),
    Note(NodeNote),
}

pub fn decode(
    subject: &str,
    headers: Option<&HeaderMap>,
    payload: Bytes,
) -> Result<Incoming, String> {
    if let Some(room) = subject.strip_prefix(ROOM) {
        let room = RoomId(
            room.parse()
                .map_err(|_| format!("bad room id in {subject}"))?,
        );
        let header = |name: &str| {
            headers
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        let number = |name: &str| -> Result<Option<i64>, String> {
            header(name)
                .map(|v| v.parse::<i64>().map_err(|_| format!("bad {name}: {v}")))
                .transpose()
        };
        let ends = match header(ENDS).as_deref() {
            None => Ends::Nobody,
            Some("everyone") => Ends::Everyone,
            Some(_) => Ends::User(UserId(number(ENDS)?.unwrap_or_default())),
        };
        let frame =
            Utf8Bytes::try_from(payload).map_err(|_| "a frame that is not UTF-8".to_owned())?;
        if frame.is_empty() {
            return Err("a room event without its frame".into());
        }
        let event = Broadcast {
            seq: number(SEQ)?,
            frame: Some(frame),
            ends,
            skip: number(SKIP)?.map(UserId),
        };
        return Ok(Incoming::Room(room, event));
    }
    match subject {
        SIGNAL => {
            let note: SignalNote = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            Ok(Incoming::Signal(note.user, note.signal))
        }
        NODE => Ok(Incoming::Note(
            serde_json::from_slice(&payload).map_err(|e| e.to_string())?,
        )),
        other => Err(format!("an unknown subject, {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(outgoing: Outgoing) -> Incoming {
        let e = encode(outgoing).unwrap();
        decode(&e.subject, e.headers.as_ref(), e.payload).unwrap()
    }

    #[test]
    fn room_events_keep_their_seq_frame_and_whom_they_end() {
        for (seq, ends, skip) in [
            (Some(17), Ends::User(UserId(5)), None),
            (Some(1), Ends::Everyone, None),
            (None, Ends::Nobody, Some(UserId(9))),
        ] {
            let event = Broadcast {
                seq,
                frame: Some(r#"{"type":"x"}"#.into()),
                ends,
                skip,
            };
            match round_trip(Outgoing::Room {
                room: RoomId(3),
                event,
            }) {
                Incoming::Room(room, b) => {
                    assert_eq!(room, RoomId(3));
                    assert_eq!((b.seq, b.ends, b.skip), (seq, ends, skip));
                    assert_eq!(b.frame.unwrap().as_str(), r#"{"type":"x"}"#);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn signals_and_notes_round_trip() {
        let signal = Signal::SessionsEnded {
            except: Some([7; 32]),
        };
        match round_trip(Outgoing::Signal {
            user: UserId(2),
            signal,
        }) {
            Incoming::Signal(user, s) => assert_eq!((user, s), (UserId(2), signal)),
            other => panic!("{other:?}"),
        }
        let note = NodeNote::Heartbeat { node: 42, seq: 3 };
        match round_trip(Outgoing::Note(note.clone())) {
            Incoming::Note(n) => assert_eq!(n, note),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn what_does_not_parse_is_refused_not_guessed() {
        let mut bad_seq = HeaderMap::new();
        bad_seq.insert(SEQ, "seven");
        assert!(decode("hearth.room.1", Some(&bad_seq), Bytes::from_static(b"{}")).is_err());
        assert!(decode("hearth.room.x", None, Bytes::from_static(b"{}")).is_err());
        assert!(decode("hearth.room.1", None, Bytes::from_static(&[0xff])).is_err());
        assert!(decode("hearth.room.1", None, Bytes::new()).is_err());
        assert!(decode("hearth.signal", None, Bytes::from_static(b"nope")).is_err());
        assert!(decode("hearth.other", None, Bytes::new()).is_err());
    }
}
