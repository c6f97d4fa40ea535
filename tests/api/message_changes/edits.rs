//! Edits: the author's own messages only, "(edited)" with the edit's seq as
//! the revision, an edit to the same text takes no seq, and the earlier
//! texts are kept for the room's members until the message is deleted.

use hearth::model::{Change, ErrorCode, ServerEvent};

use super::{Chat, edit};

#[test]
fn only_the_author_edits_and_the_edit_is_marked() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = a.say_stored(&chat.room, "first draft").await;
        let sent = chat.message(seq).await;
        assert_eq!((sent.revision, sent.edited_at), (seq, None));

        // Someone else's message: refused, and nothing changes.
        let id = b.op(&chat.room, seq, edit("bob was here")).await;
        assert_eq!(b.until_refused(id).await, ErrorCode::Forbidden);
        assert_eq!(chat.message(seq).await, sent);
        assert_eq!(chat.last_seq().await, seq);

        // The author's edit takes the next seq, which is its revision.
        let id = a.op(&chat.room, seq, edit("  final text \n")).await;
        let (taken, done) = a.until_done(id).await;
        let taken = taken.expect("the edit changed the message");
        assert!(taken > seq);
        assert_eq!(done.body, "final text", "trimmed as a message is");
        assert_eq!(done.revision, taken);
        let edited_at = done.edited_at.expect("marked as edited");
        assert!(edited_at >= sent.created_at);
        assert_eq!(chat.message(seq).await, done, "history agrees");
        // Bob's tab hears it, with the same state.
        loop {
            match b.next().await {
                ServerEvent::MessageEdited {
                    seq: s, message, ..
                } => {
                    assert_eq!((s, &message), (taken, &done));
                    break;
                }
                ServerEvent::Message { .. } => {}
                other => panic!("{other:?}"),
            }
        }

        // The same text again changes nothing and takes no seq.
        let id = a.op(&chat.room, seq, edit("final text")).await;
        let (again, unchanged) = a.until_done(id).await;
        assert_eq!((again, &unchanged), (None, &done));
        assert_eq!(chat.last_seq().await, taken);

        // Members read the earlier text; others may not.
        assert_eq!(
            chat.revisions(&chat.bob, seq).await,
            (200, vec!["first draft".to_owned()])
        );
        let eve = chat.app.person("eve").await;
        assert_eq!(chat.revisions(&eve, seq).await.0, 403);

        // Rules of a body hold for an edit too.
        let id = a.op(&chat.room, seq, edit("   ")).await;
        assert_eq!(a.until_refused(id).await, ErrorCode::Invalid);
        // No such message; a seq that is another kind of event (Bob's
        // joining, seq 1) is no message either.
        for missing in [seq + 100, 1] {
            let id = a.op(&chat.room, missing, edit("x")).await;
            assert_eq!(a.until_refused(id).await, ErrorCode::NotFound);
        }

        // Once deleted: no edits, and the earlier texts are gone.
        let id = a.op(&chat.room, seq, Change::Delete).await;
        a.until_done(id).await;
        let id = a.op(&chat.room, seq, edit("back from the dead")).await;
        assert_eq!(a.until_refused(id).await, ErrorCode::NotFound);
        assert_eq!(chat.revisions(&chat.bob, seq).await, (200, vec![]));
        assert_eq!(chat.stored(seq).await.revisions, 0);
    })
}

#[test]
fn every_earlier_text_is_kept_in_order() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = b.say_stored(&chat.room, "one").await;
        let mut revisions = vec![];
        for text in ["two", "three", "four"] {
            let id = b.op(&chat.room, seq, edit(text)).await;
            revisions.push(b.until_done(id).await.0.expect("a change"));
        }
        assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
        let now = chat.message(seq).await;
        assert_eq!((now.body.as_str(), now.revision), ("four", revisions[2]));
        assert_eq!(
            chat.revisions(&chat.cat, seq).await,
            (200, vec!["one".into(), "two".into(), "three".into()])
        );
        // A message never edited has none.
        let plain = b.say_stored(&chat.room, "plain").await;
        assert_eq!(chat.revisions(&chat.cat, plain).await, (200, vec![]));
    })
}
