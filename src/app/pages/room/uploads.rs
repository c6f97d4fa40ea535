//! Files attached in the composer, before the message is sent: by the
//! `Attach file` button, by dropping them on the room, or by pasting.
//! Each uploads at once (`POST /api/rooms/<room>/attachments`, through
//! `XMLHttpRequest` for its progress), shown with a `progressbar` and a
//! `Cancel upload` button; a failed one says why and can be removed, and
//! the text typed is never touched. `Send` takes the finished ones.

use leptos::prelude::*;

use crate::model::Attachment;
#[cfg(feature = "hydrate")]
use crate::model::MAX_ATTACHMENTS;

#[derive(Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum State {
    /// Uploading: the share sent so far, 0 to 1.
    Running(f64),
    Done(Attachment),
    Failed(String),
}

#[derive(Clone, PartialEq)]
pub struct Upload {
    pub key: u64,
    pub name: String,
    pub state: State,
}

impl Upload {
    /// Changes whenever what the row shows does (progress in tenths of a
    /// percent), so the list redraws that row only.
    fn version(&self) -> (u64, u8, u16) {
        match &self.state {
            State::Running(share) => (self.key, 0, (share * 1000.0) as u16),
            State::Done(_) => (self.key, 1, 0),
            State::Failed(_) => (self.key, 2, 0),
        }
    }
}

/// The composer's uploads, for one room.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Uploads {
    pub list: RwSignal<Vec<Upload>>,
    room: StoredValue<String>,
    next: StoredValue<u64>,
    #[cfg(feature = "hydrate")]
    requests: StoredValue<Vec<(u64, web_sys::XmlHttpRequest)>, LocalStorage>,
}

impl Uploads {
    pub fn new(room: String) -> Self {
        Self {
            list: RwSignal::new(Vec::new()),
            room: StoredValue::new(room),
            next: StoredValue::new(0),
            #[cfg(feature = "hydrate")]
            requests: StoredValue::new_local(Vec::new()),
        }
    }

    /// The files uploaded, in the order attached.
    pub fn done(&self) -> Vec<Attachment> {
        self.list.with_untracked(|l| {
            l.iter()
                .filter_map(|u| match &u.state {
                    State::Done(a) => Some(a.clone()),
                    _ => None,
                })
                .collect()
        })
    }

    /// Some upload is still running.
    pub fn busy(&self) -> bool {
        self.list
            .with_untracked(|l| l.iter().any(|u| matches!(u.state, State::Running(_))))
    }

    /// After sending: the list starts again.
    pub fn clear(&self) {
        self.list.set(Vec::new());
    }

    pub fn remove(&self, key: u64) {
        self.cancel(key);
        self.list.update(|l| l.retain(|u| u.key != key));
    }

