//! The renderer against hostile input: whatever is typed, the HTML holds
//! only the allowed tags and attributes, links only to allowed schemes,
//! and markup typed as text stays text.

use proptest::prelude::*;

use super::*;

/// Every tag in `html` with its attributes, as `(tag, [(name, value)])`;
/// end tags left out. The renderer's output is serialised by html5ever,
/// so every `<` in text is `&lt;` and every `"` in a value is `&quot;`.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let end = rest.find('>').expect("a tag ends");
        let inside = &rest[..end];
        rest = &rest[end + 1..];
        if inside.starts_with('/') {
            continue;
        }
        let mut parts = inside.splitn(2, ' ');
        let name = parts.next().unwrap_or_default().to_owned();
        let mut attrs = Vec::new();
        let mut attr_text = parts.next().unwrap_or_default();
        while let Some(eq) = attr_text.find("=\"") {
            let after = &attr_text[eq + 2..];
            let close = after.find('"').expect("a value ends");
            attrs.push((attr_text[..eq].trim().to_owned(), after[..close].to_owned()));
            attr_text = &after[close + 1..];
        }
        found.push((name, attrs));
    }
    found
}

fn allowed(html: &str) -> Result<(), String> {
    for (tag, attrs) in tags(html) {
        if !TAGS.contains(&tag.as_str()) {
            return Err(format!("tag {tag:?} in {html:?}"));
        }
        for (attr, value) in attrs {
            if !ATTRIBUTES.contains(&(tag.as_str(), attr.as_str())) {
                return Err(format!("attribute {attr:?} on {tag:?} in {html:?}"));
            }
            let scheme_ok = ["http://", "https://", "mailto:"]
                .iter()
                .any(|scheme| value.starts_with(scheme));
            if attr == "href" && !scheme_ok {
                return Err(format!("link {value:?} in {html:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn the_subset_is_formatted() {
    let cases = [
        (
            "**bold** and *it*",
            "<p><strong>bold</strong> and <em>it</em></p>",
        ),
        (
            "~~gone~~ `x < y`",
            "<p><del>gone</del> <code>x &lt; y</code></p>",
        ),
        (
            "```rust\nfn main() {\n    a  b\n}\n```",
            "<pre><code>fn main() {\n    a  b\n}\n</code></pre>",
        ),
        (
            "> said\n> twice",
            "<blockquote>\n<p>said<br>\ntwice</p>\n</blockquote>",
        ),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        (
            "3. three\n4. four",
            "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>",
        ),
        ("line\nbreak", "<p>line<br>\nbreak</p>"),
        ("# not a heading", "<p># not a heading</p>"),
    ];
    for (source, html) in cases {
        assert_eq!(render(source), html, "{source:?}");
    }
}

#[test]
fn links_are_marked_and_bare_urls_become_links() {
    let rel = format!("rel=\"{LINK_REL}\"");
    let html = render("see https://example.com/a?b=1&c=2.");
    assert_eq!(
        html,
        format!(
            "<p>see <a href=\"https://example.com/a?b=1&amp;c=2\" target=\"_blank\" {rel}>https://example.com/a?b=1&amp;c=2</a>.</p>"
        )
    );
    let html = render("[the docs](https://docs.rs \"a title\") or ann@example.com");
    assert!(html.contains("<a href=\"https://docs.rs\""), "{html}");
    assert!(!html.contains("title"), "{html}");
    assert!(html.contains("href=\"mailto:ann@example.com\""), "{html}");
    let code = render("`https://example.com` and\n\n    https://example.org");
    assert!(!code.contains("<a"), "no links in code: {code}");
}

#[test]
fn hostile_input_stays_text_or_goes() {
    let hostile = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "[x](/logout)",
        "[x](//evil.example)",
        "![x](https://tracker.example/pixel.png)",
        "<style>body{display:none}</style>",
        "<iframe src=https://evil.example></iframe>",
        "<div style=\"position:fixed\">x</div>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "[x](https://a.example \"onmouseover=alert(1)\")",
        "```\"><script>alert(1)</script>\nx\n```",
        "<!-- comment --> text",
        "<svg onload=alert(1)>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "[<img src=x onerror=alert(1)>](https://a.example)",
        "<https://a.example/\"onclick=\"x>",
    ];
    for source in hostile {
        let html = render(source);
        allowed(&html).unwrap();
        let lower = html.to_lowercase();
        for never in [
            "<script", "<img", "<iframe", "<style", "<svg", "<div", "<math", "<!--",
        ] {
            assert!(!lower.contains(never), "{never} from {source:?}: {html}");
        }
    }
    // Typed markup is shown, as text.
    assert_eq!(
        render("<b>hi</b>"),
        "<p>&lt;b&gt;hi&lt;/b&gt;</p>",
        "raw HTML is text"
    );
    let image = render("![a cat](https://example.com/cat.png)");
    assert!(image.contains(">a cat</a>"), "an image is a link: {image}");
}

#[test]
fn very_deep_nesting_renders() {
    for unit in [">", "- ", "* ", "1. ", "[", "*", "`", "> - "] {
        let source = unit.repeat(4000 / unit.len()) + "x";
        let html = render(&source);
        allowed(&html).unwrap();
    }
}

proptest! {
    #[test]
    fn whatever_is_typed_only_allowed_tags_come_out(
        source in r#"([<>&"'=/:.a-z0-9 \n\t*_~`#\[\]()!-]|javascript:|https://|<script>|<a href=|onerror=){0,60}"#
    ) {
        prop_assert!(allowed(&render(&source)).is_ok(), "{:?}", allowed(&render(&source)));
    }

    #[test]
    fn plain_text_skips_the_parser_and_gives_what_it_would(
        source in "[A-Za-zé ,.'\"?!;:0-9]{1,40}"
    ) {
        let source = source.trim();
        prop_assume!(!source.is_empty());
        if let Some(fast) = plain(source) {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, Subset::new(source));
            let mut parsed = CLEANER.clean(&html).to_string();
            parsed.truncate(parsed.trim_end().len());
            prop_assert_eq!(fast, parsed);
        }
    }
}
