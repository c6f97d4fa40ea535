//! The axum router: Leptos pages and server functions, the health check, the
//! browser bundle and other static files, and the layers every request
//! passes through.

use std::sync::OnceLock;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Router, middleware};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::{AppState, assets, auth, body_limit, export, files, health, media, security, web, ws};
use crate::app::{App, shell};

/// Builds the whole application for `state`.
pub fn app(state: AppState) -> Router {
    let routes = routes();
    let ctx_state = state.clone();
    let context = move || provide_context(ctx_state.clone());
    let options = state.leptos_options.clone();

    let router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/media/avatars/{name}", get(media::serve_avatar))
        .leptos_routes_with_context(&state, routes, context, move || shell(options.clone()))
        // Every body but a picture's: at most `limits.max-request-bytes`.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            body_limit::limit,
        ))
        .nest_service(&assets::path(&state), assets::bundle(&state))
        .route(
            "/api/avatar",
            post(media::upload_avatar)
                .layer(DefaultBodyLimit::max(media::upload_body_limit(&state))),
        )
        .route(
            "/api/rooms/{room}/attachments",
            post(files::upload::handle)
                .layer(DefaultBodyLimit::max(files::upload::body_limit(&state))),
        )
        .route(
            "/api/rooms/{room}/messages",
            post(files::form::handle).layer(DefaultBodyLimit::max(files::form::body_limit(&state))),
        )
        .route("/media/files/{id}", get(files::serve::file))
        .route("/media/files/{id}/thumb", get(files::serve::thumb))
        .route("/r/{room}/export", get(export::room))
        .route("/settings/export", get(export::mine))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // A slow client cannot hold a request open; the websocket, added
        // after this layer, lives as long as it is used.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.limits.request_timeout,
        ))
        .route("/ws", get(ws::upgrade))
        .layer(middleware::from_fn(web::error_status))
        .layer(middleware::from_fn(auth::with_caller))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::refuse_cross_site,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::known_host,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state);
    harden(router)
}

/// The app's routes, found once per process by rendering the app outside
/// any request. Leptos's render state is process-wide: a second listing
/// made while another server in the process renders pages (the integration
/// tests start dozens) left some of those renders waiting forever.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The layers every route sits behind: request tracing, and a panic in one
/// request becoming a 500 for that request only, never a dead server.
pub fn harden(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// Every request's span, so whatever is logged while it is handled names
/// the route (a server function's is its path), and, once known, the
/// caller (`auth.rs`) and the room (`access.rs`). The query string is left
/// out: it can carry a log-in's `next`.
fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        user = tracing::field::Empty,
        room = tracing::field::Empty,
    )
}
