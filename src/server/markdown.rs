//! A message's body rendered to HTML, once per revision, on the server:
//! the Markdown subset people use in chat (bold, italic, strikethrough,
//! inline code, fenced code blocks, block quotes, lists and links), with
//! bare URLs made links, then cleaned to an allow-list.
//!
//! Two layers, so that neither alone has to be right. The parser
//! (pulldown-cmark) is told what the subset is: raw HTML becomes text, an
//! image becomes a link to it (nothing is fetched from elsewhere to show a
//! message), a heading is a paragraph that keeps its `#`s, a code block
//! loses the language named after its fence, a link loses its title, and
//! a line break is a line break, as people type in a chat. The sanitiser
//! (ammonia) then keeps only the tags and attributes below, links only to
//! `http`, `https` and `mailto`, each with `rel` set by the server.
//!
//! The renderer's version is stored with what it rendered
//! (`messages.rendered_by`), so a later renderer can render old messages
//! again (`markdown/upgrade.rs`).

pub mod upgrade;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// The version of this renderer; raise it when its output changes.
pub const RENDERER: i64 = 1;

/// Every tag rendered HTML may hold.
pub const TAGS: [&str; 12] = [
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
];
/// Every attribute, by tag: a link's target, set by the server, and where
/// a numbered list starts.
pub const ATTRIBUTES: [(&str, &str); 4] = [
    ("a", "href"),
    ("a", "rel"),
    ("a", "target"),
    ("ol", "start"),
];
/// What a link says about itself: it opens apart from Hearth's page, and
/// tells search engines and the linked site nothing.
pub const LINK_REL: &str = "noopener noreferrer nofollow ugc";

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(HashSet::from(TAGS))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href"])),
            ("ol", HashSet::from(["start"])),
        ]))
        .attribute_filter(|tag, attribute, value| {
            let number = tag == "ol" && attribute == "start";
            if number && !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(value.into())
        })
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true);
    b
});

/// `body` (a stored message's text) as HTML that holds only [`TAGS`] and
/// [`ATTRIBUTES`].
pub fn render(body: &str) -> String {
    if let Some(plain) = plain(body) {
        return plain;
    }
    let mut html = String::with_capacity(body.len() * 3 / 2 + 16);
    pulldown_cmark::html::push_html(&mut html, Subset::new(body));
    let mut clean = CLEANER.clean(&html).to_string();
    clean.truncate(clean.trim_end().len());
    clean
}

/// A one-line body with nothing Markdown or a link could be made of: its
/// HTML without parsing it (most messages; the tests check it is what
/// parsing gives).
fn plain(body: &str) -> Option<String> {
    // No Markdown means anything by these alone (a URL needs `//`, a
    // list a mark, or digits and a `.`, at the start of the line).
    let safe = |c: char| {
        c.is_alphanumeric() || matches!(c, ' ' | ',' | '.' | '\'' | '"' | '?' | '!' | ';' | ':')
    };
    // `1.` starts a numbered list.
    let list = body
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .starts_with('.');
    (!body.is_empty() && !list && body.chars().all(safe)).then(|| format!("<p>{body}</p>"))
}

/// The parser's events, narrowed to the subset (see the module comment).
struct Subset<'a> {
    parser: Parser<'a>,
    /// Events already made, waiting to be handed on (first at the end).
    queue: Vec<Event<'a>>,
    /// Inside a link or a code block: text there is not searched for URLs.
    in_link: usize,
    in_code: bool,
    finder: linkify::LinkFinder,
}

impl<'a> Subset<'a> {
    fn new(body: &'a str) -> Self {
        let mut finder = linkify::LinkFinder::new();
        finder.url_must_have_scheme(true);
        Self {
            parser: Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH),
            queue: Vec::new(),
            in_link: 0,
            in_code: false,
            finder,
        }
    }

    /// Hands on `events`, in order.
    fn then(&mut self, events: impl DoubleEndedIterator<Item = Event<'a>>) -> Option<Event<'a>> {
        self.queue.extend(events.rev());
        self.queue.pop()
    }

    /// Text with every bare URL and email address in it made a link.
    fn linked(&mut self, text: CowStr<'a>) -> Option<Event<'a>> {
        let mut events = Vec::new();
        for span in self.finder.spans(&text) {
            let shown = CowStr::from(span.as_str().to_owned());
            let dest = match span.kind() {
                Some(linkify::LinkKind::Url) => shown.clone(),
                Some(linkify::LinkKind::Email) => format!("mailto:{shown}").into(),
                _ => {
                    events.push(Event::Text(shown));
                    continue;
                }
            };
            events.push(Event::Start(link(LinkType::Autolink, dest)));
            events.push(Event::Text(shown));
            events.push(Event::End(TagEnd::Link));
        }
        self.then(events.into_iter())
    }
}

fn link<'a>(link_type: LinkType, dest_url: CowStr<'a>) -> Tag<'a> {
    Tag::Link {
        link_type,
        dest_url,
        title: CowStr::from(""),
        id: CowStr::from(""),
    }
}

impl<'a> Iterator for Subset<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(queued) = self.queue.pop() {
            return Some(queued);
        }
        let event = self.parser.next()?;
        Some(match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let marks = "#".repeat(level as usize);
                return self.then(
                    [
                        Event::Start(Tag::Paragraph),
                        Event::Text(format!("{marks} ").into()),
                    ]
                    .into_iter(),
                );
            }
            Event::End(TagEnd::Heading(_) | TagEnd::HtmlBlock) => Event::End(TagEnd::Paragraph),
            Event::Start(Tag::HtmlBlock) => Event::Start(Tag::Paragraph),
            Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            })
            | Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                self.in_link += 1;
                Event::Start(link(link_type, dest_url))
            }
            Event::End(TagEnd::Image | TagEnd::Link) => {
                self.in_link = self.in_link.saturating_sub(1);
                Event::End(TagEnd::Link)
            }
            Event::Start(Tag::CodeBlock(_)) => {
                self.in_code = true;
                Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))
            }
            Event::End(TagEnd::CodeBlock) => {
                self.in_code = false;
                Event::End(TagEnd::CodeBlock)
            }
            Event::Rule => {
                return self.then(
                    [
                        Event::Start(Tag::Paragraph),
                        Event::Text("---".into()),
                        Event::End(TagEnd::Paragraph),
                    ]
                    .into_iter(),
                );
            }
            Event::SoftBreak => Event::HardBreak,
            Event::Text(text) if self.in_link == 0 && !self.in_code => return self.linked(text),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests;
