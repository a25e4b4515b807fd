//! One way into the service for every black-box test: `spawn_app(backend)`
//! starts the real server on a free port with a database of its own.

use std::path::PathBuf;

use awc::http::StatusCode;
use commissioning::auth::{Role, TokenKeys};
use commissioning::config::{LogFormat, Settings, TokenAlgorithm};
use commissioning::db;
use commissioning::domain::field::Field;
use commissioning::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;

use crate::conformance;

pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
const ISSUER: &str = "commissioning";
const AUDIENCE: &str = "commissioning-api";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Removes the test's database when the test ends.
enum DatabaseGuard {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        match self {
            DatabaseGuard::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            DatabaseGuard::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ =
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

fn create_database(backend: Backend) -> (String, DatabaseGuard) {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("commissioning-test-{unique}"));
            let url = format!("sqlite://{}", dir.join("test.db").display());
            (url, DatabaseGuard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let name = format!("commissioning_test_{unique}");
            let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required by the test suite and is not reachable at {admin_url} ({e}). \
                     Start it (see README) or point TEST_POSTGRES_URL at a server where you may create databases."
                )
            });
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create the test database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            let url = format!("{base}/{name}");
            (url, DatabaseGuard::Postgres { admin_url, name })
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    /// The organisation every `token(role)` acts for.
    pub organisation_id: String,
    pub keys: TokenKeys,
    client: awc::Client,
    _database: DatabaseGuard,
}

/// One request of a [`TestApp::race`].
#[derive(Debug, Clone)]
pub struct Racer {
    pub method: &'static str,
    pub path: String,
    pub token: String,
    pub if_match: Option<String>,
    pub idempotency_key: Option<String>,
    pub body: Option<Value>,
}

impl Racer {
    pub fn new(method: &'static str, path: impl Into<String>, token: &str) -> Racer {
        Racer {
            method,
            path: path.into(),
            token: token.to_owned(),
            if_match: None,
            idempotency_key: None,
            body: None,
        }
    }

    pub fn if_match(mut self, tag: &str) -> Racer {
        self.if_match = Some(tag.to_owned());
        self
    }

    pub fn key(mut self, key: &str) -> Racer {
        self.idempotency_key = Some(key.to_owned());
        self
    }

    pub fn body(mut self, body: Value) -> Racer {
        self.body = Some(body);
        self
    }
}

