//! Files attached to messages, against the real server: pictures
//! re-encoded upright without their metadata, with a thumbnail; every
//! other file (SVG, HTML, polyglots, a wrong extension) a download that
//! can never run as a page; limits that refuse with a sentence or, for a
//! picture too big to decode, attach it as a plain file; access checked at
//! each request (a removed member loses it at once); `Range` and `ETag`;
//! and files gone from disk once no message names them.

use std::io::Cursor;
use std::time::Duration;

use hearth::model::{Attachment, ChatMessage, ClientEvent, ServerEvent};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

/// Uploads `bytes` as `name` to `room` for `p`.
pub(crate) async fn upload(
    app: &TestApp,
    p: &Person,
    room: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    p.client
        .post(app.url(&format!("/api/rooms/{room}/attachments")))
        .multipart(form)
        .send()
        .await
        .expect("upload answered")
}

pub(crate) async fn uploaded(
    app: &TestApp,
    p: &Person,
    room: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Attachment {
    let res = upload(app, p, room, name, bytes).await;
    assert_eq!(res.status(), 200, "upload of {name}");
    res.json().await.expect("an attachment")
}

/// Sends `files` with `body` over `ws` and returns the stored message as
/// its sender hears it (the `message` may come before the `ack`).
pub(crate) async fn send_files(
    ws: &mut WsClient,
    room: &str,
    body: &str,
    files: &[&Attachment],
) -> ChatMessage {
    let id = send(ws, room, body, files.iter().map(|f| f.id.clone()).collect()).await;
    let (mut seq, mut heard) = (None, Vec::new());
    loop {
        match ws.next().await {
            ServerEvent::Ack {
                client_msg_id,
                seq: s,
                ..
            } if client_msg_id == id => seq = Some(s),
            ServerEvent::Message { message } => heard.push(message),
            e @ ServerEvent::Error { .. } => panic!("refused: {e:?}"),
            _ => {}
        }
        if let Some(seq) = seq
            && let Some(m) = heard.iter().find(|m| m.seq == seq)
        {
            return m.clone();
        }
    }
}

async fn send(ws: &mut WsClient, room: &str, body: &str, attachments: Vec<String>) -> Uuid {
    let id = Uuid::new_v4();
    ws.send(&ClientEvent::Send {
        room: room.into(),
        client_msg_id: id,
        body: body.into(),
        reply_to: None,
        attachments,
    })
    .await;
    id
}

/// The error a send `id` was refused with.
async fn refused(ws: &mut WsClient, id: Uuid) -> String {
    loop {
        match ws.next().await {
            ServerEvent::Error {
                client_msg_id: Some(m),
                message,
                ..
            } if m == id => return message,
            ServerEvent::Ack { client_msg_id, .. } if client_msg_id == id => {
                panic!("{id} was stored")
            }
            _ => {}
        }
    }
}

async fn get(p: &Person, app: &TestApp, url: &str) -> reqwest::Response {
    p.client.get(app.url(url)).send().await.expect("answered")
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    crate::avatars::png(w, h)
}

/// A JPEG `w`×`h` whose EXIF says to turn it a quarter clockwise
/// (orientation 6), and which carries a GPS position in its metadata.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([x as u8, 40, 200]));
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    // TIFF, big-endian: one IFD entry, Orientation (0x0112), SHORT, 6.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[
        0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    tiff.extend_from_slice(b"GPSLatitude 48.8584 N GPSLongitude 2.2945 E");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

struct Room {
    app: TestApp,
    ann: Person,
    bob: Person,
    room: String,
}

async fn room_with_bob(tweak: impl FnOnce(&mut hearth::server::config::Config)) -> Room {
    let app = TestApp::spawn_with(tweak).await;
    let ann = app.person("ann").await;
    let bob = app.person("bob").await;
    let room = app.room_with(&ann, &[&bob]).await;
    Room {
        app,
        ann,
        bob,
        room,
    }
}

#[test]
fn pictures_are_re_encoded_upright_without_metadata_with_a_thumbnail() {
    crate::helpers::run(async {
        let Room {
            app,
            ann,
            bob,
            room,
        } = room_with_bob(|_| {}).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let mut b = WsClient::following(&app, &bob, &room).await;

        let photo = uploaded(&app, &ann, &room, "holiday.jpg", jpeg_with_exif(40, 30)).await;
        let image = photo.image.clone().expect("shown as a picture");
        assert_eq!((image.width, image.height), (30, 40), "turned upright");
        assert_eq!(photo.content_type, "image/jpeg");
        let wide = uploaded(&app, &ann, &room, "../../wide.png", png(1600, 900)).await;
        assert_eq!(wide.name, "wide.png", "no folders in a name");
        let thumb = wide.image.clone().unwrap();
        assert_eq!((thumb.thumb_width, thumb.thumb_height), (400, 225));

        let sent = send_files(&mut a, &room, "", &[&photo, &wide]).await;
        assert_eq!(sent.body, "", "files alone make a message");
        assert_eq!(sent.attachments, vec![photo.clone(), wide.clone()]);
        let heard = loop {
            if let ServerEvent::Message { message } = b.next().await {
                break message;
            }
        };
        assert_eq!(heard.attachments, sent.attachments, "live");
        let history: Vec<ChatMessage> = app
            .call(&bob.client, "history", &[("room", &room), ("limit", "100")])
            .await
            .json()
            .await
            .unwrap();
        let stored = history.iter().find(|m| m.seq == sent.seq).unwrap();
        assert_eq!(stored.attachments, sent.attachments, "history");

        let res = get(&bob, &app, &photo.url).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "image/jpeg");
        assert!(header(&res, "content-disposition").starts_with("inline"));
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert!(header(&res, "content-security-policy").contains("sandbox"));
        assert!(header(&res, "cache-control").contains("private"));
        let bytes = res.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, photo.size);
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (30, 40));
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("Exif") && !text.contains("GPS"),
            "metadata dropped"
        );

        let res = get(&bob, &app, &thumb.thumb_url).await;
        assert_eq!(res.status(), 200);
        let small = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((small.width(), small.height()), (400, 225));
    })
}

