//! A file sent with a message, as readers receive it. The bytes are
//! fetched over HTTP from `url` (each request checks, then, that the
//! reader may see the message), never sent over the websocket.

use serde::{Deserialize, Serialize};

/// The most files one message carries.
pub const MAX_ATTACHMENTS: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The upload's id (22 URL-safe characters): what `send` names it by.
    pub id: String,
    /// The file's name as uploaded, made safe to show (no folders, no
    /// control or direction characters).
    pub name: String,
    /// Bytes of the file as stored (an image re-encoded).
    pub size: u64,
    /// The type the server chose and serves it with.
    pub content_type: String,
    /// Where to fetch it: an image is shown there, any other file is
    /// served as a download (`Content-Disposition: attachment`).
    pub url: String,
    /// Present for an image shown inline: its size and its thumbnail's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
}

/// An attached picture: PNG, JPEG, WebP or GIF as uploaded, decoded within
/// the server's limits, turned upright and re-encoded without metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// A smaller copy for the conversation, at most 400×300.
    pub thumb_url: String,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

impl Attachment {
    /// `1.2 MB`, `340 KB`, `12 bytes`: the size as a reader sees it.
    pub fn shown_size(&self) -> String {
        let n = self.size;
        match n {
            0..1_000 => format!("{n} bytes"),
            1_000..1_000_000 => format!("{:.0} KB", n as f64 / 1e3),
            _ => format!("{:.1} MB", n as f64 / 1e6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Attachment;

    #[test]
    fn sizes_read_as_people_say_them() {
        let at = |size| Attachment {
            id: String::new(),
            name: String::new(),
            size,
            content_type: String::new(),
            url: String::new(),
            image: None,
        };
        assert_eq!(at(12).shown_size(), "12 bytes");
        assert_eq!(at(340_400).shown_size(), "340 KB");
        assert_eq!(at(1_234_567).shown_size(), "1.2 MB");
    }
}
