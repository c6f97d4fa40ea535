//! Exports: a room's, for its admin, and one person's own messages, as a
//! zip of JSON Lines and the attached files, compared with the database;
//! and the command line's, which writes the same zip to a file.

use std::collections::HashMap;

#[allow(deprecated)]
use async_zip::base::read::mem::ZipFileReader;
use async_zip::base::read::stream::ZipFileReader as StreamReader;
use futures::AsyncReadExt;
use hearth::model::{Change, ChatMessage};
use serde_json::Value;

use crate::attachments::{send_files, uploaded};
use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

/// The zip's entries: name → bytes, read through its directory. Each is
/// also read front to back, as a tool unzipping from a pipe does
/// (`bsdtar -xf -`, Java's `ZipInputStream`), which works only when every
/// entry's header gives its size ahead of its data (no data descriptor:
/// bit 3 of the flags). (The in-memory reader is marked deprecated for a
/// `read1` module still taking shape; it reads fine.)
#[allow(deprecated)]
async fn unzip(bytes: Vec<u8>) -> HashMap<String, Vec<u8>> {
    let streamed = unzip_from_pipe(&bytes).await;
    let zip = ZipFileReader::new(bytes.clone())
        .await
        .expect("a whole zip");
    let mut out = HashMap::new();
    for i in 0..zip.file().entries().len() {
        let entry = &zip.file().entries()[i];
        let name = entry.filename().as_str().unwrap().to_owned();
        let at = usize::try_from(entry.header_offset()).unwrap();
        let flags = u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]);
        assert_eq!(flags & 0x8, 0, "{name}: its size comes after its data");
        let mut reader = zip.reader_with_entry(i).await.unwrap();
        let mut data = Vec::new();
        reader.read_to_end(&mut data).await.unwrap();
        out.insert(name, data);
    }
    assert_eq!(
        streamed, out,
        "read front to back, the zip holds what its directory says"
    );
    out
}

/// The entries read in order without the directory at the end.
async fn unzip_from_pipe(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut zip = StreamReader::new(futures::io::Cursor::new(bytes));
    let mut out = HashMap::new();
    while let Some(mut entry) = zip.next_with_entry().await.expect("an entry") {
        let name = entry
            .reader()
            .entry()
            .filename()
            .as_str()
            .unwrap()
            .to_owned();
        let mut data = Vec::new();
        entry.reader_mut().read_to_end(&mut data).await.unwrap();
        out.insert(name, data);
        zip = entry.done().await.expect("the entry ends where it says");
    }
    out
}

/// `who` downloads the export at `path`: a zip, unzipped.
async fn download(app: &TestApp, who: &Person, path: &str) -> HashMap<String, Vec<u8>> {
    let res = who.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    unzip(res.bytes().await.unwrap().to_vec()).await
}