#[test]
fn every_other_file_is_a_download_that_never_runs() {
    crate::helpers::run(async {
        let Room {
            app,
            ann,
            bob,
            room,
        } = room_with_bob(|_| {}).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let hostile: [(&str, &[u8]); 4] = [
            ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><script>alert(2)</script></svg>"),
            ("page.html", b"<!doctype html><script>fetch('/api/me')</script>"),
            // A GIF header, then a script: a polyglot.
            ("cat.gif", b"GIF89a/*\x01\x00\x01\x00*/=1;alert(document.cookie)//<script>alert(3)</script>"),
            // HTML wearing a picture's name.
            ("photo.png", b"<html><body onload=alert(4)>hi</body></html>"),
        ];
        let mut files = Vec::new();
        for (name, bytes) in hostile {
            let file = uploaded(&app, &ann, &room, name, bytes.to_vec()).await;
            assert!(file.image.is_none(), "{name} is not shown as a picture");
            assert_eq!(file.content_type, "application/octet-stream", "{name}");
            assert_eq!(file.size, bytes.len() as u64);
            files.push(file);
        }
        let refs: Vec<&Attachment> = files.iter().collect();
        send_files(&mut a, &room, "look", &refs).await;
        for file in &files {
            let res = get(&bob, &app, &file.url).await;
            assert_eq!(res.status(), 200, "{}", file.name);
            assert_eq!(header(&res, "content-type"), "application/octet-stream");
            assert!(
                header(&res, "content-disposition").starts_with("attachment;"),
                "{}",
                file.name
            );
            assert!(header(&res, "content-disposition").contains(&file.name));
            assert_eq!(header(&res, "x-content-type-options"), "nosniff");
            assert_eq!(
                header(&res, "content-security-policy"),
                "default-src 'none'; sandbox"
            );
            let res = get(&bob, &app, &format!("{}/thumb", file.url)).await;
            assert_eq!(res.status(), 404, "no thumbnail of {}", file.name);
        }
    })
}

#[test]
fn limits_refuse_with_a_reason_and_a_picture_too_big_is_a_plain_file() {
    crate::helpers::run(async {
        let Room {
            app,
            ann,
            bob,
            room,
        } = room_with_bob(|c| {
            c.limits.max_attachment_bytes = 64 * 1024;
        })
        .await;
        let res = upload(&app, &ann, &room, "big.bin", vec![7; 65 * 1024]).await;
        assert_eq!(res.status(), 413);
        let error: Value = res.json().await.unwrap();
        assert!(
            error.to_string().contains("64 KiB") || error.to_string().contains("limit"),
            "{error}"
        );

        let res = upload(&app, &ann, &room, "empty.txt", Vec::new()).await;
        assert_eq!(res.status(), 400);

        let stranger = app.person("eve").await;
        let res = upload(&app, &stranger, &room, "x.txt", b"hi".to_vec()).await;
        assert_eq!(res.status(), 403, "only members attach");

        // A few dozen bytes that claim 30,000 × 30,000 pixels: never
        // decoded, kept as the file it is.
        let bomb = crate::avatars::png_claiming(30_000, 30_000);
        let file = uploaded(&app, &ann, &room, "bomb.png", bomb.clone()).await;
        assert!(file.image.is_none());
        assert_eq!(file.size, bomb.len() as u64);

        // Eleven files, one message: refused, nothing sent.
        let mut a = WsClient::following(&app, &ann, &room).await;
        let mut many = Vec::new();
        for n in 0..11 {
            many.push(uploaded(&app, &ann, &room, &format!("{n}.txt"), vec![b'a' + n]).await);
        }
        let id = send(
            &mut a,
            &room,
            "all",
            many.iter().map(|f| f.id.clone()).collect(),
        )
        .await;
        assert!(refused(&mut a, id).await.contains("at most 10 files"));

        // Someone else's upload cannot be sent by Bob.
        let mut b = WsClient::following(&app, &bob, &room).await;
        let id = send(&mut b, &room, "mine now", vec![file.id.clone()]).await;
        assert!(refused(&mut b, id).await.contains("attach it again"));
        assert_eq!(
            get(&bob, &app, &file.url).await.status(),
            404,
            "unsent: the uploader's only"
        );
    })
}

