//! Search against the real server on both stores: parts of words and text
//! without spaces, what a query may not find (other people's rooms, rooms
//! left or removed from, deleted messages, earlier texts), the filters,
//! and hostile queries that must each get an answer, never an error.

use hearth::model::Change;
use hearth::model::search::SearchHit;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

/// What `person` finds for `q`: the status, and each hit's snippet.
async fn search(app: &TestApp, person: &Person, q: &str) -> (u16, Vec<SearchHit>) {
    let res = app.call(&person.client, "search", &[("q", q)]).await;
    let status = res.status().as_u16();
    if status != 200 {
        return (status, vec![]);
    }
    (status, res.json().await.unwrap())
}

async fn snippets(app: &TestApp, person: &Person, q: &str) -> Vec<String> {
    let (status, hits) = search(app, person, q).await;
    assert_eq!(status, 200, "{q}");
    hits.into_iter().map(|h| h.snippet).collect()
}

#[test]
fn parts_of_words_and_unspaced_scripts_are_found_newest_first() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut ws = WsClient::following(&app, &ann, &room).await;
        for body in [
            "the deployment finished",
            "東京タワーへ行く",
            "example.com is down",
            "don't panic",
            "Redeploy at <b>noon</b>",
        ] {
            ws.say_stored(&room, body).await;
        }
        assert_eq!(
            snippets(&app, &ann, "ploy").await,
            [
                "Rede<mark>ploy</mark> at &lt;b&gt;noon&lt;/b&gt;",
                "the de<mark>ploy</mark>ment finished"
            ],
            "newest first, escaped, marked"
        );
        assert_eq!(
            snippets(&app, &ann, "DEPLOYMENT").await.len(),
            1,
            "any case"
        );
        assert_eq!(
            snippets(&app, &ann, "タワー").await,
            ["東京<mark>タワー</mark>へ行く"]
        );
        assert_eq!(
            snippets(&app, &ann, "東京").await.len(),
            1,
            "two characters"
        );
        assert_eq!(snippets(&app, &ann, "example.com").await.len(), 1);
        assert_eq!(snippets(&app, &ann, "don't").await.len(), 1);
        assert_eq!(
            snippets(&app, &ann, "n'").await.len(),
            1,
            "shorter than a trigram"
        );
        assert_eq!(
            snippets(&app, &ann, "deploy finished").await.len(),
            1,
            "every word"
        );
        assert_eq!(
            snippets(&app, &ann, "\"is down\"").await.len(),
            1,
            "a phrase"
        );
        assert!(snippets(&app, &ann, "\"down is\"").await.is_empty());
    })
}

#[test]
fn only_rooms_you_are_in_now_are_searched() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let cat = app.person("cat").await;
        let shared = app.room_with(&ann, &[&bob, &cat]).await;
        let private = app.room_with(&ann, &[]).await;
        let mut ws = WsClient::following(&app, &ann, &shared).await;
        ws.say_stored(&shared, "quarterly numbers, shared").await;
        ws.say_stored(&private, "quarterly numbers, private").await;

        assert_eq!(snippets(&app, &ann, "quarterly").await.len(), 2);
        assert_eq!(
            snippets(&app, &bob, "quarterly").await,
            ["<mark>quarterly</mark> numbers, shared"]
        );
        let eve = app.person("eve").await;
        assert!(snippets(&app, &eve, "quarterly").await.is_empty());
        let res = app
            .call(&app.client(), "search", &[("q", "quarterly")])
            .await;
        assert_eq!(res.status(), 401, "logged out");

        // Leaving, or being removed, ends it at once.
        let res = app
            .call(&bob.client, "leave_room", &[("room", &shared)])
            .await;
        assert_eq!(res.status(), 200);
        assert!(snippets(&app, &bob, "quarterly").await.is_empty());
        let res = app
            .call(
                &ann.client,
                "ban_member",
                &[("room", &shared), ("user_id", &cat.id.0.to_string())],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(snippets(&app, &cat, "quarterly").await.is_empty());
    })
}

