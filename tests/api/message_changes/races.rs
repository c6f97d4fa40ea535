//! Races: changes sent at the same moment from different people are each
//! decided against the message as it is when their turn comes, so two
//! reactions both count and an edit racing a deletion leaves no text.

use hearth::model::{Change, ErrorCode, ServerEvent};
use uuid::Uuid;

use super::{Chat, Held, Stored, edit, react};
use crate::ws_client::op;

/// Messages raced over, each a separate round.
const ROUNDS: usize = 12;

#[test]
fn two_people_reacting_at_once_are_both_stored() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let mut c = chat.follow(&chat.cat).await;
        for round in 0..ROUNDS {
            let seq = a.say_stored(&chat.room, &format!("round {round}")).await;
            // Both frames are out before either answer is read.
            let (bid, cid) = (Uuid::new_v4(), Uuid::new_v4());
            let thumbs = || react("\u{1f44d}");
            let (bobs, cats) = (
                op(&chat.room, bid, seq, thumbs()),
                op(&chat.room, cid, seq, thumbs()),
            );
            tokio::join!(b.send(&bobs), c.send(&cats));
            let (bs, _) = b.until_done(bid).await;
            let (cs, _) = c.until_done(cid).await;
            assert!(bs.is_some() && cs.is_some() && bs != cs, "{bs:?} {cs:?}");
            let now = chat.message(seq).await;
            assert_eq!(now.reactions.len(), 1, "one chip");
            let mut users = now.reactions[0].users.clone();
            users.sort();
            let mut both = vec![chat.bob.id, chat.cat.id];
            both.sort();
            assert_eq!(users, both, "round {round}");
            assert_eq!(now.revision, bs.max(cs).unwrap());
        }
    })
}

#[test]
fn an_edit_racing_a_deletion_never_leaves_text_behind() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        // Ann is the admin; Bob writes; Cat watches.
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let mut c = chat.follow(&chat.cat).await;
        let mut watched = Held::default();
        for round in 0..ROUNDS {
            let seq = b.say_stored(&chat.room, &format!("draft {round}")).await;
            let (eid, did) = (Uuid::new_v4(), Uuid::new_v4());
            let new_text = format!("rewritten {round}");
            let (edits, deletes) = (
                op(&chat.room, eid, seq, edit(&new_text)),
                op(&chat.room, did, seq, Change::Delete),
            );
            tokio::join!(b.send(&edits), a.send(&deletes));
            let (deleted_at, tombstone) = a.until_done(did).await;
            let deleted_at = deleted_at.expect("the deletion took a seq");
            assert!(tombstone.deleted && tombstone.body.is_empty());
            match b.until_answer(eid).await {
                // The edit came first: the deletion purged its text too.
                ServerEvent::Done { seq: Some(e), .. } => assert!(e < deleted_at),
                // The deletion came first: nothing to edit.
                ServerEvent::Error { code, .. } => assert_eq!(code, ErrorCode::NotFound),
                other => panic!("{other:?}"),
            }
            assert_eq!(
                chat.stored(seq).await,
                Stored {
                    body: String::new(),
                    deleted: true,
                    revisions: 0,
                    reactions: 0,
                    logged_emoji: 0,
                }
            );
            assert_eq!(chat.message(seq).await, tombstone);
            // Cat, applying what came, ends with the tombstone.
            loop {
                let event = c.next().await;
                watched.apply(&event);
                if matches!(&event, ServerEvent::MessageDeleted { message, .. } if message.seq == seq)
                {
                    break;
                }
            }
            assert_eq!(watched.0[&seq], tombstone);
        }
        let texts: i64 = chat
            .app
            .count("messages WHERE body LIKE 'draft%' OR body LIKE 'rewritten%'")
            .await;
        assert_eq!(texts, 0);
    })
}
