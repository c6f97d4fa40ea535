//! Profile pictures: upload rules, storage, serving.

use std::io::Cursor;

use crate::helpers::{Person, TestApp};

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

pub fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, _| image::Rgb([x as u8 * 6, 10, 200]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

pub async fn upload(
    app: &TestApp,
    p: &Person,
    file_name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    try_upload(app, p, file_name, mime, bytes).await.unwrap()
}

/// An upload that may be cut off: the server refuses an oversized body with
/// 413 without reading it all, so a client still writing can see a broken
/// pipe instead of the answer.
pub async fn try_upload(
    app: &TestApp,
    p: &Person,
    file_name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .unwrap();
    let form = reqwest::multipart::Form::new().part("avatar", part);
    p.client
        .post(app.url("/api/avatar"))
        .header("accept", "application/json")
        .multipart(form)
        .send()
        .await
}

pub async fn avatar_column(app: &TestApp) -> Option<String> {
    on_store!(app, |db| sqlx::query_scalar("SELECT avatar FROM users")
        .fetch_one(db)
        .await)
    .unwrap()
}

pub fn stored_files(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(app.state.config.avatar_dir()) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => vec![],
    }
}

#[test]
fn each_accepted_format_becomes_a_256_square_png() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("mia").await;
        for format in [
            image::ImageFormat::Png,
            image::ImageFormat::Jpeg,
            image::ImageFormat::WebP,
            image::ImageFormat::Gif,
        ] {
            // The declared name and type are ignored; the bytes decide.
            let res = upload(
                &app,
                &p,
                "whatever.bin",
                "application/octet-stream",
                encoded(format),
            )
            .await;
            assert_eq!(res.status(), 200, "{format:?}");
            let body: serde_json::Value = res.json().await.unwrap();
            let url = body["avatar_url"].as_str().unwrap().to_owned();
            assert!(
                url.starts_with("/media/avatars/") && url.ends_with(".png"),
                "{url}"
            );

            let served = app.http.get(app.url(&url)).send().await.unwrap();
            assert_eq!(served.status(), 200);
            assert_eq!(served.headers()["content-type"], "image/png");
            assert_eq!(served.headers()["x-content-type-options"], "nosniff");
            assert!(
                served.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("max-age=31536000")
            );
            let img = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
            assert_eq!((img.width(), img.height()), (256, 256));
        }
        // Each replacement deleted the previous file.
        assert_eq!(stored_files(&app).len(), 1);
        assert_eq!(
            app.me(&p.client).await["avatar_url"],
            format!("/media/avatars/{}", stored_files(&app)[0])
        );
    })
}

#[test]
fn bad_uploads_are_refused_and_change_nothing() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("noah").await;
        let good = upload(&app, &p, "me.png", "image/png", png(64, 64)).await;
        assert_eq!(good.status(), 200);
        let before = avatar_column(&app).await;
        let svg =
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
        let mut truncated = png(300, 300);
        truncated.truncate(truncated.len() / 2);
        let huge_header = png_claiming(60000, 60000);
        let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
            (
                "evil.svg",
                "image/svg+xml",
                svg,
                400,
                "PNG, JPEG, WebP or GIF",
            ),
            (
                "notes.png",
                "image/png",
                b"just some text, honest".to_vec(),
                400,
                "PNG, JPEG, WebP or GIF",
            ),
            (
                "cut.png",
                "image/png",
                truncated,
                400,
                "damaged or incomplete",
            ),
            ("huge.png", "image/png", huge_header, 400, "too big"),
            ("empty.png", "image/png", vec![], 400, "Choose a picture"),
            (
                "big.png",
                "image/png",
                vec![0x89; 10 * 1024 * 1024],
                413,
                "too large",
            ),
        ];
        for (name, mime, bytes, status, says) in cases {
            match try_upload(&app, &p, name, mime, bytes).await {
                Ok(res) => {
                    assert_eq!(res.status(), status, "{name}");
                    let text = res.text().await.unwrap();
                    assert!(text.contains(says), "{name}: {text}");
                }
                Err(e) => assert!(status == 413 && e.is_request(), "{name}: {e:?}"),
            }
            assert_eq!(avatar_column(&app).await, before, "{name} changed nothing");
            assert_eq!(stored_files(&app).len(), 1, "{name} left no file");
        }
    })
}

#[test]
fn uploading_needs_a_login() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let part = reqwest::multipart::Part::bytes(png(8, 8)).file_name("a.png");
        let res = app
            .http
            .post(app.url("/api/avatar"))
            .multipart(reqwest::multipart::Form::new().part("avatar", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    })
}