#[test]
fn edits_are_found_by_their_new_text_and_deletions_not_at_all() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut ws = WsClient::following(&app, &ann, &room).await;
        let first = ws.say_stored(&room, "original wording").await;
        let second = ws.say_stored(&room, "soon deleted wording").await;
        let id = ws
            .op(
                &room,
                first,
                Change::Edit {
                    body: "revised phrasing".into(),
                },
            )
            .await;
        ws.until_done(id).await;
        let id = ws.op(&room, second, Change::Delete).await;
        ws.until_done(id).await;

        assert!(
            snippets(&app, &ann, "original").await.is_empty(),
            "the earlier text"
        );
        assert_eq!(snippets(&app, &ann, "revised").await.len(), 1);
        assert!(snippets(&app, &ann, "deleted").await.is_empty());
        assert!(snippets(&app, &ann, "wording").await.is_empty());
    })
}

#[test]
fn filters_narrow_by_room_author_and_day() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let res = app
            .call(&ann.client, "create_room", &[("name", "Design team")])
            .await;
        let design: String = res.json().await.unwrap();
        let mut a = WsClient::following(&app, &ann, &room).await;
        let mut b = WsClient::following(&app, &bob, &room).await;
        a.say_stored(&room, "standup notes from ann").await;
        b.say_stored(&room, "standup notes from bob").await;
        a.say_stored(&design, "standup notes in design").await;

        assert_eq!(snippets(&app, &ann, "standup").await.len(), 3);
        assert_eq!(snippets(&app, &ann, "standup from:bob").await.len(), 1);
        assert_eq!(snippets(&app, &ann, "standup from:@BOB").await.len(), 1);
        assert_eq!(
            snippets(&app, &ann, "standup in:\"design team\"")
                .await
                .len(),
            1
        );
        assert_eq!(
            snippets(&app, &ann, "standup after:2000-01-01").await.len(),
            3
        );
        assert!(
            snippets(&app, &ann, "standup before:2000-01-01")
                .await
                .is_empty()
        );
        let (hits_status, hits) = search(&app, &ann, "standup in:\"design team\"").await;
        assert_eq!(hits_status, 200);
        assert_eq!(
            (
                hits[0].room.as_str(),
                hits[0].room_name.as_str(),
                hits[0].sender_name.as_str()
            ),
            (design.as_str(), "Design team", "ann")
        );
    })
}

#[test]
fn hostile_queries_get_an_answer_never_an_error() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut ws = WsClient::following(&app, &ann, &room).await;
        ws.say_stored(&room, "100% sure_thing a\\b \"quoted\" NEAR(x y) *star*")
            .await;
        let long = "x".repeat(501);
        let queries = [
            "\"",
            "\"\"",
            "\"unclosed",
            "*",
            "a*",
            "*star*",
            "NEAR(x y)",
            "NEAR",
            "x OR y",
            "x AND",
            "NOT x",
            "-x",
            "^x",
            "x:y",
            "{x y}",
            "(x",
            "x)",
            "col:x",
            "body:x",
            "100%",
            "%",
            "_",
            "sure_thing",
            "a\\b",
            "\\",
            "'",
            "''",
            "';--",
            "\u{0}",
            "\u{200b}",
            "\u{1F600}",
            "\u{202E}abc",
            "ﷺ",
            "𝔘𝔫𝔦",
            "\t",
            "after:2026-13-01 x",
            "in: x",
            long.as_str(),
        ];
        for q in queries {
            let (status, _) = search(&app, &ann, q).await;
            assert!(status == 200 || status == 400, "{q:?} answered {status}");
        }
        // The characters LIKE would read as wildcards are text.
        assert_eq!(snippets(&app, &ann, "100%").await.len(), 1);
        assert_eq!(
            snippets(&app, &ann, "s_r").await.len(),
            0,
            "_ is not any character"
        );
        assert_eq!(snippets(&app, &ann, "sure_thing").await.len(), 1);
        assert_eq!(snippets(&app, &ann, "NEAR(x").await.len(), 1);
        assert_eq!(snippets(&app, &ann, "\"\"quoted\"\"").await.len(), 0);
        let res = app
            .call(&ann.client, "search", &[("q", long.as_str())])
            .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("at most 500"));
        crate::hostile::healthy(&app).await;
    })
}
