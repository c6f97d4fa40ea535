//! A disclosure menu: a `<details>` whose `<summary>` is the button. It
//! opens and closes without JavaScript and from the keyboard (Tab to it,
//! Enter or Space), and the forms inside post without JavaScript too. Once
//! hydrated, Escape closes it and puts focus back on its button, and a
//! click elsewhere closes it.

use leptos::html::{Details, Summary};
use leptos::prelude::*;

#[component]
pub fn Menu(
    /// The button's accessible name (`Actions for ann`, `Room settings`).
    label: String,
    /// What the button shows; hidden from screen readers, which read the
    /// name instead.
    icon: &'static str,
    /// Shows the name beside the icon; otherwise it is only read out (and
    /// shown on hover).
    #[prop(optional)]
    show_label: bool,
    /// Classes for the `<details>`, beside `menu`.
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let details = NodeRef::<Details>::new();
    let summary = NodeRef::<Summary>::new();
    let close = move || {
        if let Some(d) = details.get_untracked() {
            d.set_open(false);
        }
    };
    // Only an open menu listens for clicks elsewhere.
    let outside = StoredValue::new(None::<WindowListenerHandle>);
    let on_toggle = move |_| {
        if let Some(Some(listening)) = outside.try_update_value(Option::take) {
            listening.remove();
        }
        if details.get_untracked().is_some_and(|d| d.open()) {
            let listening = window_event_listener(leptos::ev::click, move |ev| {
                if !within(details, &ev) {
                    close();
                }
            });
            outside.set_value(Some(listening));
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && details.get_untracked().is_some_and(|d| d.open()) {
            // This Escape is the menu's, not the panel's around it.
            ev.stop_propagation();
            close();
            if let Some(s) = summary.get_untracked() {
                let _ = s.focus();
            }
        }
    };
    on_cleanup(move || {
        if let Some(Some(listening)) = outside.try_update_value(Option::take) {
            listening.remove();
        }
    });
    let (shown, hidden) = if show_label {
        (Some(label.clone()), None)
    } else {
        (None, Some(label.clone()))
    };
    view! {
        <details class=format!("menu {class}") node_ref=details on:toggle=on_toggle on:keydown=on_keydown>
            <summary node_ref=summary title=label>
                <span class="menu-icon" aria-hidden="true">{icon}</span>
                {shown.map(|l| view! { <span class="menu-label">{l}</span> })}
                {hidden.map(|l| view! { <span class="visually-hidden">{l}</span> })}
            </summary>
            <div class="menu-items">{children()}</div>
        </details>
    }
}

/// Whether a click landed inside the menu.
fn within(details: NodeRef<Details>, ev: &leptos::ev::MouseEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        details
            .get_untracked()
            .is_some_and(|d| d.contains(target.as_ref()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (details, ev);
        true
    }
}
