//! Mentioning someone from the composer: typing `@` opens a `listbox` of
//! the room's members (and `@room`, for the admin) that narrows as the
//! name is typed; ↓ and ↑ choose, Enter or Tab completes, Escape closes.
//! The textarea stays focused throughout and points at the chosen option
//! (`aria-activedescendant`), as the ARIA combobox pattern does. The
//! server decides who the message mentions (`server/mentions.rs`); this
//! only helps to write the name.

use leptos::prelude::*;

use crate::model::{Member, UserId};

/// The most options the list shows.
const SHOWN: usize = 8;
/// The listbox's id, which the textarea names.
pub const LIST_ID: &str = "mention-options";

/// A `@name` being typed: where its `@` is and where the caret is (byte
/// offsets into the text), and what follows the `@` so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typing {
    pub at: usize,
    pub caret: usize,
    pub query: String,
}

/// The `@name` the caret (a byte offset) ends, if it ends one: an `@` at
/// the start or after a character that cannot be in a name, then only
/// name characters up to the caret.
pub fn typing(text: &str, caret: usize) -> Option<Typing> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let query = &before[at + 1..];
    let in_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let starts = before[..at].chars().next_back().is_none_or(|c| !in_name(c));
    (starts && query.len() <= 32 && query.chars().all(in_name)).then(|| Typing {
        at,
        caret,
        query: query.to_owned(),
    })
}

/// The names to offer for `query`: members (not the writer) whose name
/// starts with it first, then those that contain it, each in the order of
/// the list; `room` too for the admin.
pub fn choices(members: &[Member], me: UserId, is_admin: bool, query: &str) -> Vec<String> {
    let query = query.to_lowercase();
    let mut names: Vec<(bool, String)> = members
        .iter()
        .filter(|m| m.user.id != me)
        .map(|m| m.user.name.clone())
        .chain(is_admin.then(|| "room".to_owned()))
        .filter_map(|name| {
            let lower = name.to_lowercase();
            if lower.starts_with(&query) {
                Some((false, name))
            } else {
                lower.contains(&query).then_some((true, name))
            }
        })
        .collect();
    names.sort_by_key(|(later, _)| *later);
    names.into_iter().take(SHOWN).map(|(_, n)| n).collect()
}

/// `text` with the typed `@query` made `@name ` and the caret after it.
pub fn complete(text: &str, typing: &Typing, name: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len() + name.len() + 2);
    out.push_str(&text[..typing.at]);
    out.push('@');
    out.push_str(name);
    let rest = &text[typing.caret..];
    if !rest.starts_with(' ') {
        out.push(' ');
    }
    let caret = out.len() + usize::from(rest.starts_with(' '));
    out.push_str(rest);
    (out, caret)
}

/// The picker's state, shared by the composer's textarea and the list.
#[derive(Clone, Copy)]
pub struct Picker {
    pub typing: RwSignal<Option<Typing>>,
    pub options: Memo<Vec<String>>,
    /// The chosen option's index.
    pub active: RwSignal<usize>,
}

impl Picker {
    pub fn new(members: Signal<Vec<Member>>, me: UserId, is_admin: Signal<bool>) -> Self {
        let typing = RwSignal::new(None::<Typing>);
        let options = Memo::new(move |_| {
            typing.with(|t| match t {
                Some(t) => members.with(|m| choices(m, me, is_admin.get(), &t.query)),
                None => Vec::new(),
            })
        });
        Self {
            typing,
            options,
            active: RwSignal::new(0),
        }
    }

    pub fn is_open(&self) -> bool {
        !self.options.with(Vec::is_empty)
    }

    /// Follows the text as typed, the caret at byte `caret`.
    pub fn follow(&self, text: &str, caret: usize) {
        let now = typing(text, caret);
        let query = now.as_ref().map(|t| t.query.as_str());
        if self
            .typing
            .with_untracked(|t| t.as_ref().map(|t| t.query.as_str()) != query)
        {
            self.active.set(0);
        }
        self.typing.set(now);
    }

    pub fn close(&self) {
        self.typing.set(None);
    }

    /// Moves the choice by `step` (1 or -1), round the list.
    pub fn step(&self, step: isize) {
        let n = self.options.with_untracked(Vec::len) as isize;
        if n > 0 {
            self.active
                .update(|a| *a = ((*a as isize + step).rem_euclid(n)) as usize);
        }
    }

