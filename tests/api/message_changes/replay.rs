//! A reader offline through a mix of every kind of change resumes with
//! `subscribe since_seq` and gets every event once, in seq order, with no
//! gap; applying them as the protocol says (keep the highest `revision`)
//! gives exactly what `history` gives. Deleted text is in no frame sent
//! after the deletion, however old the event a frame replays.

use hearth::model::{Change, ClientEvent, ServerEvent};
use uuid::Uuid;

use super::{Chat, Held, edit, react, unreact};
use crate::ws_client::WsClient;

/// Texts that are deleted in the scenario.
const SECRETS: [&str; 3] = ["secret-bob-1", "secret-bob-2", "secret-dan"];

/// `event` as its frame, to search for text.
fn frame(event: &ServerEvent) -> String {
    event.to_frame()
}

/// The event's `type`, as the wire spells it.
fn kind(event: &ServerEvent) -> String {
    serde_json::to_value(event).unwrap()["type"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The deleted texts `event`'s frame holds.
fn secrets_in(event: &ServerEvent) -> Vec<&'static str> {
    let text = frame(event);
    SECRETS.into_iter().filter(|s| text.contains(s)).collect()
}

#[test]
fn an_offline_reader_catches_up_with_every_kind_of_change() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let room = chat.room.as_str();
        let dan = chat.app.person("dan").await;
        let eve = chat.app.person("eve").await;
        chat.call(&eve, "join_room", &[]).await;
        // Ann's second tab stays online throughout, from after the three
        // joinings so far.
        let mut watcher = WsClient::connect(&chat.app, &chat.ann).await;
        watcher.subscribe(room, 0).await;
        assert_eq!(watcher.until_subscribed(room).await, [1, 2, 3]);
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;

        // Cat reads the start, then goes offline.
        let hello = a.say_stored(room, "hello, all").await;
        let secret = b.say_stored(room, SECRETS[0]).await;
        let mut cat = WsClient::connect(&chat.app, &chat.cat).await;
        cat.subscribe(room, 0).await;
        let mut held = Held::default();
        let mut cat_last = 0;
        for event in cat.replay(room).await {
            held.apply(&event);
            cat_last = event.log_seq().unwrap_or(cat_last);
        }
        while cat_last < secret {
            let event = cat.next().await;
            held.apply(&event);
            cat_last = event.log_seq().unwrap_or(cat_last);
        }
        drop(cat);

        // Everything else, while she is away.
        let plain = a.say_stored(room, "plain words").await;
        let id = b.op(room, secret, edit(SECRETS[1])).await;
        b.until_done(id).await;
        let id = a.op(room, hello, react("\u{1f44d}")).await;
        a.until_done(id).await;
        for change in [react("\u{1f389}"), unreact("\u{1f389}")] {
            let id = b.op(room, hello, change).await;
            b.until_done(id).await;
        }
        let reply = Uuid::new_v4();
        b.send(&ClientEvent::Send {
            room: room.into(),
            client_msg_id: reply,
            body: "replying to ann".into(),
            reply_to: Some(hello),
            attachments: Vec::new(),
        })
        .await;
        b.until_acked(reply).await;
        chat.call(&dan, "join_room", &[]).await;
        let mut d = WsClient::connect(&chat.app, &dan).await;
        let id = d.op(room, plain, react("\u{2764}")).await;
        d.until_done(id).await;
        let dans = d.say_stored(room, SECRETS[2]).await;
        // Bob deletes his own (with its earlier text), Ann as the admin
        // deletes Dan's.
        let id = b.op(room, secret, Change::Delete).await;
        b.until_done(id).await;
        let id = a.op(room, dans, Change::Delete).await;
        a.until_done(id).await;
        chat.call(&eve, "leave_room", &[]).await;
        chat.call(&chat.ann, "rename_room", &[("name", "Renamed")])
            .await;
        let bob_id = chat.bob.id.to_string();
        chat.call(&chat.ann, "make_admin", &[("user_id", &bob_id)])
            .await;
        // Bob, the admin now, deletes a message of Ann's with Dan's
        // reaction on it.
        let id = b.op(room, plain, Change::Delete).await;
        b.until_done(id).await;
        let last = a.say_stored(room, "that was a lot").await;
        assert_eq!(chat.last_seq().await, last);

        // Cat resumes: every event after what she had, once, in order.
        let mut cat = WsClient::connect(&chat.app, &chat.cat).await;
        cat.subscribe(room, cat_last).await;
        let replay = cat.replay(room).await;
        let seqs: Vec<i64> = replay.iter().filter_map(ServerEvent::log_seq).collect();
        assert_eq!(seqs, (cat_last + 1..=last).collect::<Vec<_>>());
        for event in &replay {
            held.apply(event);
            assert_eq!(secrets_in(event), Vec::<&str>::new(), "{}", frame(event));
        }
        assert_eq!(held.messages(), chat.history(&chat.cat).await);
        // Every kind of event was among them.
        let kinds: std::collections::BTreeSet<String> = replay.iter().map(kind).collect();
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            [
                "admin_changed",
                "member_joined",
                "member_left",
                "message",
                "message_deleted",
                "message_edited",
                "reaction_added",
                "reaction_removed",
                "room_renamed"
            ]
        );
        // Who did what, in order.
        let who: Vec<String> = replay
            .iter()
            .filter_map(|e| match e {
                ServerEvent::MemberJoined { member, .. } => {
                    Some(format!("{} joined", member.user.name))
                }
                ServerEvent::MemberLeft { user_id, .. } => Some(format!("{user_id} left")),
                ServerEvent::AdminChanged { user_id, .. } => Some(format!("{user_id} admin")),
                ServerEvent::RoomRenamed { name, .. } => Some(format!("named {name}")),
                ServerEvent::MessageDeleted { by, .. } => Some(format!("deleted by {by}")),
                _ => None,
            })
            .collect();
        assert_eq!(
            who,
            [
                "dan joined".to_owned(),
                format!("deleted by {}", chat.bob.id),
                format!("deleted by {}", chat.ann.id),
                format!("{} left", eve.id),
                "named Renamed".to_owned(),
                format!("{} admin", chat.bob.id),
                format!("deleted by {}", chat.bob.id),
            ]
        );

        // From the very start, old edits included: still no deleted text,
        // and the same end.
        let mut again = WsClient::connect(&chat.app, &chat.cat).await;
        again.subscribe(room, 0).await;
        let replay = again.replay(room).await;
        let seqs: Vec<i64> = replay.iter().filter_map(ServerEvent::log_seq).collect();
        assert_eq!(seqs, (1..=last).collect::<Vec<_>>());
        let mut from_scratch = Held::default();
        for event in &replay {
            from_scratch.apply(event);
            assert_eq!(secrets_in(event), Vec::<&str>::new(), "{}", frame(event));
        }
        assert!(
            replay
                .iter()
                .any(|e| matches!(e, ServerEvent::MessageEdited { message, .. } if message.seq == secret && message.deleted)),
            "the old edit is replayed as the message is now"
        );
        assert_eq!(from_scratch.messages(), chat.history(&chat.cat).await);

        // The tab that stayed online saw it all live, and no deleted text
        // after its deletion.
        let mut live = Held::default();
        let mut gone: Vec<&str> = vec![];
        let mut next = 4;
        while next <= last {
            let event = watcher.next().await;
            let Some(seq) = event.log_seq() else { continue };
            assert_eq!(seq, next, "live, in order, no gap");
            next += 1;
            let leaked: Vec<&str> = secrets_in(&event)
                .into_iter()
                .filter(|s| gone.contains(s))
                .collect();
            assert!(
                leaked.is_empty(),
                "{leaked:?} after deletion: {}",
                frame(&event)
            );
            if let ServerEvent::MessageDeleted { message, .. } = &event {
                match message.seq {
                    s if s == secret => gone.extend(&SECRETS[..2]),
                    s if s == dans => gone.push(SECRETS[2]),
                    _ => {}
                }
            }
            live.apply(&event);
        }
        assert_eq!(gone.len(), SECRETS.len());
        assert_eq!(live.messages(), chat.history(&chat.ann).await);
    })
}