/// A response: status and parsed JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub location: Option<String>,
    /// The RFC 8288 `Link` header of a list page.
    pub link: Option<String>,
    /// The record's version, on reads and creations.
    pub etag: Option<String>,
    /// The `Idempotent-Replayed: true` header was sent.
    pub replayed: bool,
    /// Every header, for those the fields above do not name.
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The body's field, panicking with the whole reply when it is missing.
    pub fn get(&self, field: &str) -> &Value {
        self.body
            .get(field)
            .unwrap_or_else(|| panic!("no `{field}` in {} reply: {}", self.status, self.body))
    }

    pub fn str(&self, field: &str) -> String {
        self.get(field)
            .as_str()
            .unwrap_or_else(|| panic!("`{field}` is not a string in {}", self.body))
            .to_owned()
    }

    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status, naming `field` when given.
    pub fn expect_problem(self, status: u16, field: Option<&str>) -> Reply {
        let reply = self.expect(status);
        assert_eq!(
            reply.content_type, "application/problem+json",
            "body: {}",
            reply.body
        );
        assert_eq!(reply.body["status"], status, "body: {}", reply.body);
        assert!(reply.body["title"].is_string() && reply.body["detail"].is_string());
        if let Some(field) = field {
            let fields: Vec<&str> = reply.body["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("no errors list in {}", reply.body))
                .iter()
                .filter_map(|e| e["field"].as_str())
                .collect();
            assert!(
                fields.contains(&field),
                "expected field {field} in {fields:?}; body: {}",
                reply.body
            );
        }
        reply
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// As [`spawn_app`], with `configure` adjusting the settings first (e.g. to
/// configure RS256). `TestApp::keys` are then built from those settings.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, guard) = create_database(backend);
    let mut settings = Settings {
        database_url: database_url.clone(),
        database_max_connections: 4,
        host: "127.0.0.1".to_owned(),
        port: 0,
        log_level: std::env::var("TEST_LOG").unwrap_or_else(|_| "error".to_owned()),
        log_format: LogFormat::Text,
        token_algorithm: TokenAlgorithm::Hs256,
        token_secret: Some(SECRET.to_owned()),
        token_secret_file: PathBuf::from("unused"),
        token_public_key_file: None,
        token_private_key_file: None,
        token_issuer: ISSUER.to_owned(),
        token_audience: AUDIENCE.to_owned(),
        cors_allowed_origins: Vec::new(),
    };
    configure(&mut settings);
    commissioning::startup::init_logging(&settings);
    let app = Application::build(&settings).expect("the application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let organisation_id =
        create_organisation(&database_url, "Office of the Police and Crime Commissioner");
    TestApp {
        address,
        database_url,
        organisation_id,
        keys: settings.token_keys().expect("keys"),
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish(),
        _database: guard,
    }
}

/// Creates an organisation directly in the database (as the CLI does).
pub fn create_organisation(database_url: &str, name: &str) -> String {
    let mut conn = db::connect_one(database_url).expect("connect");
    let name = commissioning::domain::field::ShortText::parse(name).expect("a name");
    db::organisations::create(&mut conn, &name)
        .expect("create organisation")
        .id
        .to_string()
}

impl TestApp {
    pub fn token(&self, role: Role) -> String {
        self.keys
            .mint("tester", parse_id(&self.organisation_id), role, None, 3600)
            .expect("token")
    }

    pub fn token_for(&self, organisation_id: &str, role: Role) -> String {
        self.keys
            .mint("tester", parse_id(organisation_id), role, None, 3600)
            .expect("token")
    }

    pub fn provider_token(&self, provider_id: &str) -> String {
        self.keys
            .mint(
                "provider-user",
                parse_id(&self.organisation_id),
                Role::Provider,
                Some(parse_id(provider_id)),
                3600,
            )
            .expect("token")
    }

    pub fn commissioner(&self) -> String {
        self.token(Role::Commissioner)
    }

    pub fn finance(&self) -> String {
        self.token(Role::Finance)
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.address)
        } else {
            format!("{}/api/v1/{path}", self.address)
        }
    }

    /// Sends a request; `token` None sends no Authorization header.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let url = self.url(path);
        let mut request = self.client.request(parse_method(method), &url);
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        }
        .expect("the request reaches the server");
        reply(method, &url, &mut response).await
    }

    /// Sends a raw body with the given content type.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: &str,
    ) -> Reply {
        let url = self.url(path);
        let mut response = self
            .client
            .request(parse_method(method), &url)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .send_body(body.to_owned())
            .await
            .expect("the request reaches the server");
        reply(method, &url, &mut response).await
    }

    /// Sends a raw body with the given headers (and the token).
    pub async fn send_with_headers(
        &self,
        method: &str,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let url = self.url(path);
        let mut request = self
            .client
            .request(parse_method(method), &url)
            .insert_header(("Authorization", format!("Bearer {token}")));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request
            .send_body(body.to_vec())
            .await
            .expect("the request reaches the server");
        reply(method, &url, &mut response).await
    }

    /// POSTs a file as the body itself (an import), with an optional
    /// `Idempotency-Key`.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: &[u8],
        key: Option<&str>,
    ) -> Reply {
        let url = self.url(path);
        let mut request = self
            .client
            .post(&url)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type));
        if let Some(key) = key {
            request = request.insert_header(("Idempotency-Key", key));
        }
        let mut response = request
            .send_body(body.to_vec())
            .await
            .expect("the request reaches the server");
        reply("POST", &url, &mut response).await
    }

    /// GET with an `Accept` header, returning the status and the body
    /// exactly as sent (for CSV, and for comparing bytes).
    pub async fn get_text(&self, path: &str, token: &str, accept: &str) -> (u16, String) {
        let url = self.url(path);
        let mut response = self
            .client
            .get(&url)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Accept", accept))
            .send()
            .await
            .expect("the request reaches the server");
        let bytes = response
            .body()
            .limit(16 << 20)
            .await
            .expect("the body arrives");
        conformance::check(conformance::Seen {
            method: "GET",
            url: &url,
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
            headers: response.headers(),
            body: &bytes,
        });
        let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
        (response.status().as_u16(), text)
    }

    /// GET with an `Accept` header: the status, media type and body bytes
    /// (for a file such as an XLSX template).
    pub async fn get_bytes(&self, path: &str, token: &str, accept: &str) -> (u16, String, Vec<u8>) {
        let url = self.url(path);
        let mut response = self
            .client
            .get(&url)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Accept", accept))
            .send()
            .await
            .expect("the request reaches the server");
        let bytes = response
            .body()
            .limit(16 << 20)
            .await
            .expect("the body arrives");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        conformance::check(conformance::Seen {
            method: "GET",
            url: &url,
            status: response.status().as_u16(),
            content_type: &content_type,
            headers: response.headers(),
            body: &bytes,
        });
        (response.status().as_u16(), content_type, bytes.to_vec())
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None).await
    }

    /// POST; actions on a record (status, variations, submit, query, accept)
    /// carry its current ETag as If-Match, as a client that read it would.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        let action = ["/status", "/variations", "/submit", "/query", "/accept"];
        if action.iter().any(|a| path.ends_with(a)) {
            let tag = self.etag(path, token).await;
            return self
                .send_if_match("POST", path, token, tag.as_deref(), Some(&body))
                .await;
        }
        self.send("POST", path, Some(token), Some(&body)).await
    }

    /// PATCH as a client that read the record first: sends its ETag as If-Match.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        let tag = self.etag(path, token).await;
        self.send_if_match("PATCH", path, token, tag.as_deref(), Some(&body))
            .await
    }

    /// PUT with the record's current ETag as If-Match.
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        let tag = self.etag(path, token).await;
        self.send_if_match("PUT", path, token, tag.as_deref(), Some(&body))
            .await
    }

    /// DELETE with the record's current ETag as If-Match.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        let tag = self.etag(path, token).await;
        self.send_if_match("DELETE", path, token, tag.as_deref(), None)
            .await
    }

    /// The ETag of the record a path acts on (`collection/id`), read with
    /// `token`; None when that read fails (the write will fail the same way).
    pub async fn etag(&self, path: &str, token: &str) -> Option<String> {
        // A write under a record is guarded by the record's ETag, except a
        // contract's publication details, which are guarded by their own.
        let segments = if path.ends_with("/publication") { 3 } else { 2 };
        let record: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .take(segments)
            .collect();
        let response = self
            .client
            .get(self.url(&record.join("/")))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .send()
            .await
            .ok()?;
        response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Sends a write with an explicit If-Match (None sends none).
    pub async fn send_if_match(
        &self,
        method: &str,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let url = self.url(path);
        let mut request = self
            .client
            .request(parse_method(method), &url)
            .insert_header(("Authorization", format!("Bearer {token}")));
        if let Some(tag) = if_match {
            request = request.insert_header(("If-Match", tag.to_owned()));
        }
        let mut response = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        }
        .expect("the request reaches the server");
        reply(method, &url, &mut response).await
    }

    /// Sends every request at once and waits for all the replies, in the
    /// order given. The requests are started together on this thread's
    /// runtime, so the server sees them side by side.
    pub async fn race(&self, requests: Vec<Racer>) -> Vec<Reply> {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|racer| {
                let client = self.client.clone();
                let url = self.url(&racer.path);
                actix_web::rt::spawn(async move {
                    let mut request = client
                        .request(parse_method(racer.method), &url)
                        .insert_header(("Authorization", format!("Bearer {}", racer.token)));
                    if let Some(tag) = racer.if_match {
                        request = request.insert_header(("If-Match", tag));
                    }
                    if let Some(key) = racer.idempotency_key {
                        request = request.insert_header(("Idempotency-Key", key));
                    }
                    let mut response = match racer.body {
                        Some(body) => request.send_json(&body).await,
                        None => request.send().await,
                    }
                    .expect("the request reaches the server");
                    reply(racer.method, &url, &mut response).await
                })
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.expect("the racer finishes"));
        }
        replies
    }

    // Shorthands that build the brief's records as a commissioner would.

    /// A funding stream with one budget; returns its id.
    pub async fn stream(&self, code: &str, year: &str, budget: &str) -> String {
        let body = serde_json::json!({
            "code": code,
            "name": format!("Stream {code}"),
            "funder": "Ministry of Justice",
            "ringfenced": true,
            "budgets": [{"financial_year": year, "amount": budget, "status": "confirmed"}]
        });
        self.post("funding-streams", &self.commissioner(), body)
            .await
            .expect(201)
            .str("id")
    }

    /// A charity provider; returns its id.
    pub async fn provider(&self, name: &str) -> String {
        let body = serde_json::json!({"name": name, "kind": "charity"});
        self.post("providers", &self.commissioner(), body)
            .await
            .expect(201)
            .str("id")
    }

    /// A draft grant for 2022-23 funded wholly by one stream; returns its id.
    pub async fn grant(&self, provider_id: &str, stream_id: &str, amount: &str) -> String {
        let body = serde_json::json!({
            "provider_id": provider_id,
            "kind": "grant",
            "title": "Grant",
            "start_date": "2022-04-01",
            "end_date": "2023-03-31",
            "value": amount,
            "funding_lines": [{"funding_stream_id": stream_id, "financial_year": "2022-23", "amount": amount}]
        });
        self.post("contracts", &self.commissioner(), body)
            .await
            .expect(201)
            .str("id")
    }

    /// Activates a contract, returning the reply (200, or a problem).
    pub async fn activate(&self, contract_id: &str) -> Reply {
        let body = serde_json::json!({"status": "active"});
        self.post(
            &format!("contracts/{contract_id}/status"),
            &self.commissioner(),
            body,
        )
        .await
    }
}

fn parse_method(method: &str) -> awc::http::Method {
    awc::http::Method::from_bytes(method.as_bytes()).expect("method")
}

/// Reads a response, after checking it against the OpenAPI document.
async fn reply<S>(method: &str, url: &str, response: &mut awc::ClientResponse<S>) -> Reply
where
    S: futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let location = header("location");
    let link = header("link");
    let etag = header("etag");
    let replayed = header("idempotent-replayed").as_deref() == Some("true");
    let bytes = response
        .body()
        .limit(16 << 20)
        .await
        .expect("the body arrives");
    conformance::check(conformance::Seen {
        method,
        url,
        status: status.as_u16(),
        content_type: &content_type,
        headers: response.headers(),
        body: &bytes,
    });
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        content_type,
        location,
        link,
        etag,
        replayed,
        headers: response.headers().clone(),
        body,
    }
}

/// Runs each named `async fn(Backend)` test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// An id the service issued, from its text (as the JSON answers carry it).
pub fn parse_id<T>(text: &str) -> T
where
    T: std::str::FromStr,
    T::Err: std::fmt::Debug,
{
    text.parse().expect("an id")
}