#[test]
fn access_is_checked_at_each_request_and_downloads_resume() {
    crate::helpers::run(async {
        let Room {
            app,
            ann,
            bob,
            room,
        } = room_with_bob(|_| {}).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let bytes: Vec<u8> = (0..5000u32).map(|n| (n % 251) as u8).collect();
        let file = uploaded(&app, &ann, &room, "notes.bin", bytes.clone()).await;
        send_files(&mut a, &room, "notes", &[&file]).await;

        let res = get(&bob, &app, &file.url).await;
        assert_eq!(res.status(), 200);
        let etag = header(&res, "etag").to_owned();
        assert!(etag.starts_with('"'));
        let res = bob
            .client
            .get(app.url(&file.url))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304);
        let res = bob
            .client
            .get(app.url(&file.url))
            .header("range", "bytes=100-199")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 206);
        assert_eq!(header(&res, "content-range"), "bytes 100-199/5000");
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[100..200]);

        let anonymous = app.client();
        let res = anonymous.get(app.url(&file.url)).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let eve = app.person("eve").await;
        assert_eq!(
            get(&eve, &app, &file.url).await.status(),
            404,
            "not a member"
        );

        let res = app
            .call(
                &ann.client,
                "ban_member",
                &[("room", &room), ("user_id", &bob.id.0.to_string())],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            get(&bob, &app, &file.url).await.status(),
            404,
            "removed: at once"
        );
    })
}

#[test]
fn files_leave_the_disk_when_no_message_names_them() {
    crate::helpers::run(async {
        let Room { app, ann, room, .. } = room_with_bob(|_| {}).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let on_disk = || app.state.files.all().unwrap().len();
        let first = uploaded(&app, &ann, &room, "a.txt", b"same bytes".to_vec()).await;
        let second = uploaded(&app, &ann, &room, "b.txt", b"same bytes".to_vec()).await;
        assert_eq!(on_disk(), 1, "kept once by content");
        let one = send_files(&mut a, &room, "one", &[&first]).await;
        let two = send_files(&mut a, &room, "two", &[&second]).await;

        let deleted = a.op(&room, one.seq, hearth::model::Change::Delete).await;
        let (_, message) = a.until_done(deleted).await;
        assert!(
            message.attachments.is_empty(),
            "a deleted message has no files"
        );
        assert_eq!(get(&ann, &app, &first.url).await.status(), 404);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(on_disk(), 1, "still named by the second message");
        assert_eq!(get(&ann, &app, &second.url).await.status(), 200);

        let deleted = a.op(&room, two.seq, hearth::model::Change::Delete).await;
        a.until_done(deleted).await;
        for _ in 0..100 {
            if on_disk() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(on_disk(), 0, "nothing names it: gone from disk");
        assert_eq!(app.count("attachments").await, 0);
    })
}

#[test]
fn the_composer_without_javascript_sends_files_as_a_plain_form() {
    crate::helpers::run(async {
        let Room {
            app,
            ann,
            bob,
            room,
        } = room_with_bob(|_| {}).await;
        let form = reqwest::multipart::Form::new()
            .text("body", "minutes attached")
            .part(
                "file",
                reqwest::multipart::Part::bytes(png(64, 48)).file_name("chart.png"),
            )
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"agenda".to_vec()).file_name("agenda.txt"),
            )
            // What a browser sends when no file was chosen in a field.
            .part(
                "file",
                reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
            );
        let res = ann
            .client
            .post(app.url(&format!("/api/rooms/{room}/messages")))
            .header("accept", "text/html")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let to = header(&res, "location").to_owned();
        assert!(to.starts_with(&format!("/r/{room}#m")), "{to}");

        let history: Vec<ChatMessage> = app
            .call(&bob.client, "history", &[("room", &room), ("limit", "100")])
            .await
            .json()
            .await
            .unwrap();
        let sent = history.last().unwrap();
        assert_eq!(sent.body, "minutes attached");
        let names: Vec<&str> = sent.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["chart.png", "agenda.txt"]);
        assert!(sent.attachments[0].image.is_some());

        // The page shows the thumbnail and the download before any script.
        let page = app.page(&bob.client, &format!("/r/{room}")).await;
        assert!(page.contains("alt=\"chart.png\""), "thumbnail");
        assert!(page.contains(">agenda.txt</a>"), "download link");

        // Nothing to send: a page that says so, and nothing stored.
        let res = ann
            .client
            .post(app.url(&format!("/api/rooms/{room}/messages")))
            .multipart(reqwest::multipart::Form::new().text("body", "  "))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("was not sent") && page.contains("empty"),
            "{page}"
        );
        assert!(page.contains(&format!("href=\"/r/{room}\"")));
    })
}
