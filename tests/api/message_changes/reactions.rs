//! Reactions: adding one that is there, or taking off one that is not,
//! changes nothing and says `done`; at most 20 distinct emoji a message;
//! only emoji, stored in their fully qualified spelling.

use hearth::model::{ErrorCode, MAX_REACTIONS, Reaction, ServerEvent};

use super::{Chat, react, unreact};

/// 21 distinct emoji, one more than a message may carry.
const EMOJI: [&str; 21] = [
    "\u{1f44d}",
    "\u{2764}\u{fe0f}",
    "\u{1f602}",
    "\u{1f62e}",
    "\u{1f622}",
    "\u{1f389}",
    "\u{1f64f}",
    "\u{1f525}",
    "\u{1f440}",
    "\u{2705}",
    "\u{1f680}",
    "\u{1f4af}",
    "\u{1f44f}",
    "\u{1f914}",
    "\u{1f60d}",
    "\u{1f60e}",
    "\u{1f64c}",
    "\u{1f4a1}",
    "\u{2b50}",
    "\u{1f355}",
    "\u{1f431}",
];

#[test]
fn toggling_a_reaction_is_idempotent() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = a.say_stored(&chat.room, "react to me").await;
        let thumbs = EMOJI[0];

        let id = b.op(&chat.room, seq, react(thumbs)).await;
        let (taken, message) = b.until_done(id).await;
        let taken = taken.expect("a new reaction takes a seq");
        let mine = vec![Reaction {
            emoji: thumbs.into(),
            users: vec![chat.bob.id],
        }];
        assert_eq!((message.revision, &message.reactions), (taken, &mine));
        // Ann's tab hears who reacted with what.
        loop {
            if let ServerEvent::ReactionAdded {
                seq: s,
                user_id,
                emoji,
                message,
                ..
            } = a.next().await
            {
                assert_eq!((s, user_id, emoji.as_str()), (taken, chat.bob.id, thumbs));
                assert_eq!(message.reactions, mine);
                break;
            }
        }

        // Again: "done", no seq, the same state (no "cannot react twice").
        let id = b.op(&chat.room, seq, react(thumbs)).await;
        assert_eq!(b.until_done(id).await, (None, message.clone()));
        assert_eq!(chat.last_seq().await, taken);

        // Ann adds hers to the same chip: one emoji, two people in order.
        let id = a.op(&chat.room, seq, react(thumbs)).await;
        let (_, both) = a.until_done(id).await;
        assert_eq!(
            both.reactions,
            vec![Reaction {
                emoji: thumbs.into(),
                users: vec![chat.bob.id, chat.ann.id],
            }]
        );

        // Taking it off, twice: the second changes nothing.
        let id = b.op(&chat.room, seq, unreact(thumbs)).await;
        let (off, now) = b.until_done(id).await;
        assert!(off.is_some());
        assert_eq!(now.reactions[0].users, vec![chat.ann.id]);
        let id = b.op(&chat.room, seq, unreact(thumbs)).await;
        assert_eq!(b.until_done(id).await, (None, now.clone()));
        assert_eq!(chat.message(seq).await, now, "history agrees");

        // Someone outside the room may not react.
        let eve = chat.app.person("eve").await;
        let mut e = crate::ws_client::WsClient::connect(&chat.app, &eve).await;
        let id = e.op(&chat.room, seq, react(thumbs)).await;
        assert_eq!(e.until_refused(id).await, ErrorCode::Forbidden);
    })
}

#[test]
fn at_most_twenty_distinct_emoji_and_only_emoji() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut b = chat.follow(&chat.bob).await;
        let mut c = chat.follow(&chat.cat).await;
        let seq = b.say_stored(&chat.room, "a popular message").await;
        assert_eq!(EMOJI.len(), MAX_REACTIONS + 1);
        for emoji in &EMOJI[..MAX_REACTIONS] {
            let id = b.op(&chat.room, seq, react(emoji)).await;
            assert!(b.until_done(id).await.0.is_some(), "{emoji}");
        }
        // The 21st distinct emoji is refused, from anyone, with a reason.
        let id = c.op(&chat.room, seq, react(EMOJI[MAX_REACTIONS])).await;
        match c.until_answer(id).await {
            ServerEvent::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::Invalid);
                assert!(message.contains("20"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // One already there is still welcome.
        let id = c.op(&chat.room, seq, react(EMOJI[3])).await;
        assert!(c.until_done(id).await.0.is_some());
        let stored = chat.message(seq).await;
        assert_eq!(stored.reactions.len(), MAX_REACTIONS);
        let order: Vec<&str> = stored.reactions.iter().map(|r| r.emoji.as_str()).collect();
        assert_eq!(order, EMOJI[..MAX_REACTIONS], "in the order first added");

        // Text, names and two emoji at once are not an emoji.
        let last = chat.last_seq().await;
        for not_one in ["hello", ":+1:", "", "\u{1f44d}\u{1f44d}", "a"] {
            let id = c.op(&chat.room, seq, react(not_one)).await;
            assert_eq!(c.until_refused(id).await, ErrorCode::Invalid, "{not_one:?}");
        }
        assert_eq!(chat.last_seq().await, last);
    })
}

#[test]
fn an_unqualified_emoji_is_stored_fully_qualified() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = b.say_stored(&chat.room, "love it").await;
        // U+2764 alone, as some keyboards type it.
        let id = b.op(&chat.room, seq, react("\u{2764}")).await;
        let (_, message) = b.until_done(id).await;
        assert_eq!(message.reactions[0].emoji, "\u{2764}\u{fe0f}");
        // Either spelling names the same reaction.
        let id = b.op(&chat.room, seq, react("\u{2764}\u{fe0f}")).await;
        assert_eq!(b.until_done(id).await.0, None);
        let id = b.op(&chat.room, seq, unreact("\u{2764}")).await;
        let (off, message) = b.until_done(id).await;
        assert!(off.is_some() && message.reactions.is_empty());
        let stored: Vec<String> = on_store!(chat.app, |db| sqlx::query_scalar(
            "SELECT DISTINCT detail FROM room_events WHERE detail IS NOT NULL"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        assert_eq!(stored, ["\u{2764}\u{fe0f}"]);
    })
}
