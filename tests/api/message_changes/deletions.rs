//! Deletions: by the author, or by the room's admin for anyone's message,
//! never by another member; the tombstone keeps its seq, sender and time,
//! and the body, earlier texts and reactions go in the same transaction.

use hearth::model::{Change, ErrorCode, ServerEvent};

use super::{Chat, Stored, edit, react};

#[test]
fn the_author_or_the_admin_deletes_and_a_tombstone_stays() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let mut c = chat.follow(&chat.cat).await;
        let bobs = b.say_stored(&chat.room, "bob's words").await;
        let cats = c.say_stored(&chat.room, "cat's words").await;
        // Bob's message gathers an earlier text and reactions first.
        let id = b.op(&chat.room, bobs, edit("bob's better words")).await;
        b.until_done(id).await;
        for (ws, emoji) in [(&mut a, "\u{1f44d}"), (&mut c, "\u{1f389}")] {
            let id = ws.op(&chat.room, bobs, react(emoji)).await;
            ws.until_done(id).await;
        }
        let before = chat.message(bobs).await;
        assert_eq!(
            chat.stored(bobs).await,
            Stored {
                body: "bob's better words".into(),
                deleted: false,
                revisions: 1,
                reactions: 2,
                logged_emoji: 2,
            }
        );

        // Another member may not.
        let id = c.op(&chat.room, bobs, Change::Delete).await;
        assert_eq!(c.until_refused(id).await, ErrorCode::Forbidden);
        assert_eq!(chat.message(bobs).await, before);

        // The author may: a tombstone in its place.
        let id = b.op(&chat.room, bobs, Change::Delete).await;
        let (taken, tombstone) = b.until_done(id).await;
        let taken = taken.expect("a deletion takes a seq");
        assert!(tombstone.deleted);
        assert_eq!(tombstone.body, "");
        assert_eq!(tombstone.revision, taken);
        assert_eq!(
            (tombstone.seq, &tombstone.sender, tombstone.created_at),
            (before.seq, &before.sender, before.created_at)
        );
        assert_eq!((tombstone.edited_at, tombstone.reactions.len()), (None, 0));
        assert_eq!(chat.message(bobs).await, tombstone, "history agrees");
        // Purged in the same transaction: by the time `done` came.
        assert_eq!(
            chat.stored(bobs).await,
            Stored {
                body: String::new(),
                deleted: true,
                revisions: 0,
                reactions: 0,
                logged_emoji: 0,
            }
        );
        // Cat hears who deleted it.
        loop {
            if let ServerEvent::MessageDeleted { by, message, .. } = c.next().await {
                assert_eq!((by, &message), (chat.bob.id, &tombstone));
                break;
            }
        }

        // The admin may delete anyone's.
        let id = a.op(&chat.room, cats, Change::Delete).await;
        let (taken, gone) = a.until_done(id).await;
        assert!(taken.is_some() && gone.deleted);
        loop {
            if let ServerEvent::MessageDeleted { by, message, .. } = c.next().await
                && message.seq == cats
            {
                assert_eq!(by, chat.ann.id);
                break;
            }
        }

        // Deleting it again changes nothing and takes no seq.
        let last = chat.last_seq().await;
        let id = b.op(&chat.room, bobs, Change::Delete).await;
        assert_eq!(b.until_done(id).await, (None, tombstone));
        assert_eq!(chat.last_seq().await, last);
        // No reactions on a tombstone.
        let id = c.op(&chat.room, bobs, react("\u{1f44d}")).await;
        assert_eq!(c.until_refused(id).await, ErrorCode::NotFound);

        // Someone outside the room may not delete anything.
        let eve = chat.app.person("eve").await;
        let mut e = crate::ws_client::WsClient::connect(&chat.app, &eve).await;
        let mine = a.say_stored(&chat.room, "ann's").await;
        let id = e.op(&chat.room, mine, Change::Delete).await;
        assert_eq!(e.until_refused(id).await, ErrorCode::Forbidden);
        assert!(!chat.message(mine).await.deleted);
    })
}