    /// The text with option `index` (the chosen one if `None`) completed,
    /// and the caret after it; the list closes.
    pub fn choose(&self, text: &str, index: Option<usize>) -> Option<(String, usize)> {
        let typing = self.typing.get_untracked()?;
        let i = index.unwrap_or_else(|| self.active.get_untracked());
        let name = self.options.with_untracked(|o| o.get(i).cloned())?;
        self.close();
        Some(complete(text, &typing, &name))
    }

    /// A key pressed while the list is open: ↓ and ↑ choose, Enter or Tab
    /// puts the chosen name in `text` (through `put`), Escape closes. True
    /// if the key was the list's.
    pub fn key(
        &self,
        key: &str,
        shift: bool,
        text: RwSignal<String>,
        put: impl Fn((String, usize)),
    ) -> bool {
        match key {
            "ArrowDown" => self.step(1),
            "ArrowUp" => self.step(-1),
            "Escape" => self.close(),
            "Enter" | "Tab" if !shift => {
                if let Some(done) = text.with_untracked(|t| self.choose(t, None)) {
                    put(done);
                }
            }
            _ => return false,
        }
        true
    }

    /// The id of the chosen option, for `aria-activedescendant`.
    pub fn active_id(&self) -> Option<String> {
        self.is_open()
            .then(|| format!("{LIST_ID}-{}", self.active.get()))
    }
}

/// The list of names; a click (or tap) completes one in `text`, through
/// `put`.
#[component]
pub fn MentionList(
    picker: Picker,
    text: RwSignal<String>,
    put: Callback<(String, usize)>,
) -> impl IntoView {
    let on_pick = move |i: usize| {
        if let Some(done) = text.with_untracked(|t| picker.choose(t, Some(i))) {
            put.run(done);
        }
    };
    move || {
        picker.is_open().then(|| {
            let options = picker.options.get();
            view! {
                <ul class="mention-options" role="listbox" id=LIST_ID aria-label="Members to mention">
                    {options
                        .into_iter()
                        .enumerate()
                        .map(|(i, name)| {
                            let selected = move || picker.active.get() == i;
                            let everyone = name == "room";
                            view! {
                                <li
                                    role="option"
                                    id=format!("{LIST_ID}-{i}")
                                    aria-selected=move || selected().to_string()
                                    class:active=selected
                                    // Keeps the focus in the textarea.
                                    on:mousedown=|ev| ev.prevent_default()
                                    on:click=move |_| on_pick(i)
                                >
                                    "@"{name}
                                    {everyone.then(|| view! { <span class="hint">" everyone here"</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::User;

    fn member(id: i64, name: &str) -> Member {
        Member {
            user: User {
                id: UserId(id),
                name: name.into(),
                avatar_url: None,
            },
            is_admin: false,
            is_moderator: false,
            joined_at: 0,
        }
    }

    #[test]
    fn the_name_before_the_caret_is_found() {
        let t = |text: &str| typing(text, text.len()).map(|t| (t.at, t.query));
        assert_eq!(t("hi @an"), Some((3, "an".into())));
        assert_eq!(t("@"), Some((0, String::new())));
        assert_eq!(t("mail ann@ex"), None);
        assert_eq!(t("@ann and"), None);
        assert_eq!(t("é@b"), Some((2, "b".into())));
    }

    #[test]
    fn choices_narrow_prefix_first_never_the_writer() {
        let members = [
            member(1, "me"),
            member(2, "Bob"),
            member(3, "abby"),
            member(4, "rob"),
        ];
        assert_eq!(
            choices(&members, UserId(1), false, "b"),
            ["Bob", "abby", "rob"]
        );
        assert_eq!(choices(&members, UserId(1), false, "RO"), ["rob"]);
        assert_eq!(choices(&members, UserId(1), true, "ro"), ["rob", "room"]);
        assert!(choices(&members, UserId(1), false, "me").is_empty());
    }

    #[test]
    fn completing_replaces_what_was_typed() {
        let text = "hi @bo how";
        let typing = typing(text, 6).unwrap();
        assert_eq!(complete(text, &typing, "Bob"), ("hi @Bob how".into(), 8));
        let text = "hi @bo";
        let typing = super::typing(text, text.len()).unwrap();
        assert_eq!(complete(text, &typing, "Bob"), ("hi @Bob ".into(), 8));
    }
}
