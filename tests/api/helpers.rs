//! `TestApp`: the whole server started in-process on a free port, the way
//! `main.rs` starts it (`listen::Server`), with its data in a temporary
//! directory that is removed when the test ends. `TEST_LOG=1` prints the
//! server's log lines (filtered by `RUST_LOG`); run one failing test with it.
//!
//! `HEARTH_TEST_STORE=postgres` runs every app on PostgreSQL instead of
//! SQLite: one throwaway server for the whole run (testkit), a database of
//! its own for each data directory (so a restart finds its data again).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::LazyLock;

use hearth::model::UserId;
use hearth::server::{AppState, config::Config, listen::Server};
use tempfile::TempDir;

/// The one runtime every test runs on, multi-threaded as the real server's
/// is: tasks of one connection really run in parallel here, so races the
/// server must not have (a sender's messages reordered, a removal's event
/// lost to the removal itself) show up in the tests, as they did.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
});

/// The PostgreSQL server of a `HEARTH_TEST_STORE=postgres` run.
static POSTGRES: LazyLock<Option<hearth_testkit::Postgres>> = LazyLock::new(|| {
    (std::env::var("HEARTH_TEST_STORE").as_deref() == Ok("postgres")).then(|| {
        hearth_testkit::Postgres::start(Default::default()).expect("a throwaway PostgreSQL starts")
    })
});

/// In a PostgreSQL run, the database of data directory `dir` (made the
/// first time).
fn database_for(dir: &std::path::Path) -> Option<String> {
    use std::hash::{Hash, Hasher};
    let server = POSTGRES.as_ref()?;
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hash);
    let name = format!("t{:016x}", hash.finish());
    // Made once per directory: a restart of the same app finds it there.
    let _ = server.create_database(&name);
    Some(server.url(&name))
}

/// Runs one test's body on the shared runtime.
pub fn run(test: impl Future<Output = ()>) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(report_server_panics);
    RUNTIME.block_on(test);
}

/// A panic on one of the runtime's worker threads (a request the server
/// was handling) is written straight to stderr, past the test harness's
/// capture: otherwise its message and place land in the output of
/// whichever test first started the runtime, and a failing test shows only
/// the 500 it got.
fn report_server_panics() {
    use std::io::Write;
    let earlier = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        // The harness names each test's thread after the test.
        let name = thread.name().unwrap_or("unnamed");
        if !name.contains("::") {
            let backtrace = std::backtrace::Backtrace::capture();
            let _ = writeln!(
                std::io::stderr(),
                "server panic on thread {name}: {info}\n{backtrace}"
            );
        } else {
            earlier(info);
        }
    }));
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
    /// Stops the server the way SIGTERM does.
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// A client without a cookie jar; see [`TestApp::client`] for one with.
    pub http: reqwest::Client,
    _dir: Option<TempDir>,
}

/// A test's server stops with the test, not with the shared runtime, and
/// its database connections close (tasks the server started may still hold
/// the pool; a PostgreSQL run would otherwise run out of connections).
impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let db = self.state.db.clone();
        RUNTIME.spawn(async move { db.close().await });
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after letting `tweak` adjust the configuration.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_in(tempfile::tempdir().expect("temp dir"), tweak).await
    }

    /// Starts the app with its data in `dir` (which may hold a database
    /// from an earlier run).
    pub async fn spawn_in(dir: TempDir, tweak: impl FnOnce(&mut Config)) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            hearth::server::telemetry::init_for_tests();
        }
        let mut config = Config::for_tests(dir.path());
        config.database_url = database_for(dir.path());
        tweak(&mut config);
        let server = Server::build(config).await.expect("server starts");
        let addr = server.addr();
        let state = server.state().clone();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(server.run(async {
            let _ = stop.await;
        }));
        Self {
            addr,
            state,
            server,
            shutdown: Some(shutdown),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            _dir: Some(dir),
        }
    }

    /// Stops the server abruptly (open connections drop) and closes the
    /// database; returns the data directory for a restart.
    pub async fn stop(mut self) -> TempDir {
        self.server.abort();
        let _ = (&mut self.server).await;
        self.state.db.close().await;
        self._dir.take().expect("stopped once")
    }

    /// Stops the server as SIGTERM does (requests finish, websockets close
    /// with 1001) and waits until it has.
    pub async fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.server).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client whose connections come from `ip` (any 127.x.y.z reaches
    /// the server on loopback), with its own cookie jar.
    pub fn client_from(&self, ip: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .local_address(ip.parse::<std::net::IpAddr>().expect("an address"))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
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

/// A client with its own cookie jar calling itself `user_agent`.
fn agent(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hearth_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned()
}

/// A logged-in person: their client (holding the session cookie), the
/// cookie itself for websockets, and their user id.
pub struct Person {
    pub client: reqwest::Client,
    pub cookie: String,
    pub id: UserId,
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
        self.signed_up(name, self.client()).await
    }

    /// As `person`, from a browser calling itself `user_agent`.
    pub async fn person_on(&self, name: &str, user_agent: &str) -> Person {
        self.signed_up(name, agent(user_agent)).await
    }

    async fn signed_up(&self, name: &str, client: reqwest::Client) -> Person {
        let res = self
            .call(
                &client,
                "signup",
                &[("username", name), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 200, "signup {name}");
        let cookie = session_cookie(&res);
        let id = UserId(self.me(&client).await["id"].as_i64().expect("id"));
        Person { client, cookie, id }
    }

    /// Logs `name` in again (password `password123`) from a new client
    /// calling itself `user_agent`: another session of the same person.
    pub async fn log_in(&self, name: &str, user_agent: &str) -> Person {
        self.log_in_with(name, "password123", user_agent).await
    }

    /// As `log_in`, with another password.
    pub async fn log_in_with(&self, name: &str, password: &str, user_agent: &str) -> Person {
        let client = agent(user_agent);
        let res = self
            .call(
                &client,
                "login",
                &[("username", name), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), 200, "login {name}");
        let cookie = session_cookie(&res);
        let id = UserId(self.me(&client).await["id"].as_i64().expect("id"));
        Person { client, cookie, id }
    }

    /// The page at `path` as `client` gets it, as text.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> String {
        let res = client.get(self.url(path)).send().await.expect("page");
        res.text().await.expect("page text")
    }

    /// `/api/me` for `client`: the user JSON, or `Null`.
    pub async fn me(&self, client: &reqwest::Client) -> serde_json::Value {
        let res = self.call(client, "me", &[]).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }

    /// A room named "Chat" created by `admin`, with `others` joined.
    pub async fn room_with(&self, admin: &Person, others: &[&Person]) -> String {
        let res = self
            .call(&admin.client, "create_room", &[("name", "Chat")])
            .await;
        let room: String = res.json().await.expect("room id");
        for p in others {
            let res = self.call(&p.client, "join_room", &[("room", &room)]).await;
            assert_eq!(res.status(), 200);
        }
        room
    }

    pub async fn count(&self, table: &str) -> i64 {
        on_store!(self, |db| sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table}"
        ))
        .fetch_one(db)
        .await)
        .expect("count")
    }
}
