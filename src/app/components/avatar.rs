//! A person's picture: their upload, or their initials on a colour derived
//! from their name. Either way an image to assistive technology, named by
//! the person's name, unless the name is written right beside it.
//!
//! Initials are plain text on one of [`HUES`] colour classes in
//! `style/main.css`, not a generated image: a room page shows one per
//! message, and an inline SVG each made up a quarter of its HTML.

use leptos::prelude::*;

use crate::model::User;

/// How large a picture is drawn; each has an `avatar-*` class in the CSS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvatarSize {
    /// 28 px: the header and the member list.
    Small,
    /// 36 px: beside messages.
    Medium,
    /// 96 px: the settings page.
    Large,
}

impl AvatarSize {
    fn px(self) -> u32 {
        match self {
            Self::Small => 28,
            Self::Medium => 36,
            Self::Large => 96,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Self::Small => "avatar avatar-sm",
            Self::Medium => "avatar avatar-md",
            Self::Large => "avatar avatar-lg",
        }
    }
}

/// How many background colours initials are drawn on (`.hue-0` to
/// `.hue-17`, 20° apart, each dark enough for white text at WCAG AA).
pub const HUES: u32 = 18;

/// `beside_name`: the name is written right next to the picture (a message's
/// header, the member list), so assistive technology skips the picture
/// rather than read the name twice.
#[component]
pub fn Avatar(
    user: User,
    #[prop(default = AvatarSize::Medium)] size: AvatarSize,
    #[prop(optional)] beside_name: bool,
) -> impl IntoView {
    match user.avatar_url {
        Some(src) => {
            let px = size.px();
            let alt = if beside_name {
                String::new()
            } else {
                user.name
            };
            view! {
                <img class=size.class() src=src alt=alt width=px height=px loading="lazy" decoding="async" />
            }
            .into_any()
        }
        None => {
            let class = format!("{} initials hue-{}", size.class(), hue(&user.name));
            let letters = initials(&user.name);
            let label = (!beside_name).then_some(user.name);
            view! {
                <span
                    class=class
                    role=(!beside_name).then_some("img")
                    aria-label=label
                    aria-hidden=beside_name.then_some("true")
                >
                    {letters}
                </span>
            }
            .into_any()
        }
    }
}

/// Up to two letters: the first, and the first after a separator.
fn initials(name: &str) -> String {
    let mut out: String = name.chars().take(1).collect();
    if let Some(second) = name
        .split(['.', '_', '-'])
        .nth(1)
        .and_then(|part| part.chars().next())
    {
        out.push(second);
    }
    out.to_uppercase()
}

/// A stable colour class per name, whatever its case.
fn hue(name: &str) -> u32 {
    name.to_lowercase().bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    }) % HUES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_a_letter_per_part() {
        assert_eq!(initials("alice"), "A");
        assert_eq!(initials("mary.jane"), "MJ");
        assert_eq!(initials("x_y-z"), "XY");
        assert_eq!(initials("émile"), "É");
    }

    #[test]
    fn the_same_name_gets_the_same_colour() {
        assert_eq!(hue("Alice"), hue("alice"));
        assert!(hue("alice") < HUES);
    }

    #[test]
    fn every_colour_has_its_class() {
        let css = include_str!("../../../style/main.css");
        for h in 0..HUES {
            assert!(
                css.contains(&format!(".hue-{h} {{")),
                "style/main.css lacks .hue-{h}"
            );
        }
    }
}
