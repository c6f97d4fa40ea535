//! cargo-leptos wants a server binary in the package; only the browser
//! bundle (`--frontend-only`) is built and measured, so the server side of
//! this hello-world is never compiled or run.

fn main() {}