#[test]
fn nothing_outside_the_avatar_directory_is_served() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        for path in [
            "/media/avatars/..%2Fhearth.db",
            "/media/avatars/../hearth.db",
            "/media/avatars/%2e%2e%2fhearth.db",
            "/media/avatars/hearth.db",
            "/media/avatars/aaaaaaaaaaaaaaaaaaaaaa.png",
        ] {
            let res = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
        }
    })
}

#[test]
fn the_form_works_without_javascript() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("olga").await;
        let part =
            reqwest::multipart::Part::bytes(b"GIF89a-not-really".to_vec()).file_name("x.gif");
        let res = p
            .client
            .post(app.url("/api/avatar"))
            .header("accept", "text/html")
            .multipart(reqwest::multipart::Form::new().part("avatar", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/settings?avatar_error="), "{to}");
        let page = app.page(&p.client, &to).await;
        assert!(
            page.contains("role=\"alert\""),
            "the settings page shows the error"
        );
        assert_eq!(to, "/settings?avatar_error=unusable", "a code, not text");
        assert!(page.contains("PNG, JPEG, WebP or GIF"));

        // A link carrying words of its own shows only ours.
        let forged = app
            .page(
                &p.client,
                "/settings?avatar_error=Your%20account%20is%20locked.%20Call%20us",
            )
            .await;
        assert!(!forged.contains("Call us"));
        assert!(forged.contains("could not be saved"));
    })
}

/// A PNG whose header claims `w`×`h` pixels, in a few dozen bytes: a
/// decompression bomb if anyone believed it.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png(1, 1);
    // IHDR's data starts at 16: width, height; its CRC follows the 13 bytes.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// PNG's chunk checksum (CRC-32, IEEE).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Every picture on a room page is named once: the header's by the person's
/// name, while those beside a written name (messages, members) are hidden
/// from screen readers rather than read twice.
#[test]
fn pictures_beside_a_name_are_not_read_twice() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = crate::world::create_room(&app, &ann, "Pictures").await;
        let mut ws = crate::ws_client::WsClient::connect(&app, &ann).await;
        ws.say(&room, "hello").await;
        assert!(matches!(
            ws.next().await,
            hearth::model::ServerEvent::Ack { .. }
        ));

        let html = app.page(&ann.client, &format!("/r/{room}")).await;
        let avatars: Vec<&str> = html
            .split("<span ")
            .skip(1)
            .map(|tag| &tag[..tag.find('>').unwrap()])
            .filter(|attrs| attrs.contains("class=\"avatar "))
            .collect();
        let named: Vec<_> = avatars
            .iter()
            .filter(|a| a.contains("role=\"img\" aria-label=\"ann\""))
            .collect();
        let hidden: Vec<_> = avatars
            .iter()
            .filter(|a| a.contains("aria-hidden=\"true\"") && !a.contains("aria-label"))
            .collect();
        assert_eq!(named.len(), 1, "the header's: {avatars:#?}");
        assert!(named[0].contains("avatar-sm initials hue-"), "{named:?}");
        assert_eq!(
            hidden.len(),
            2,
            "the message's and the member list's: {avatars:#?}"
        );
        assert_eq!(avatars.len(), 3, "{avatars:#?}");
    })
}

/// Audit finding 3: decoding is bounded. With every decoder busy an upload
/// is turned away at once, and each person has an upload rate.
#[test]
fn uploads_are_bounded_in_concurrency_and_rate() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.avatar_uploads_per_hour = 2).await;
        let p = app.person("olga").await;
        let all = app.state.decoders.available_permits() as u32;
        let held = app
            .state
            .decoders
            .clone()
            .acquire_many_owned(all)
            .await
            .unwrap();
        let busy = upload(&app, &p, "me.png", "image/png", png(64, 64)).await;
        assert_eq!(busy.status(), 503);
        assert!(busy.text().await.unwrap().contains("busy"));
        assert_eq!(avatar_column(&app).await, None);
        drop(held);

        let ok = upload(&app, &p, "me.png", "image/png", png(64, 64)).await;
        assert_eq!(ok.status(), 200);
        let limited = upload(&app, &p, "me.png", "image/png", png(64, 64)).await;
        assert_eq!(limited.status(), 429, "two an hour, the busy one included");
        assert!(limited.headers().contains_key("retry-after"));
        assert_eq!(stored_files(&app).len(), 1);
    })
}
