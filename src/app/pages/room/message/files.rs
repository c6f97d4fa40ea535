//! A message's files: each picture as its thumbnail, at its size so the
//! page does not move when it loads, opening the full picture; every other
//! file as a download link named by the file, with its size.

use leptos::prelude::*;

use crate::model::Attachment;

#[component]
pub fn Files(files: Vec<Attachment>) -> impl IntoView {
    // One shape for both kinds, to keep the bundle small.
    let items = files
        .into_iter()
        .map(|file| {
            let size = file.image.is_none().then(|| file.shown_size());
            let download = size.as_ref().map(|_| file.name.clone());
            let picture = file.image.map(|image| {
                view! {
                    <img
                        src=image.thumb_url
                        width=image.thumb_width
                        height=image.thumb_height
                        alt=file.name.clone()
                        loading="lazy"
                    />
                }
            });
            let text = size.as_ref().map(|_| file.name.clone());
            let shown = picture.is_some();
            view! {
                <li class="file" class:picture=shown class:download=!shown>
                    <a
                        href=file.url
                        download=download
                        target=shown.then_some("_blank")
                        rel=shown.then_some("noopener")
                    >
                        {picture}
                        {text}
                    </a>
                    {size.map(|size| view! { " " <span class="size">{size}</span> })}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="files" aria-label="Files">{items}</ul> }
}
