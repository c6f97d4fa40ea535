//! Exports: a room's whole conversation for its admin (`GET
//! /r/<room>/export`, `Export room`), or everything one person wrote, in
//! every room (`GET /settings/export`, `Export my messages`), and the same
//! room export from the command line (`hearth export --room <id> <file>`).
//!
//! An export is a zip (`archive.rs`), streamed as it is made:
//! - `messages/000001.jsonl`, `messages/000002.jsonl`, …: one message per
//!   line, in room and seq order across the parts, as the protocol's
//!   `message` is (current text, `edited_at`, tombstones, reactions, the
//!   reply's parent, the files), plus `files`: where each of its files is
//!   in the zip. A part is one page of messages (`db::export::PAGE`);
//! - `files/<id>/<name>`: each attached file, as stored;
//! - `export.json`: what was exported, when, by whom, and how many.
//!
//! Messages are read a page at a time; only the list of files to copy
//! (names, not bytes) grows with the export.

mod archive;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWrite;

use self::archive::{Archive, ZipError};
use super::auth::AuthUser;
use super::db::rooms::{RoomId, RoomRow};
use super::db::{self, Db};
use super::files::Files;
use super::wire::Wire;
use super::{AppState, access};
use crate::api::rooms::ssr::spend_action;
use crate::error::AppError;
use crate::model::{ChatMessage, User};

/// What an export holds.
pub enum Scope {
    /// A room's whole conversation.
    Room(RoomRow),
    /// Everything `User` wrote, in every room.
    Mine(User),
}

/// What an export needs, with or without a running server.
pub struct Sources<'a> {
    pub db: &'a Db,
    pub wire: &'a Wire,
    pub files: &'a Files,
}

/// `export.json`.
#[derive(Serialize)]
struct About<'a> {
    format: &'static str,
    exported_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    room: Option<AboutRoom<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a User>,
    messages: u64,
    /// How many `messages/` parts hold them.
    parts: u64,
    files: u64,
    /// Files a message named that were gone by the time they were copied
    /// (the message deleted meanwhile): their places in the zip.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<String>,
}

#[derive(Serialize)]
struct AboutRoom<'a> {
    id: &'a str,
    name: &'a str,
    topic: Option<&'a str>,
}

/// One line of a `messages/` part.
#[derive(Serialize)]
struct Line {
    #[serde(flatten)]
    message: ChatMessage,
    /// Where each of the message's files is in the zip, in order.
    files: Vec<String>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub messages: u64,
    pub parts: u64,
    pub files: u64,
}

/// Writes the export of `scope` to `out` as it reads it.
pub async fn write<W: AsyncWrite + Unpin>(
    from: &Sources<'_>,
    scope: &Scope,
    out: W,
) -> Result<Written, ExportError> {
    let made = db::now_ms();
    let mut zip = Archive::new(out, made);
    let mut written = Written::default();
    // The files to copy once the messages are written: (zip path, disk).
    let mut to_copy: Vec<(String, PathBuf)> = Vec::new();
    // Each room's public id, and whether the exporter may see it now: in
    // a room they left, their own export keeps their words, not the room's
    // current replies and reactions.
    let rooms: Vec<(RoomId, String, bool)> = match scope {
        Scope::Room(room) => vec![(room.id, room.public_id.to_string(), true)],
        Scope::Mine(user) => db::export::rooms_written_in(from.db.read(), user.id)
            .await?
            .into_iter()
            .map(|r| (r.id, r.public_id, r.is_member))
            .collect(),
    };
    let room_of = |id: RoomId| rooms.iter().find(|(r, ..)| *r == id);
    let mut after = (RoomId(0), 0);
    loop {
        let page = match scope {
            Scope::Room(room) => db::export::room_page(from.db, room.id, after.1).await?,
            Scope::Mine(user) => db::export::own_page(from.db, user.id, after).await?,
        };
        let Some((last_room, last)) = page.last().map(|(r, m)| (*r, m.seq)) else {
            break;
        };
        let mut lines = Vec::with_capacity(page.len());
        for (room, row) in page {
            let mut files = Vec::with_capacity(row.attachments.len());
            for file in &row.attachments {
                let Some(path) = from.files.path(&file.sha256) else {
                    continue;
                };
                let name = format!("files/{}/{}", file.public_id, zip_name(&file.name));
                to_copy.push((name.clone(), path));
                files.push(name);
            }
            let (public_id, sees_room) =
                room_of(room).map_or(("", false), |(_, p, m)| (p.as_str(), *m));
            let mut message = from.wire.message(public_id, row);
            if !sees_room {
                message.reply_to = None;
                message.reactions.clear();
            }
            lines.push(Line { message, files });
        }
        written.messages += lines.len() as u64;
        written.parts += 1;
        let part = format!("messages/{:06}.jsonl", written.parts);
        zip.json_lines(&part, lines).await?;
        after = (last_room, last);
    }
    let mut missing = Vec::new();
    for (name, path) in to_copy {
        if zip.file(&name, &path).await? {
            written.files += 1;
        } else {
            tracing::warn!("export: {} is gone; listed as missing", path.display());
            missing.push(name);
        }
    }
    let about = About {
        format: "hearth-export-2",
        exported_at: made,
        room: match scope {
            Scope::Room(room) => Some(AboutRoom {
                id: room.public_id.as_str(),
                name: &room.name,
                topic: room.topic.as_deref(),
            }),
            Scope::Mine(_) => None,
        },
        author: match scope {
            Scope::Mine(user) => Some(user),
            Scope::Room(_) => None,
        },
        messages: written.messages,
        parts: written.parts,
        files: written.files,
        missing,
    };
    zip.json("export.json", &about).await?;
    zip.finish().await?;
    Ok(written)
}

