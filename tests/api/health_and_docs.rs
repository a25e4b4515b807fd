use crate::helpers::{spawn_app, Backend};

async fn health_readiness_and_docs_need_no_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.send("GET", "/healthz", None, None).await.expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.send("GET", "/readyz", None, None).await.expect(200);
    assert_eq!(ready.body["status"], "ready");

    let document = app
        .send("GET", "/openapi.json", None, None)
        .await
        .expect(200);
    assert_eq!(document.body, commissioning::api::openapi::document_value());
    // `/docs` redirects (the client follows it) to the Swagger UI page.
    let docs = app.send("GET", "/docs", None, None).await.expect(200);
    assert!(docs.content_type.starts_with("text/html"));
    assert!(
        docs.body.as_str().unwrap_or_default().contains("swagger"),
        "the docs page loads Swagger UI"
    );
}

async fn unknown_routes_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get("no-such-thing", &app.commissioner())
        .await
        .expect_problem(404, None);
}

async fn responses_carry_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = awc::Client::default()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("the request reaches the server");
    let id = response
        .headers()
        .get("x-request-id")
        .expect("an x-request-id header");
    assert!(!id.is_empty());
}

crate::on_both_backends!(
    health_readiness_and_docs_need_no_token,
    unknown_routes_are_problems,
    responses_carry_a_request_id,
    every_documented_route_exists,
);

/// The committed `openapi/openapi.json` must match what the code generates.
#[test]
fn the_committed_openapi_document_is_current() {
    let generated = commissioning::api::openapi::document_json();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi > openapi/openapi.json` and commit it"
    );
}

/// Every documented operation is served at its documented path: without a
/// token each API route answers 401 (not 404 or 405).
async fn every_documented_route_exists(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = commissioning::api::openapi::document_value();
    let paths = document["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, operations) in paths {
        let concrete = path
            .split('/')
            .map(|part| match part.split_once('}') {
                Some(("{register", suffix)) => format!("spend{suffix}"),
                // A published document's organisation must be an id; any
                // literal after the parameter (`{register}.csv`) is kept.
                Some((_, suffix)) if part.starts_with('{') => {
                    format!("01900000-0000-7000-8000-00000000beef{suffix}")
                }
                _ => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in operations.as_object().expect("operations").keys() {
            let reply = app
                .send(
                    &method.to_uppercase(),
                    &concrete,
                    None,
                    Some(&serde_json::json!({})),
                )
                .await;
            // A published document of an organisation that publishes
            // nothing is a 404 of the handler's own (not the router's).
            let expected = if path.starts_with("/api/v1/") {
                401
            } else if path.starts_with("/public/") {
                assert_eq!(reply.body["detail"], "publication not found", "{path}");
                404
            } else {
                200
            };
            assert_eq!(
                reply.status.as_u16(),
                expected,
                "{method} {path}: {}",
                reply.body
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations documented");
}