/// Every message of the export, its parts read in order.
fn lines(entries: &HashMap<String, Vec<u8>>) -> Vec<Value> {
    let mut parts: Vec<&String> = entries
        .keys()
        .filter(|name| name.starts_with("messages/"))
        .collect();
    parts.sort();
    parts
        .into_iter()
        .flat_map(|name| {
            String::from_utf8(entries[name].clone())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect()
}

#[test]
fn a_room_export_holds_every_message_as_it_is_now_and_its_files() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut ws = WsClient::following(&app, &ann, &room).await;
        let first = ws.say_stored(&room, "first draft").await;
        let gone = ws.say_stored(&room, "to be deleted").await;
        let pdf = b"%PDF-1.4 a plan".to_vec();
        let file = uploaded(&app, &ann, &room, "plan.pdf", pdf.clone()).await;
        let with_file: ChatMessage = send_files(&mut ws, &room, "the plan", &[&file]).await;
        let op = ws
            .op(
                &room,
                first,
                Change::Edit {
                    body: "final text".into(),
                },
            )
            .await;
        ws.until_done(op).await;
        let op = ws.op(&room, gone, Change::Delete).await;
        ws.until_done(op).await;
        let mut bob_ws = WsClient::following(&app, &bob, &room).await;
        let op = bob_ws
            .op(
                &room,
                with_file.seq,
                Change::React {
                    emoji: "\u{1f44d}".into(),
                },
            )
            .await;
        bob_ws.until_done(op).await;

        let res = bob
            .client
            .get(app.url(&format!("/r/{room}/export")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "only the admin exports the room");
        let entries = download(&app, &ann, &format!("/r/{room}/export")).await;

        // Line for line what the database holds now.
        let stored: Vec<(i64, String, bool)> = on_store!(app, |db| sqlx::query_as(
            "SELECT seq, body, deleted_at IS NOT NULL FROM messages ORDER BY seq"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        let exported = lines(&entries);
        let got: Vec<(i64, String, bool)> = exported
            .iter()
            .map(|l| {
                (
                    l["seq"].as_i64().unwrap(),
                    l["body"].as_str().unwrap().to_owned(),
                    l["deleted"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        assert_eq!(got, stored);
        assert_eq!(exported[0]["body"], "final text");
        assert!(exported[0]["edited_at"].is_i64(), "the edit is there");
        assert_eq!(
            exported[1]["deleted"], true,
            "a tombstone, without its text"
        );
        let line = &exported[2];
        assert_eq!(line["reactions"][0]["emoji"], "\u{1f44d}");
        assert_eq!(line["reactions"][0]["users"][0], bob.id.0);
        let path = line["files"][0].as_str().unwrap();
        assert_eq!(path, format!("files/{}/plan.pdf", file.id));
        assert_eq!(entries[path], pdf, "the file itself, byte for byte");
        let about: Value = serde_json::from_slice(&entries["export.json"]).unwrap();
        assert_eq!(
            (about["messages"].as_i64(), about["files"].as_i64()),
            (Some(3), Some(1))
        );
        assert_eq!(about["format"], "hearth-export-2");

        // `hearth export --room`: the same function, to a file.
        let dest = tempfile::tempdir().unwrap();
        let file_path = dest.path().join("room.zip");
        let written = hearth::server::export::to_file(&app.state.config, &room, &file_path)
            .await
            .unwrap();
        assert_eq!((written.messages, written.files), (3, 1));
        let from_cli = unzip(std::fs::read(&file_path).unwrap()).await;
        assert_eq!(lines(&from_cli).len(), 3);
        assert_eq!(from_cli[path], pdf);
        let again = hearth::server::export::to_file(&app.state.config, &room, &file_path).await;
        assert!(again.is_err(), "an existing file is never overwritten");
    })
}

/// A long conversation comes in parts of one page each, in order, so no
/// entry grows with the room.
#[test]
fn a_long_room_is_exported_in_parts() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let page = hearth::server::db::export::PAGE;
        crate::unread::fill(&app, &room, &ann, page + 1).await;
        let entries = download(&app, &ann, &format!("/r/{room}/export")).await;
        let mut parts: Vec<&str> = entries
            .keys()
            .map(String::as_str)
            .filter(|n| n.starts_with("messages/"))
            .collect();
        parts.sort_unstable();
        assert_eq!(parts, ["messages/000001.jsonl", "messages/000002.jsonl"]);
        let seqs: Vec<i64> = lines(&entries)
            .iter()
            .map(|l| l["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs.len() as i64, page + 1);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in seq order");
        let about: Value = serde_json::from_slice(&entries["export.json"]).unwrap();
        assert_eq!(
            (about["messages"].as_i64(), about["parts"].as_i64()),
            (Some(page + 1), Some(2))
        );
    })
}

#[test]
fn everyone_exports_their_own_words_from_every_room() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let one = app.room_with(&ann, &[&bob]).await;
        let two = app.room_with(&bob, &[&ann]).await;
        let mut ann_ws = WsClient::connect(&app, &ann).await;
        let mut bob_ws = WsClient::connect(&app, &bob).await;
        ann_ws.say_stored(&one, "ann in one").await;
        bob_ws.say_stored(&one, "bob in one").await;
        let in_two = ann_ws.say_stored(&two, "ann in two").await;
        let op = bob_ws
            .op(
                &two,
                in_two,
                Change::React {
                    emoji: "\u{1f44d}".into(),
                },
            )
            .await;
        bob_ws.until_done(op).await;
        // Leaving a room does not take back what you wrote there.
        assert_eq!(
            app.call(&ann.client, "leave_room", &[("room", &two)])
                .await
                .status(),
            200
        );

        let entries = download(&app, &ann, "/settings/export").await;
        let bodies: Vec<String> = lines(&entries)
            .iter()
            .map(|l| l["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bodies, ["ann in one", "ann in two"]);
        // Her words, not the room she left as it is now.
        assert_eq!(lines(&entries)[1]["reactions"], Value::Null);
        let res = app
            .client()
            .get(app.url("/settings/export"))
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 200, "logged out, nothing");
    })
}
