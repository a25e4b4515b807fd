//! Builds the HTTP server: database, keys, middleware and routes.

use std::net::TcpListener;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Condition, Next};
use actix_web::{web, App, HttpMessage, HttpRequest, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;

use crate::api::{self, AppState};
use crate::config::{LogFormat, Settings};
use crate::db::{self, Db};
use crate::error::AppError;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Migrates the database, binds the port and prepares the server.
    pub fn build(settings: &Settings) -> Result<Application, AppError> {
        let applied = db::migrate(&settings.database_url)?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied migrations");
        }
        let db = Db::connect(&settings.database_url, settings.database_max_connections)?;
        let keys = settings.token_keys()?;
        let listener = TcpListener::bind((settings.host.as_str(), settings.port)).map_err(|e| {
            AppError::internal(
                format!("cannot listen on {}:{}", settings.host, settings.port),
                e,
            )
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| AppError::internal("no local address", e))?
            .port();
        let metrics = crate::metrics::middleware(&db)?;
        let origins = settings.cors_allowed_origins.clone();
        let state = web::Data::new(AppState { db, keys });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(head_as_get))
                .wrap(from_fn(refuse_encoded_bodies))
                .wrap(from_fn(limit_header_sizes))
                .wrap(cors(&origins))
                .wrap(metrics.clone())
                .wrap(from_fn(log_request))
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(crate::api::extract::MAX_BODY_BYTES))
                .app_data(crate::api::extract::path_config())
                .into_utoipa_app()
                .configure(api::register)
                .into_app()
                .configure(api::docs)
                .default_service(web::to(unmatched))
        })
        .listen(listener)
        .map_err(|e| AppError::internal("cannot start the server", e))?
        .shutdown_timeout(30)
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// CORS for the configured origins: a browser front end there may call the
/// API with a bearer token and read the headers clients need. With no
/// origins configured no CORS headers are sent, so browsers refuse
/// cross-origin calls.
fn cors(origins: &[String]) -> Condition<actix_cors::Cors> {
    use actix_web::http::header;
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LINK,
            header::CONTENT_DISPOSITION,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    Condition::new(!origins.is_empty(), cors)
}

/// A request no route took: 405 with `Allow` when the path is one of ours
/// (the documented paths, so this list cannot drift from the routes),
/// else 404.
async fn unmatched(req: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    match api::openapi::allowed_methods(req.path()) {
        Some(allow) => Err(AppError::MethodNotAllowed { allow }),
        None => Err(AppError::NotFound("route")),
    }
}

/// HEAD is GET without the body (RFC 9110 §9.3.2): the request is routed
/// as the GET it mirrors, and actix-http, which saw the HEAD, sends the
/// GET's headers (its `Content-Length`, `ETag`…) and no body.
async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Refuses an over-long header with a 431 problem before any handler runs.
async fn limit_header_sizes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody, impl MessageBody>>, actix_web::Error> {
    if let Err(error) = api::extract::check_header_sizes(&req) {
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(req.into_response(response).map_into_left_body());
    }
    Ok(next.call(req).await?.map_into_right_body())
}

/// Refuses, with a 415 problem before any handler reads it, a body in a
/// `Content-Encoding` the service does not decode: every route's body is
/// read through here, so none can store an encoded body as if plain.
async fn refuse_encoded_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody, impl MessageBody>>, actix_web::Error> {
    if let Err(error) = api::extract::check_content_encoding(req.headers()) {
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(req.into_response(response).map_into_left_body());
    }
    Ok(next.call(req).await?.map_into_right_body())
}

/// Logs each request once it is answered (inside the request's span, so
/// with its request id) and returns the id as `x-request-id`, so a caller's
/// report can be matched to the logs.
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut response = next.call(req).await?;
    let status = response.status().as_u16();
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(status, elapsed_ms, "answered");
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// Structured logs to stderr, filtered by `LOG_LEVEL`.
pub fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
