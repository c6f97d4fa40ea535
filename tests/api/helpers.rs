//! `TestApp`: the whole server started in-process on a free port, with its
//! data in a temporary directory that is removed when the test ends.

use std::net::SocketAddr;

use hearth::server::{self, AppState, config::Config};
use tempfile::TempDir;

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    /// A client without a cookie jar; see [`TestApp::client`] for one with.
    pub http: reqwest::Client,
    _dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after letting `tweak` adjust the configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_tests(dir.path());
        tweak(&mut config);
        let pool = server::db::open(&config.data_dir)
            .await
            .expect("database opens");
        let state = AppState::new(pool, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = server::app(state.clone());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("server runs");
        });
        Self {
            addr,
            state,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A fresh client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }
}

/// A logged-in person: their client, holding the session cookie.
pub struct Person {
    pub client: reqwest::Client,
}

impl TestApp {
    /// Calls a server function at `/api/<endpoint>` with form-encoded args.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Signs `name` up (password `password123`) and returns them logged in.
    pub async fn person(&self, name: &str) -> Person {
        let client = self.client();
        let res = self
            .call(
                &client,
                "signup",
                &[("username", name), ("password", "password123")],
            )
            .await;
        assert_eq!(
            res.status(),
            200,
            "signup {name}: {}",
            res.text().await.unwrap_or_default()
        );
        Person { client }
    }

    /// `/api/me` for `client`: the user JSON, or `Null`.
    pub async fn me(&self, client: &reqwest::Client) -> serde_json::Value {
        let res = self.call(client, "me", &[]).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.state.pool)
            .await
            .expect("count")
    }
}
