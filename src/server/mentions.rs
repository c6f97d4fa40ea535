//! Who a message's text calls by name: `@ann`, and `@room` for everyone.
//!
//! Only the names are read here, from the Markdown source (never from
//! inside code, where `@` is code); whether a name is a member of the room,
//! and whether its sender may call the whole room, is group commit's
//! question (`commit/mentions.rs`), asked in the transaction that stores
//! the message, against the members at that moment.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::model::Username;

/// The most distinct names one message calls; any after are text.
pub const MAX_NAMED: usize = 50;

/// What `@room` is spelled as.
pub const ROOM: &str = "room";

/// The names a body calls, as written after `@`, lower-cased (names are
/// unique regardless of case), each once, in the order first written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Named {
    pub names: Vec<String>,
    /// `@room` was written.
    pub room: bool,
}

impl Named {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && !self.room
    }

    fn add(&mut self, name: &str) {
        if self.names.len() < MAX_NAMED && !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_owned());
        }
    }
}

/// The names `body` (Markdown source) calls.
pub fn named(body: &str) -> Named {
    let mut found = Named::default();
    if !body.contains('@') {
        return found;
    }
    let mut in_code = false;
    for event in Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(text) if !in_code => scan(&text, &mut found),
            _ => {}
        }
    }
    found
}

/// A character a name may hold (`Username`'s rule).
fn in_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Adds every `@name` in `text`: an `@` not inside a word (so an email
/// address calls no one), then a name's characters. A name that ends in
/// `.` or `-` is tried without them too, as `@ann.` ends a sentence.
fn scan(text: &str, found: &mut Named) {
    let mut before: Option<char> = None;
    let mut rest = text.char_indices().peekable();
    while let Some((at, c)) = rest.next() {
        let starts = c == '@' && !before.is_some_and(in_name);
        before = Some(c);
        if !starts {
            continue;
        }
        let tail = &text[at + 1..];
        let len = tail.find(|c: char| !in_name(c)).unwrap_or(tail.len());
        let written = tail[..len].to_ascii_lowercase();
        let bare = written.trim_end_matches(['.', '-']);
        if bare == ROOM {
            found.room = true;
        } else {
            for name in [written.as_str(), bare] {
                if Username::parse(name).is_ok() {
                    found.add(name);
                }
            }
        }
        while rest.next_if(|&(i, _)| i <= at + len).is_some() {}
        before = tail[..len].chars().last().or(Some('@'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> (Vec<String>, bool) {
        let n = named(body);
        (n.names, n.room)
    }

    #[test]
    fn names_are_read_from_text_lower_cased_once_each() {
        assert_eq!(
            names("@Ann and @bob, then @ANN again"),
            (vec!["ann".into(), "bob".into()], false)
        );
        assert_eq!(names("hi @room!"), (vec![], true));
        assert_eq!(names("**@ann**"), (vec!["ann".into()], false));
    }

    #[test]
    fn a_name_ending_a_sentence_is_tried_with_and_without_its_stop() {
        assert_eq!(
            names("thanks @ann."),
            (vec!["ann.".into(), "ann".into()], false)
        );
        assert_eq!(names("ask @room."), (vec![], true));
    }

    #[test]
    fn code_emails_and_short_or_long_names_call_no_one() {
        for body in [
            "`@ann`",
            "```\n@ann\n```",
            "    @ann indented code",
            "mail ann@example.com",
            "@ab",
            "@",
            "@@",
            "@ ann",
            &format!("@{}", "a".repeat(33)),
        ] {
            assert_eq!(names(body), (vec![], false), "{body:?}");
        }
    }

    #[test]
    fn at_most_max_named_names_are_read() {
        let body: String = (0..80).map(|i| format!("@user{i} ")).collect();
        assert_eq!(named(&body).names.len(), MAX_NAMED);
    }

    #[test]
    fn any_text_is_read_without_panicking() {
        for body in [
            "@",
            "@é@ü",
            "a@b@c",
            "@ann@bob",
            "é@ann",
            "\u{0}@ann\u{10ffff}",
        ] {
            let _ = named(body);
        }
        assert_eq!(names("@ann@bob").0, vec!["ann".to_owned()]);
    }
}