    /// Stops upload `key` if it runs.
    pub fn cancel(&self, key: u64) {
        #[cfg(feature = "hydrate")]
        self.requests.update_value(|r| {
            r.retain(|(k, xhr)| {
                if *k == key {
                    let _ = xhr.abort();
                }
                *k != key
            });
        });
        self.list.update(|l| l.retain(|u| u.key != key));
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn set(&self, key: u64, state: State) {
        self.list.update(|l| {
            if let Some(u) = l.iter_mut().find(|u| u.key == key) {
                u.state = state;
            }
        });
    }

    /// Starts uploading `files`; past the limit of a message, says so.
    #[cfg(feature = "hydrate")]
    pub fn add(&self, files: Vec<web_sys::File>) {
        for file in files {
            let key = self.next.get_value();
            self.next.set_value(key + 1);
            let name = file.name();
            let full = self.list.with_untracked(Vec::len) >= MAX_ATTACHMENTS;
            let state = if full {
                State::Failed(format!(
                    "A message can carry at most {MAX_ATTACHMENTS} files."
                ))
            } else {
                State::Running(0.0)
            };
            self.list.update(|l| l.push(Upload { key, name, state }));
            if !full {
                self.start(key, &file);
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn start(&self, key: u64, file: &web_sys::File) {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        let this = *self;
        let fail = move |why: String| this.set(key, State::Failed(why));
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            return fail("This browser cannot upload files.".into());
        };
        let Ok(form) = web_sys::FormData::new() else {
            return fail("This browser cannot upload files.".into());
        };
        let _ = form.append_with_blob_and_filename("file", file, &file.name());
        let url = format!("/api/rooms/{}/attachments", self.room.get_value());
        if xhr.open("POST", &url).is_err() {
            return fail("The upload could not start.".into());
        }
        let _ = xhr.set_request_header("Accept", "application/json");
        let progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    this.set(key, State::Running(e.loaded() / e.total()));
                }
            });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        }
        progress.forget();
        let done_xhr = xhr.clone();
        let finished = Closure::<dyn FnMut()>::new(move || {
            this.requests.update_value(|r| r.retain(|(k, _)| *k != key));
            let status = done_xhr.status().unwrap_or(0);
            let text = done_xhr.response_text().ok().flatten().unwrap_or_default();
            let state = match status {
                200 => match serde_json::from_str::<Attachment>(&text) {
                    Ok(a) => State::Done(a),
                    Err(_) => State::Failed("The server's answer could not be read.".into()),
                },
                0 => State::Failed("Network error: check your connection and try again.".into()),
                _ => State::Failed(
                    serde_json::from_str::<crate::error::AppError>(&text)
                        .map(|e| e.to_string())
                        .unwrap_or_else(|_| format!("The upload failed ({status}).")),
                ),
            };
            this.set(key, state);
        });
        xhr.set_onloadend(Some(finished.as_ref().unchecked_ref()));
        finished.forget();
        if xhr.send_with_opt_form_data(Some(&form)).is_err() {
            return fail("The upload could not start.".into());
        }
        self.requests.update_value(|r| r.push((key, xhr)));
    }
}

/// The uploads under the composer: progress and `Cancel upload` while one
/// runs, the reason and `Remove` when it failed, the name and `Remove`
/// once done.
#[component]
pub fn UploadList(uploads: Uploads) -> impl IntoView {
    view! {
        <ul class="uploads" aria-label="Attached files">
            <For each=move || uploads.list.get() key=Upload::version let(u)>
                {
                    let key = u.key;
                    let name = u.name.clone();
                    match u.state {
                        State::Running(share) => view! {
                            <li class="upload">
                                <span class="name">{name.clone()}</span>
                                <progress max="1" value=share aria-label=format!("Uploading {name}")></progress>
                                <button type="button" class="secondary small" on:click=move |_| uploads.cancel(key)>
                                    "Cancel upload"
                                </button>
                            </li>
                        }
                        .into_any(),
                        State::Done(file) => view! {
                            <li class="upload done">
                                <span class="name">{name}</span>
                                <span class="size">{file.shown_size()}</span>
                                <button type="button" class="secondary small" on:click=move |_| uploads.remove(key)>
                                    "Remove"
                                </button>
                            </li>
                        }
                        .into_any(),
                        State::Failed(why) => view! {
                            <li class="upload failed">
                                <span class="name">{name.clone()}</span>
                                <span role="alert">{format!("{name} was not attached: {why}")}</span>
                                <button type="button" class="secondary small" on:click=move |_| uploads.remove(key)>
                                    "Remove"
                                </button>
                            </li>
                        }
                        .into_any(),
                    }
                }
            </For>
        </ul>
    }
}

/// What pasting into the composer does: files on the clipboard are
/// attached; text is pasted as usual.
pub fn on_paste(uploads: Uploads) -> impl Fn(leptos::ev::ClipboardEvent) + Copy {
    move |ev| {
        #[cfg(feature = "hydrate")]
        {
            let files = files_of(ev.clipboard_data());
            if !files.is_empty() {
                ev.prevent_default();
                uploads.add(files);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, uploads);
    }
}

/// The files of a drop or a paste.
#[cfg(feature = "hydrate")]
pub fn files_of(data: Option<web_sys::DataTransfer>) -> Vec<web_sys::File> {
    let Some(list) = data.and_then(|d| d.files()) else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
