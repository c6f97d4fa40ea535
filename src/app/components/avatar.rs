//! A person's picture: their upload, or their initials on a colour derived
//! from their name. Always an `<img>` whose `alt` is the name.

use leptos::prelude::*;

use crate::model::User;

#[component]
pub fn Avatar(user: User, #[prop(default = 32)] size: u32) -> impl IntoView {
    let src = user
        .avatar_url
        .clone()
        .unwrap_or_else(|| initials_svg(&user.name));
    view! {
        <img class="avatar" src=src alt=user.name width=size height=size loading="lazy" decoding="async" />
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

/// A stable hue per name, dark enough for white text (WCAG AA).
fn hue(name: &str) -> u32 {
    name.to_lowercase().bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    }) % 360
}

fn initials_svg(name: &str) -> String {
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' fill='hsl({} 55% 36%)'/><text x='32' y='41' font-family='system-ui,sans-serif' font-size='26' font-weight='600' fill='white' text-anchor='middle'>{}</text></svg>",
        hue(name),
        initials(name)
    );
    format!(
        "data:image/svg+xml,{}",
        svg.replace('#', "%23")
            .replace('<', "%3C")
            .replace('>', "%3E")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_a_letter_per_part() {
        assert_eq!(initials("alice"), "A");
        assert_eq!(initials("mary.jane"), "MJ");
        assert_eq!(initials("x_y-z"), "XY");
    }

    #[test]
    fn the_same_name_gets_the_same_colour() {
        assert_eq!(hue("Alice"), hue("alice"));
        assert!(hue("alice") < 360);
    }
}
