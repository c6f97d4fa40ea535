//! Retries: an operation sent again with the same `client_op_id` (at once,
//! after a reconnect, or after a restart) is applied once; every answer is
//! `done` with the seq it took and the message as it is now.

use hearth::model::Change;
use uuid::Uuid;

use super::{Chat, edit, react};
use crate::ws_client::{WsClient, op};

#[test]
fn the_same_operation_twice_applies_once() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = a.say_stored(&chat.room, "react to me").await;

        // Sent twice without waiting: one reaction, one seq, two answers.
        let id = Uuid::new_v4();
        let frame = op(&chat.room, id, seq, react("\u{1f44d}"));
        b.send(&frame).await;
        b.send(&frame).await;
        let first = b.until_done(id).await;
        let second = b.until_done(id).await;
        let taken = first.0.expect("the reaction took a seq");
        assert_eq!(first, second);
        assert_eq!(chat.last_seq().await, taken);
        assert_eq!(chat.stored(seq).await.reactions, 1);

        // Again from another socket, as after a reconnect.
        drop(b);
        let mut b = WsClient::connect(&chat.app, &chat.bob).await;
        b.send(&frame).await;
        assert_eq!(b.until_done(id).await, first);
        assert_eq!(chat.last_seq().await, taken);

        // A retried edit answers with its own seq and the message as it is
        // now, and brings no older text back.
        let edit_id = Uuid::new_v4();
        let first_edit = op(&chat.room, edit_id, seq, edit("second thoughts"));
        a.send(&first_edit).await;
        let (edited, _) = a.until_done(edit_id).await;
        let later = a.op(&chat.room, seq, edit("third thoughts")).await;
        let (latest, now) = a.until_done(later).await;
        a.send(&first_edit).await;
        let (again, message) = a.until_done(edit_id).await;
        assert_eq!(again, edited);
        assert_eq!(message, now);
        assert_eq!(message.revision, latest.unwrap());
        assert_eq!(chat.message(seq).await.body, "third thoughts");
        assert_eq!(
            chat.revisions(&chat.bob, seq).await.1,
            ["react to me", "second thoughts"]
        );

        // Ids are each person's own: Cat using Bob's id is a new operation.
        let mut c = chat.follow(&chat.cat).await;
        c.send(&frame).await;
        let (cats, _) = c.until_done(id).await;
        assert!(cats.is_some() && cats != Some(taken));
    })
}

#[test]
fn a_retry_after_a_restart_applies_once() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = b.say_stored(&chat.room, "before the restart").await;
        let id = Uuid::new_v4();
        let frame = op(&chat.room, id, seq, Change::Delete);
        b.send(&frame).await;
        let before = b.until_done(id).await;
        drop(b);

        let chat = chat.restarted().await;
        let mut b = WsClient::connect(&chat.app, &chat.bob).await;
        b.send(&frame).await;
        assert_eq!(b.until_done(id).await, before);
        assert_eq!(chat.last_seq().await, before.0.unwrap());
    })
}
