//! Where the conversation is scrolled: following its bottom, or left where
//! the reader put it.
//!
//! Following is the reader's choice, and only the reader changes it:
//! scrolling up stops it; reaching the bottom again, sending a message, or
//! the `N new messages` button resumes it. New rows never stop it. They
//! are laid out after the code reacting to a message has run, so a distance
//! to the bottom measured then, or in the scroll event that scrolling down
//! causes, already includes rows the reader was never shown: a threshold in
//! pixels then turns one tall row (every row on a phone, where lines wrap)
//! into "the reader scrolled up", and the reader is left behind. So the
//! reader's intent is read from the direction of scrolling, and while
//! following, every change in the size of the log or of its viewport (new
//! rows, a picture loading, the composer growing) scrolls to the bottom
//! once laid out, before it is painted (a `ResizeObserver`).

use leptos::html::{Div, Ol};
use leptos::prelude::*;

use crate::app::feed::Feed;
use crate::model::UserId;

/// Closer than this to the bottom is at the bottom: scroll positions are
/// fractional on zoomed and high-density screens, and read back rounded.
const AT_BOTTOM_PX: i32 = 2;

/// The message log's scroll state; `Copy`, shared by the list's parts.
#[derive(Clone, Copy)]
pub struct Scroll {
    pub scroller: NodeRef<Div>,
    pub log: NodeRef<Ol>,
    /// The reader follows the bottom of the conversation.
    pub following: RwSignal<bool>,
    /// Messages from others that arrived while the reader was scrolled up.
    pub unseen: RwSignal<usize>,
    /// The highest `seq` with some of its row on screen now.
    pub on_screen: RwSignal<i64>,
    /// Where the view was at the last scroll event or scroll of ours: a
    /// smaller `scrollTop` than this is the reader scrolling up.
    last_top: StoredValue<i32>,
}

impl Scroll {
    /// Starts following the bottom of `feed`'s log, or, opened `at` a
    /// message (a link to it), shows that message and waits for the reader
    /// to come down; `me` is the reader, whose own messages are never
    /// counted as unseen.
    pub fn new(feed: ArcRwSignal<Feed>, me: UserId, at: Option<i64>) -> Self {
        let scroll = Self {
            scroller: NodeRef::new(),
            log: NodeRef::new(),
            following: RwSignal::new(at.is_none()),
            unseen: RwSignal::new(0),
            on_screen: RwSignal::new(0),
            last_top: StoredValue::new(0),
        };
        scroll.follow_feed(feed, me);
        #[cfg(feature = "hydrate")]
        {
            scroll.stick_after_layout();
            if let Some(seq) = at {
                request_animation_frame(move || {
                    scroll_to_message(seq);
                });
            }
        }
        scroll
    }

    /// The scroll event: only the reader scrolling up stops following, and
    /// reaching the bottom resumes it.
    pub fn scrolled(self) {
        let Some(el) = self.scroller.get_untracked() else {
            return;
        };
        let top = el.scroll_top();
        if el.scroll_height() - top - el.client_height() <= AT_BOTTOM_PX {
            self.following.set(true);
            self.unseen.set(0);
        } else if top < self.last_top.get_value() && self.following.get_untracked() {
            self.following.set(false);
        }
        self.last_top.set_value(top);
        self.measure();
    }

    /// Goes to the bottom and follows it from now on.
    pub fn go_to_bottom(self) {
        self.following.set(true);
        self.unseen.set(0);
        self.stick();
    }

    /// Scrolls to the bottom if following.
    fn stick(self) {
        if self.following.try_get_untracked() != Some(true) {
            return;
        }
        if let Some(el) = self.scroller.get_untracked() {
            el.set_scroll_top(el.scroll_height());
            self.last_top.set_value(el.scroll_top());
        }
    }

    /// A message sent from this tab brings the reader to the bottom; others'
    /// messages arriving while scrolled up are counted. Older history
    /// loaded at the top changes neither.
    fn follow_feed(self, feed: ArcRwSignal<Feed>, me: UserId) {
        let this = self;
        Effect::new(move |prev: Option<(i64, usize)>| {
            let now = feed.with(|f| (f.last_seq(), f.pending.len()));
            match prev {
                // Opened at a message: it stays in view (going to the
                // bottom would follow it, and the log's first growth would
                // scroll the message away).
                None if !this.following.get_untracked() => {}
                None => this.go_to_bottom(),
                Some((_, pending)) if now.1 > pending => this.go_to_bottom(),
                Some((last, _)) if now.0 > last && !this.following.get_untracked() => {
                    let from_others = feed.with_untracked(|f| {
                        f.messages
                            .iter()
                            .rev()
                            .take_while(|m| m.seq > last)
                            .filter(|m| m.sender.id != me)
                            .count()
                    });
                    this.unseen.update(|n| *n += from_others);
                }
                _ => {}
            }
            // The new rows are in the document by the next frame.
            request_animation_frame(move || this.measure());
            now
        });
    }

    /// Updates `on_screen`: walks the log up from its last row to the last
    /// one showing (the first row tried, while following).
    fn measure(self) {
        #[cfg(feature = "hydrate")]
        {
            let (Some(el), Some(log)) = (self.scroller.get_untracked(), self.log.get_untracked())
            else {
                return;
            };
            let view = el.get_bounding_client_rect();
            let mut row = log.last_element_child();
            while let Some(r) = row {
                if let Some(seq) = r.get_attribute("data-seq").and_then(|s| s.parse().ok()) {
                    let rect = r.get_bounding_client_rect();
                    if rect.bottom() <= view.top() {
                        return;
                    }
                    if rect.top() < view.bottom() {
                        if self.on_screen.try_get_untracked().is_some_and(|s| s != seq) {
                            self.on_screen.set(seq);
                        }
                        return;
                    }
                }
                row = r.previous_element_sibling();
            }
        }
    }

    /// While following, scrolls to the bottom whenever the log or its
    /// viewport changes size, after layout and before paint.
    #[cfg(feature = "hydrate")]
    fn stick_after_layout(self) {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        let this = self;
        Effect::new(move |_| {
            let (Some(el), Some(log)) = (this.scroller.get(), this.log.get()) else {
                return;
            };
            let resized = Closure::<dyn Fn()>::new(move || {
                this.stick();
                this.measure();
            });
            let Ok(observer) = web_sys::ResizeObserver::new(resized.as_ref().unchecked_ref())
            else {
                return;
            };
            observer.observe(&el);
            observer.observe(&log);
            let held = StoredValue::new_local(Some((observer, resized)));
            on_cleanup(move || {
                if let Some(Some((observer, _))) = held.try_update_value(Option::take) {
                    observer.disconnect();
                }
            });
        });
    }
}

/// Scrolls message `seq` into view and marks it for a moment, if it is on
/// the page; `false` when it is not.
pub fn scroll_to_message(seq: i64) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("m{seq}")))
        else {
            return false;
        };
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        el.scroll_into_view_with_scroll_into_view_options(&options);
        let _ = el.class_list().add_1("flash");
        let flashed = el.clone();
        set_timeout(
            move || {
                let _ = flashed.class_list().remove_1("flash");
            },
            std::time::Duration::from_millis(1500),
        );
        true
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = seq;
        false
    }
}
