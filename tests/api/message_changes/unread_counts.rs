//! Unread counts with messages that change: a deletion lowers the count,
//! edits and reactions never raise it (they take seqs after the reader's
//! marker, but are not messages), and all of it holds after a restart.

use hearth::model::Change;

use super::{Chat, edit, react};
use crate::unread::unread;

#[test]
fn a_deletion_lowers_the_count_and_changes_do_not_raise_it() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let room = chat.room.as_str();
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let mut seqs = vec![];
        for i in 0..4 {
            seqs.push(b.say_stored(room, &format!("b{i}")).await);
        }
        assert_eq!(unread(&chat.app, &chat.ann, room).await, 4);
        assert_eq!(unread(&chat.app, &chat.cat, room).await, 4);

        // Edits and reactions, by the author and by the readers.
        for (by_ann, seq, change) in [
            (false, seqs[0], edit("b0, edited")),
            (true, seqs[1], react("\u{1f44d}")),
            (false, seqs[1], react("\u{1f389}")),
        ] {
            let ws = if by_ann { &mut a } else { &mut b };
            let id = ws.op(room, seq, change).await;
            assert!(ws.until_done(id).await.0.is_some());
        }
        assert_eq!(unread(&chat.app, &chat.ann, room).await, 4);
        assert_eq!(unread(&chat.app, &chat.cat, room).await, 4);

        // The author deletes one, the admin another: two fewer.
        let id = b.op(room, seqs[2], Change::Delete).await;
        b.until_done(id).await;
        let id = a.op(room, seqs[3], Change::Delete).await;
        a.until_done(id).await;
        assert_eq!(unread(&chat.app, &chat.ann, room).await, 2);
        assert_eq!(unread(&chat.app, &chat.cat, room).await, 2);
        assert_eq!(unread(&chat.app, &chat.bob, room).await, 0, "his own");

        // Read to the end of the log; later changes to earlier messages
        // bring nothing back.
        let last = chat.last_seq().await;
        let res = chat
            .app
            .call(
                &chat.cat.client,
                "mark_read",
                &[("room", room), ("seq", &last.to_string())],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(unread(&chat.app, &chat.cat, room).await, 0);
        let id = b.op(room, seqs[0], edit("b0, edited twice")).await;
        b.until_done(id).await;
        let id = a.op(room, seqs[0], react("\u{1f44d}")).await;
        a.until_done(id).await;
        assert_eq!(unread(&chat.app, &chat.cat, room).await, 0);
        assert_eq!(unread(&chat.app, &chat.ann, room).await, 2);

        // The same after a restart, and the history too.
        let before = chat.history(&chat.ann).await;
        drop((a, b));
        let chat = chat.restarted().await;
        assert_eq!(unread(&chat.app, &chat.ann, &chat.room).await, 2);
        assert_eq!(unread(&chat.app, &chat.cat, &chat.room).await, 0);
        assert_eq!(chat.history(&chat.ann).await, before);
    })
}
