//! A message's files: each picture as its thumbnail, at its size so the
//! page does not move when it loads, opening the full picture; every other
//! file as a download link named by the file, with its size.

use leptos::prelude::*;

use crate::model::Attachment;

#[component]
pub fn Files(files: Vec<Attachment>) -> impl IntoView {
    let items = files
        .into_iter()
        .map(|file| match file.image.clone() {
            Some(image) => view! {
                <li class="file picture">
                    <a href=file.url.clone() target="_blank" rel="noopener">
                        <img
                            src=image.thumb_url
                            width=image.thumb_width
                            height=image.thumb_height
                            alt=file.name.clone()
                            loading="lazy"
                        />
                    </a>
                </li>
            }
            .into_any(),
            None => {
                let size = file.shown_size();
                view! {
                    <li class="file download">
                        <a href=file.url.clone() download=file.name.clone()>{file.name.clone()}</a>
                        " "
                        <span class="size">{size}</span>
                    </li>
                }
                .into_any()
            }
        })
        .collect_view();
    view! { <ul class="files" aria-label="Files">{items}</ul> }
}
