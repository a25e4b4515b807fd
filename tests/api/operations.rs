//! What operators and browser front ends rely on: `/metrics` for
//! Prometheus, and CORS for the configured origins only.

use crate::helpers::{spawn_app, spawn_app_with, Backend};

async fn text(
    response: &mut awc::ClientResponse<
        impl futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    >,
) -> String {
    let bytes = response.body().await.expect("a body");
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn metrics_count_requests_by_route_and_time_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    app.get(&format!("funding-streams/{stream}"), &token)
        .await
        .expect(200);
    app.get(
        "funding-streams/01900000-0000-7000-8000-00000000beef",
        &token,
    )
    .await
    .expect(404);
    let mut response = awc::Client::default()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(response.status().as_u16(), 200);
    let metrics = text(&mut response).await;
    for expected in [
        // By the route's pattern, never its ids.
        r#"commissioning_http_requests_total{endpoint="/api/v1/funding-streams/{id}",method="GET",status="200"} 1"#,
        r#"commissioning_http_requests_total{endpoint="/api/v1/funding-streams/{id}",method="GET",status="404"} 1"#,
        r#"commissioning_http_requests_total{endpoint="/api/v1/funding-streams",method="POST",status="201"} 1"#,
        r#"commissioning_http_requests_duration_seconds_bucket{endpoint="/api/v1/funding-streams/{id}",method="GET",status="200",le="#,
        r#"commissioning_db_seconds_count{kind="write"}"#,
        r#"commissioning_db_seconds_count{kind="read"}"#,
        "commissioning_db_pool_max_connections 4",
        "commissioning_db_pool_connections ",
    ] {
        assert!(metrics.contains(expected), "no {expected} in\n{metrics}");
    }
    assert!(!metrics.contains(&stream), "an id became a label");
}

const FRONT_END: &str = "https://grants.example.gov.uk";

async fn cors_answers_configured_origins_only(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.cors_allowed_origins = vec![FRONT_END.to_owned()];
    })
    .await;
    let client = awc::Client::default();
    let preflight = client
        .request(
            awc::http::Method::OPTIONS,
            app.url("funding-streams/some-id"),
        )
        .insert_header(("Origin", FRONT_END))
        .insert_header(("Access-Control-Request-Method", "PATCH"))
        .insert_header((
            "Access-Control-Request-Headers",
            "authorization, if-match, content-type",
        ))
        .send()
        .await
        .expect("the request reaches the server");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let header = |response: &awc::ClientResponse<_>, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(header(&preflight, "access-control-allow-origin"), FRONT_END);
    assert!(header(&preflight, "access-control-allow-methods").contains("patch"));
    assert!(header(&preflight, "access-control-allow-headers").contains("if-match"));

    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let read = client
        .get(app.url(&format!("funding-streams/{stream}")))
        .insert_header(("Origin", FRONT_END))
        .insert_header(("Authorization", format!("Bearer {}", app.commissioner())))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(read.status().as_u16(), 200);
    assert_eq!(header(&read, "access-control-allow-origin"), FRONT_END);
    assert!(header(&read, "access-control-expose-headers").contains("etag"));

    // Another origin is not told it may read the answer.
    let other = client
        .get(app.url(&format!("funding-streams/{stream}")))
        .insert_header(("Origin", "https://elsewhere.example"))
        .insert_header(("Authorization", format!("Bearer {}", app.commissioner())))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(header(&other, "access-control-allow-origin"), "");

    // With no origins configured (the default), no CORS headers at all.
    let plain = spawn_app(backend).await;
    let response = client
        .get(plain.url("/healthz"))
        .insert_header(("Origin", FRONT_END))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(header(&response, "access-control-allow-origin"), "");
}

/// `If-Match` is read as RFC 9110 entity tags: any listed tag that matches
/// strongly, or `*`; a weak tag or one that does not parse matches nothing;
/// none at all is 428.
async fn if_match_is_read_as_entity_tags(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let path = format!("funding-streams/{stream}");
    let body = serde_json::json!({"description": "Core grant"});
    let current = app.etag(&path, &token).await.expect("an ETag");
    for (if_match, status) in [
        (Some(""), 428),
        (Some(format!("W/{current}").as_str()), 412),
        (Some("3f2a9c0d"), 412),
        (Some("\"3f2a9c0d\""), 412),
        (Some(format!("\"stale\", {current}").as_str()), 200),
        (Some("*"), 200),
    ] {
        let reply = app
            .send_if_match("PATCH", &path, &token, if_match, Some(&body))
            .await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "If-Match: {if_match:?}: {}",
            reply.body
        );
    }
}

crate::on_both_backends!(
    if_match_is_read_as_entity_tags,
    metrics_count_requests_by_route_and_time_the_database,
    cors_answers_configured_origins_only,
);