/// A file's name as a zip entry's last part: no folders, nothing a zip
/// tool could take for a path (the stored name is cleaned already).
fn zip_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.trim_matches('.') {
        "" => "file".to_owned(),
        _ => cleaned,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not read the database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("could not write the zip: {0}")]
    Zip(#[from] ZipError),
}

/// `GET /r/<room>/export`: the room's export, for its admin.
pub async fn room(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    UrlPath(room): UrlPath<String>,
) -> Response {
    if let Err(e) = spend_action(&state, &user) {
        return e.into_response();
    }
    match access::require_admin(&state, &user, &room).await {
        Ok(access) => {
            let name = format!("hearth-room-{}.zip", access.room.public_id);
            stream(state, Scope::Room(access.room), &name)
        }
        Err(e) => only_admin(e).into_response(),
    }
}

fn only_admin(e: AppError) -> AppError {
    match e {
        AppError::Forbidden(_) => {
            AppError::Forbidden("Only the room's admin can export it.".into())
        }
        other => other,
    }
}

/// `GET /settings/export`: everything the caller wrote.
pub async fn mine(State(state): State<AppState>, AuthUser(user): AuthUser) -> Response {
    if let Err(e) = spend_action(&state, &user) {
        return e.into_response();
    }
    let name = format!("hearth-messages-{}.zip", user.name);
    stream(state, Scope::Mine(user), &name)
}

/// The export as a download, written as the client reads it: the zip's
/// writer waits whenever the client does. An export that fails midway ends
/// the response with an error, so the browser reports the download failed
/// rather than keeping a cut-off zip.
fn stream(state: AppState, scope: Scope, file_name: &str) -> Response {
    let (writer, reader) = tokio::io::duplex(64 << 10);
    let (done, outcome) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let from = Sources {
            db: &state.db,
            wire: &state.wire,
            files: &state.files,
        };
        let result = write(&from, &scope, writer).await;
        if let Err(e) = &result {
            tracing::warn!("export stopped: {e}");
        }
        let _ = done.send(result.is_ok());
    });
    // After the last byte, the outcome: an error item aborts the response.
    let failed = futures::stream::once(async move {
        match outcome.await {
            Ok(true) => None,
            _ => Some(Err(std::io::Error::other("the export stopped"))),
        }
    })
    .filter_map(std::future::ready);
    let bytes = tokio_util::io::ReaderStream::new(reader).chain(failed);
    (
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (
                CONTENT_DISPOSITION,
                super::files::name::disposition("attachment", file_name),
            ),
            (CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Body::from_stream(bytes),
    )
        .into_response()
}

/// `hearth export --room <id> <file>`: the room's export written to `file`,
/// which must not exist yet.
pub async fn to_file(
    config: &super::config::Config,
    room: &str,
    dest: &Path,
) -> Result<Written, Box<dyn std::error::Error>> {
    use std::os::unix::fs::OpenOptionsExt;
    let db = match &config.database_url {
        Some(url) => db::open_postgres(url).await?,
        None => db::open(&config.data_dir).await?,
    };
    let Some(room) = db::rooms::by_public_id(db.read(), room).await? else {
        return Err(
            format!("there is no room {room:?} (give the id from its address, /r/<id>)").into(),
        );
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dest)
        .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let wire = Wire::new(&config.media_base_url);
    let files = Files::new(config.files_dir());
    let from = Sources {
        db: &db,
        wire: &wire,
        files: &files,
    };
    match write(&from, &Scope::Room(room), tokio::fs::File::from_std(file)).await {
        Ok(written) => Ok(written),
        Err(e) => {
            // No half-written zip is left to be taken for a whole one.
            let _ = std::fs::remove_file(dest);
            Err(e.into())
        }
    }
}
