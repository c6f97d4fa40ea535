//! `GET /healthz`: 200 when the database answers, 503 when it does not;
//! the body says so, and, for one node of several, whether NATS is
//! connected and how many other nodes it hears. A node without NATS still
//! serves its people (the others' events come from the database), so it
//! stays healthy.

use axum::extract::State;
use axum::http::StatusCode;

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, String) {
    let db_ok = super::db::ping(&state.db).await;
    let mut body = String::from(if db_ok {
        "ok\n"
    } else {
        "database unavailable\n"
    });
    body.push_str(if db_ok {
        "database: ok\n"
    } else {
        "database: unavailable\n"
    });
    if let Some(nats) = &state.nats {
        if super::cluster::connected(nats) {
            body.push_str(&format!(
                "nats: connected, {} other nodes\n",
                state.hub.peer_count()
            ));
        } else {
            body.push_str("nats: disconnected (catching up from the database)\n");
        }
    }
    let status = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}
