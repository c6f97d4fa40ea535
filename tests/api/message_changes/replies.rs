//! Replies: a reply stores its parent's seq and carries the parent as it
//! is now (author, first line, or "deleted"); a reply to no message of the
//! room is refused.

use hearth::model::{Change, ClientEvent, ErrorCode, Quote, ServerEvent};
use uuid::Uuid;

use super::{Chat, edit};
use crate::ws_client::WsClient;

/// Sends `body` as a reply to `parent`; returns its client id.
async fn reply(ws: &mut WsClient, room: &str, parent: i64, body: &str) -> Uuid {
    let id = Uuid::new_v4();
    ws.send(&ClientEvent::Send {
        room: room.into(),
        client_msg_id: id,
        body: body.into(),
        reply_to: Some(parent),
        attachments: Vec::new(),
    })
    .await;
    id
}

#[test]
fn a_reply_quotes_its_parent_until_the_parent_is_deleted() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let parent = a
            .say_stored(&chat.room, "\n  the first line  \nthe second line")
            .await;

        let id = reply(&mut b, &chat.room, parent, "I agree").await;
        let seq = b.until_acked(id).await;
        let quote = Quote {
            seq: parent,
            sender: chat.message(parent).await.sender,
            excerpt: "the first line".into(),
            deleted: false,
        };
        // Ann's tab receives it with the quote.
        loop {
            if let ServerEvent::Message { message } = a.next().await
                && message.seq == seq
            {
                assert_eq!(message.reply_to, Some(quote.clone()));
                break;
            }
        }
        assert_eq!(chat.message(seq).await.reply_to, Some(quote.clone()));
        let stored: Option<i64> = on_store!(chat.app, |db| sqlx::query_scalar(
            "SELECT reply_to_seq FROM messages WHERE seq = $1 AND body = 'I agree'",
        )
        .bind(seq)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(stored, Some(parent));

        // The quote follows the parent: an edit...
        let op = a.op(&chat.room, parent, edit("a new first line")).await;
        a.until_done(op).await;
        assert_eq!(
            chat.message(seq).await.reply_to.map(|q| q.excerpt),
            Some("a new first line".into())
        );
        // ...and its deletion, in history as in the change's own answer.
        let op = a.op(&chat.room, parent, Change::Delete).await;
        a.until_done(op).await;
        let gone = Quote {
            excerpt: String::new(),
            deleted: true,
            ..quote
        };
        assert_eq!(chat.message(seq).await.reply_to, Some(gone.clone()));
        // A deleted message can still be answered; the quote says so.
        let id = reply(&mut b, &chat.room, parent, "too late").await;
        let late = b.until_acked(id).await;
        assert_eq!(chat.message(late).await.reply_to, Some(gone));
    })
}

#[test]
fn a_reply_to_no_message_of_the_room_is_refused() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut b = chat.follow(&chat.bob).await;
        // Bob's own room, with five messages (seqs 1 to 5); in Ann's room,
        // seqs 1 and 2 are Bob's and Cat's joining, and 3 is a message.
        let elsewhere = chat.app.room_with(&chat.bob, &[]).await;
        let mut there = 0;
        for i in 0..5 {
            there = b.say_stored(&elsewhere, &format!("elsewhere {i}")).await;
        }
        let here = b.say_stored(&chat.room, "here").await;
        assert_eq!((here, there), (3, 5));
        // No seq that high; a seq that is a joining, not a message; and
        // the seq of a message of another room only.
        for parent in [here + 50, 1, there] {
            let id = reply(&mut b, &chat.room, parent, "to nothing").await;
            loop {
                match b.next().await {
                    ServerEvent::Error {
                        code,
                        client_msg_id,
                        message,
                        ..
                    } if client_msg_id == Some(id) => {
                        assert_eq!(code, ErrorCode::Invalid, "{parent}: {message}");
                        break;
                    }
                    ServerEvent::Ack { client_msg_id, .. } if client_msg_id == id => {
                        panic!("a reply to {parent} was stored")
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(
            chat.app.count("messages WHERE body = 'to nothing'").await,
            0
        );
        assert_eq!(chat.last_seq().await, here);
    })
}
