//! Formatting: a body is rendered on the server when it is sent and each
//! time it is edited; every reader gets the same cleaned HTML, live and in
//! history; a deletion takes it away; and messages stored before a newer
//! renderer are rendered again when the server starts.

use std::time::Duration;

use hearth::model::{Change, ServerEvent};
use hearth::server::markdown::{LINK_REL, RENDERER};

use super::{Chat, edit};

#[test]
fn a_message_is_rendered_once_and_everyone_gets_it() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let source =
            "**bold** <script>alert(1)</script> [x](javascript:alert(1)) https://example.com";
        let seq = a.say_stored(&chat.room, source).await;
        let live = loop {
            if let ServerEvent::Message { message } = b.next().await
                && message.seq == seq
            {
                break message;
            }
        };
        assert_eq!(live.body, source, "the source is kept as typed");
        let html = &live.html;
        assert!(
            html.starts_with("<p><strong>bold</strong> &lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("javascript"), "the link is gone: {html}");
        assert!(
            html.contains(&format!(
                "<a href=\"https://example.com\" target=\"_blank\" rel=\"{LINK_REL}\">"
            )),
            "{html}"
        );
        assert_eq!(chat.message(seq).await, live, "history agrees");
        let (stored, by): (String, i64) = on_store!(chat.app, |db| sqlx::query_as(
            "SELECT body_html, rendered_by FROM messages WHERE seq = $1"
        )
        .bind(seq)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!((stored.as_str(), by), (html.as_str(), RENDERER));
    });
}

#[test]
fn an_edit_renders_again_and_a_deletion_takes_the_html_away() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = a.say_stored(&chat.room, "plain at first").await;
        assert_eq!(chat.message(seq).await.html, "<p>plain at first</p>");

        let id = a.op(&chat.room, seq, edit("*now* `code`\n> quoted")).await;
        let (_, done) = a.until_done(id).await;
        assert_eq!(
            done.html,
            "<p><em>now</em> <code>code</code></p>\n<blockquote>\n<p>quoted</p>\n</blockquote>"
        );
        loop {
            if let ServerEvent::MessageEdited { message, .. } = b.next().await {
                assert_eq!(message.html, done.html, "the room hears the new HTML");
                break;
            }
        }
        assert_eq!(chat.message(seq).await, done);

        let id = a.op(&chat.room, seq, Change::Delete).await;
        let (_, gone) = a.until_done(id).await;
        assert!(gone.deleted && gone.html.is_empty() && gone.body.is_empty());
        let stored: String = on_store!(chat.app, |db| sqlx::query_scalar(
            "SELECT body_html FROM messages WHERE seq = $1"
        )
        .bind(seq)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(stored, "", "nothing of the text is left in the row");
    });
}

#[test]
fn messages_from_before_are_rendered_again_at_start_up() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let mut a = chat.follow(&chat.ann).await;
        let seq = a.say_stored(&chat.room, "~~old~~ news").await;
        drop(a);
        // As a message stored before formatting existed.
        on_store!(chat.app, |db| sqlx::query(
            "UPDATE messages SET body_html = '', rendered_by = 0 WHERE seq = $1"
        )
        .bind(seq)
        .execute(db)
        .await
        .map(|done| done.rows_affected()))
        .unwrap();
        assert_eq!(chat.message(seq).await.html, "", "shown as text for now");

        let chat = chat.restarted().await;
        let mut html = String::new();
        for _ in 0..100 {
            html = chat.message(seq).await.html;
            if !html.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(html, "<p><del>old</del> news</p>");
    });
}
