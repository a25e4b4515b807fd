//! Hostile and malformed input (issue 8): every case is a clear problem
//! naming the field (or the right status), changes nothing, and never
//! panics, never answers 500 and never shows SQL.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Reply, TestApp};

/// A uuid that no record has.
const UNKNOWN_ID: &str = "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f";

/// Asserts a 422 naming `field`, and that the body shows no SQL.
fn refused(reply: Reply, field: &str) -> Reply {
    let reply = reply.expect_problem(422, Some(field));
    let text = reply.body.to_string().to_lowercase();
    for sql in [
        "select ", "insert ", "update ", "sqlite", "postgres", "violates",
    ] {
        assert!(!text.contains(sql), "the problem shows SQL: {text}");
    }
    reply
}

async fn count(app: &TestApp, collection: &str) -> i64 {
    app.get(collection, &app.commissioner())
        .await
        .expect(200)
        .get("total")
        .as_i64()
        .expect("a total")
}

/// An active 2022-23 grant of 100.00 from a stream with 1000.00; returns
/// (contract id, stream id).
async fn active_grant(app: &TestApp) -> (String, String) {
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Dads Unlimited").await;
    let contract = app.grant(&provider, &stream, "100.00").await;
    app.activate(&contract).await.expect(200);
    (contract, stream)
}

async fn multi_byte_company_numbers_are_refused_not_panicked_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    for number in ["Aé12345", "é1234567", "ABé12345", "12345678é"] {
        let body = json!({"name": "x", "kind": "company", "company_number": number});
        refused(app.post("providers", &token, body).await, "company_number");
    }
    assert_eq!(count(&app, "providers").await, 0);

    let id = app.provider("Rubicon Cares").await;
    let path = format!("providers/{id}");
    let reply = app
        .patch(&path, &token, json!({"company_number": "Aé12345"}))
        .await;
    refused(reply, "company_number");
    let read = app.get(&path, &token).await.expect(200);
    assert_eq!(read.body["company_number"], Value::Null, "nothing changed");

    // The worker is still there.
    let body = json!({"name": "y", "kind": "company", "company_number": "sc123456"});
    app.post("providers", &token, body).await.expect(201);
}

/// A body with three bad fields is answered with all three, each named
/// with why, at once: a caller fixes a form in one round trip.
async fn every_bad_field_of_a_body_is_reported_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let body = json!({
        "provider_id": "not-an-id",
        "kind": "grant",
        "title": "   ",
        "start_date": "2022-13-01",
        "end_date": "2023-03-31",
        "value": "100.00",
        "funding_lines": [{"funding_stream_id": UNKNOWN_ID, "amount": 12.5}]
    });
    let reply = refused(app.post("contracts", &token, body).await, "title");
    let mut fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .expect("an errors list")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "funding_lines[0].amount",
            "provider_id",
            "start_date",
            "title"
        ],
        "{}",
        reply.body
    );
    for error in reply.body["errors"].as_array().into_iter().flatten() {
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{error}"
        );
    }
    assert_eq!(count(&app, "contracts").await, 0);

    // The same for a change.
    let provider = app.provider("Dads Unlimited").await;
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let id = app.grant(&provider, &stream, "100.00").await;
    let reply = app
        .patch(
            &format!("contracts/{id}"),
            &token,
            json!({"title": "", "value": 3, "end_date": "tomorrow"}),
        )
        .await;
    let reply = refused(reply, "title");
    assert_eq!(reply.body["errors"].as_array().map(Vec::len), Some(3));
}

fn contract_body(provider: &str, start: &str, end: &str) -> Value {
    json!({
        "provider_id": provider,
        "kind": "grant",
        "title": "Grant",
        "start_date": start,
        "end_date": end,
        "value": "100.00"
    })
}

const BAD_DATES: [&str; 11] = [
    "2022-4-1",
    "22-04-01",
    "2022-04-1",
    "0022-04-01",
    "0001-01-01",
    "9999-12-31",
    "1990-03-31",
    "2200-04-01",
    "2022-02-30",
    "+2022-04-01",
    "2022-04-01T00:00:00Z",
];

async fn dates_are_strict_full_dates_within_the_supported_range(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let provider = app.provider("Rubicon Cares").await;

    for bad in BAD_DATES {
        let reply = app
            .post(
                "contracts",
                &token,
                contract_body(&provider, bad, "2023-03-31"),
            )
            .await;
        let problem = refused(reply, "start_date");
        let detail = problem.str("detail");
        assert!(
            detail.contains("YYYY-MM-DD") || detail.contains("not a day"),
            "{bad}: {detail}"
        );
        let reply = app
            .post(
                "contracts",
                &token,
                contract_body(&provider, "2022-04-01", bad),
            )
            .await;
        refused(reply, "end_date");
    }
    assert_eq!(count(&app, "contracts").await, 0);

    // The edges of the range are accepted, and read back as written.
    let created = app
        .post(
            "contracts",
            &token,
            contract_body(&provider, "1990-04-01", "2200-03-31"),
        )
        .await
        .expect(201);
    assert_eq!(created.body["start_date"], "1990-04-01");
    assert_eq!(created.body["end_date"], "2200-03-31");
    let draft = created.str("id");
    let reply = app
        .patch(
            &format!("contracts/{draft}"),
            &token,
            json!({"end_date": "9999-12-31"}),
        )
        .await;
    refused(reply, "end_date");

    // Payments, status changes, variations.
    let (contract, _) = active_grant(&app).await;
    let finance = app.finance();
    for bad in BAD_DATES {
        let reply = app
            .post(
                &format!("contracts/{contract}/payments"),
                &finance,
                json!({"amount": "1.00", "paid_on": bad}),
            )
            .await;
        refused(reply, "paid_on");
    }
    let payments = app
        .get(&format!("contracts/{contract}/payments"), &finance)
        .await
        .expect(200);
    assert_eq!(payments.body, json!([]), "no payment was recorded");

    let reply = app
        .post(
            &format!("contracts/{contract}/status"),
            &token,
            json!({"status": "ended", "reason": "done", "effective_date": "2022-13-01"}),
        )
        .await;
    refused(reply, "effective_date");
    let reply = app
        .post(
            &format!("contracts/{contract}/variations"),
            &token,
            json!({"end_date": "22-04-01", "reason": "shorter"}),
        )
        .await;
    refused(reply, "end_date");
    let read = app
        .get(&format!("contracts/{contract}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["status"], "active");
    assert_eq!(read.body["end_date"], "2023-03-31");

    // Query parameters.
    for bad in ["2022-4-1", "9999-12-31", "0022-04-01"] {
        let reply = app
            .get(
                &format!("reports/missing-and-late-returns?as_of={bad}"),
                &token,
            )
            .await;
        refused(reply, "as_of");
    }
    app.get("reports/missing-and-late-returns?as_of=2200-03-31", &token)
        .await
        .expect(200);

    // Instants (the audit trail's filters) at the edges of what they can
    // write are answered, never a 500.
    for instant in [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z",
    ] {
        let reply = app
            .get(&format!("audit-events?from={instant}&to={instant}"), &token)
            .await;
        assert!(
            matches!(reply.status.as_u16(), 200 | 422),
            "{instant}: {} {}",
            reply.status,
            reply.body
        );
    }
}

async fn control_characters_in_text_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();

    let cases = [
        (json!({"name": "a\u{0}b", "kind": "charity"}), "name"),
        (json!({"name": "a\u{1b}[31mb", "kind": "charity"}), "name"),
        (
            json!({"name": "ok", "kind": "charity", "contact_name": "x\u{0}"}),
            "contact_name",
        ),
        (
            json!({"name": "ok", "kind": "charity", "contact_email": "a\u{0}@b.example"}),
            "contact_email",
        ),
        (
            json!({"name": "ok", "kind": "charity", "charity_number": "1012345\u{0}"}),
            "charity_number",
        ),
    ];
    for (body, field) in cases {
        refused(app.post("providers", &token, body).await, field);
    }
    assert_eq!(count(&app, "providers").await, 0);

    let stream = json!({"code": "A\u{0}", "name": "n", "funder": "f"});
    refused(app.post("funding-streams", &token, stream).await, "code");
    let stream = json!({"code": "A", "name": "n", "funder": "f", "description": "x\u{0}y"});
    refused(
        app.post("funding-streams", &token, stream).await,
        "description",
    );
    assert_eq!(count(&app, "funding-streams").await, 0);
    // Long texts may break lines.
    let stream = json!({"code": "A", "name": "n", "funder": "f", "description": "one\r\n\ttwo"});
    app.post("funding-streams", &token, stream)
        .await
        .expect(201);

    let (contract, _) = active_grant(&app).await;
    let reply = app
        .post(
            &format!("contracts/{contract}/variations"),
            &token,
            json!({"end_date": "2023-01-31", "reason": "why\u{0}"}),
        )
        .await;
    refused(reply, "reason");
    let reply = app
        .post(
            &format!("contracts/{contract}/status"),
            &token,
            json!({"status": "terminated", "reason": "r", "decision_reference": "D\u{0}"}),
        )
        .await;
    refused(reply, "decision_reference");
    let reply = app
        .post(
            "outcome-returns",
            &token,
            json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1",
                   "narrative": "n\u{0}"}),
        )
        .await;
    refused(reply, "narrative");
    // A string the domain does not check as text still cannot carry NUL.
    let reply = app
        .post(
            "outcome-returns",
            &token,
            json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1",
                   "values": [{"code": "c\u{0}", "value": 1}]}),
        )
        .await;
    refused(reply, "values[0].code");
    assert_eq!(count(&app, "outcome-returns").await, 0);

    // Query parameters.
    refused(app.get("providers?name=a%00b", &token).await, "name");
    refused(
        app.get("funding-streams?funder=%01", &token).await,
        "funder",
    );
    refused(app.get("audit-events?actor=%00", &token).await, "actor");
}

async fn malformed_ids_never_reach_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let (contract, stream) = active_grant(&app).await;

    for path in [
        "contracts/%00",
        "contracts/not-an-id",
        "providers/%00",
        "funding-streams/%00",
        "outcome-returns/%00/versions",
        "outcome-measures/%00",
        "organisations/%00",
    ] {
        app.get(path, &token).await.expect_problem(404, None);
    }
    // A malformed id reads exactly like a well-formed one that matches nothing.
    let malformed = app.get("contracts/%00", &token).await.expect(404);
    let missing = app
        .get(&format!("contracts/{UNKNOWN_ID}"), &token)
        .await
        .expect(404);
    assert_eq!(malformed.body, missing.body);
    let malformed = app
        .get(&format!("contracts/{contract}/funding-lines/x"), &token)
        .await;
    malformed.expect_problem(405, None);
    let upper = contract.to_uppercase();
    app.get(&format!("contracts/{upper}"), &token)
        .await
        .expect_problem(404, None);
    app.get(&format!("contracts/{UNKNOWN_ID}"), &token)
        .await
        .expect_problem(404, None);
    let reply = app
        .send_if_match(
            "DELETE",
            &format!("contracts/{contract}/funding-lines/%00"),
            &token,
            Some("\"x\""),
            None,
        )
        .await;
    reply.expect_problem(404, None);
    let reply = app
        .send_if_match(
            "PUT",
            "funding-streams/%00/budgets/2022-23",
            &token,
            Some("\"x\""),
            Some(&json!({"amount": "1.00", "status": "confirmed"})),
        )
        .await;
    reply.expect_problem(404, None);

    // Ids in bodies name their field.
    for bad in ["x\u{0}", "nope", "", UNKNOWN_ID.to_uppercase().as_str()] {
        let reply = app
            .post(
                "contracts",
                &token,
                contract_body(bad, "2022-04-01", "2023-03-31"),
            )
            .await;
        refused(reply, "provider_id");
    }
    let mut body = contract_body(UNKNOWN_ID, "2022-04-01", "2023-03-31");
    body["funding_lines"] =
        json!([{"funding_stream_id": "s\u{0}", "financial_year": "2022-23", "amount": "1.00"}]);
    refused(
        app.post("contracts", &token, body).await,
        "funding_lines[0].funding_stream_id",
    );
    let reply = app
        .post(
            &format!("contracts/{contract}/payments"),
            &app.finance(),
            json!({"amount": "1.00", "paid_on": "2022-05-01", "funding_stream_id": "%00"}),
        )
        .await;
    refused(reply, "funding_stream_id");
    let reply = app
        .post(
            "outcome-measures",
            &token,
            json!({"contract_id": "c", "code": "c", "label": "l", "unit": "count"}),
        )
        .await;
    refused(reply, "contract_id");
    let reply = app
        .post(
            "outcome-returns",
            &token,
            json!({"contract_id": "\u{0}", "financial_year": "2022-23", "quarter": "Q1"}),
        )
        .await;
    refused(reply, "contract_id");
    assert_eq!(count(&app, "contracts").await, 1);

    // Ids in query parameters.
    refused(
        app.get("contracts?provider_id=%00", &token).await,
        "provider_id",
    );
    refused(
        app.get("contracts?funding_stream_id=abc", &token).await,
        "funding_stream_id",
    );
    refused(
        app.get(
            "reports/budget?financial_year=2022-23&funding_stream_id=%00",
            &token,
        )
        .await,
        "funding_stream_id",
    );
    refused(
        app.get("audit-events?resource_id=%00", &token).await,
        "resource_id",
    );
    let listed = app
        .get(&format!("contracts?funding_stream_id={stream}"), &token)
        .await
        .expect(200);
    assert_eq!(listed.body["total"], 1, "a real id still filters");
}

/// GET with this `Authorization` value: (status, content type, JSON body or Null).
async fn send_with_authorization(app: &TestApp, path: &str, value: &str) -> (u16, String, Value) {
    let mut response = awc::Client::default()
        .get(app.url(path))
        .insert_header(("Authorization", value.to_owned()))
        .send()
        .await
        .expect("the request reaches the server");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.body().await.expect("the body arrives");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (response.status().as_u16(), content_type, body)
}

async fn the_bearer_scheme_is_case_insensitive(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let (status, _, _) =
            send_with_authorization(&app, "funding-streams", &format!("{scheme} {token}")).await;
        assert_eq!(status, 200, "{scheme}");
    }
    for value in [
        format!("Basic {token}"),
        format!("Bearer{token}"),
        "bearer ".to_owned(),
    ] {
        let (status, content_type, _) =
            send_with_authorization(&app, "funding-streams", &value).await;
        assert_eq!(status, 401, "{value}");
        assert_eq!(content_type, "application/problem+json");
    }
}

async fn unsupported_methods_are_405_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = awc::Client::default();
    let cases = [
        ("TRACE", "/healthz".to_owned(), "GET, HEAD"),
        ("POST", "/healthz".to_owned(), "GET, HEAD"),
        (
            "DELETE",
            "/api/v1/funding-streams".to_owned(),
            "GET, HEAD, POST",
        ),
        (
            "PUT",
            format!("/api/v1/contracts/{UNKNOWN_ID}"),
            "GET, HEAD, PATCH, DELETE",
        ),
        (
            "GET",
            format!("/api/v1/funding-streams/{UNKNOWN_ID}/budgets/2022-23"),
            "PUT, DELETE",
        ),
        ("POST", "/openapi.json".to_owned(), "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut response = client
            .request(method.clone(), app.url(&path))
            .insert_header(("Authorization", format!("Bearer {}", app.commissioner())))
            .send()
            .await
            .expect("the request reaches the server");
        assert_eq!(response.status().as_u16(), 405, "{method} {path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("allow"), allow, "{method} {path}");
        assert_eq!(header("content-type"), "application/problem+json");
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body["status"], 405);
    }
    app.get("no-such-thing", &app.commissioner())
        .await
        .expect_problem(404, None);
    app.send("TRACE", "/no-such-thing", None, None)
        .await
        .expect_problem(404, None);
}

/// HEAD answers as GET does, headers and all, without the body.
async fn head_is_get_without_the_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = awc::Client::default();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    for path in [
        "/healthz".to_owned(),
        "/docs/".to_owned(),
        "/openapi.json".to_owned(),
        format!("/api/v1/funding-streams/{stream}"),
        "/api/v1/reports/budget.csv?financial_year=2022-23".to_owned(),
    ] {
        let send = |method: awc::http::Method| {
            client
                .request(method, app.url(&path))
                .insert_header(("Authorization", format!("Bearer {}", app.commissioner())))
                .send()
        };
        let mut get = send(awc::http::Method::GET)
            .await
            .expect("GET reaches the server");
        let mut head = send(awc::http::Method::HEAD)
            .await
            .expect("HEAD reaches the server");
        assert_eq!(head.status().as_u16(), 200, "HEAD {path}");
        for name in ["content-type", "content-length", "etag"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "HEAD {path}: {name}"
            );
        }
        let got = get.body().await.expect("GET's body");
        assert!(!got.is_empty(), "GET {path} has a body");
        assert!(
            head.body().await.expect("HEAD's body").is_empty(),
            "HEAD {path} sends no body"
        );
    }
}

async fn oversized_headers_are_431_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    // A 100 KB token fits actix-http's 128 KiB head buffer, so the service
    // answers it itself.
    let huge = "a".repeat(100_000);
    let (status, content_type, body) =
        send_with_authorization(&app, "funding-streams", &format!("Bearer {huge}")).await;
    assert_eq!(status, 431);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], 431);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("authorization"),
        "{body}"
    );

    // Any header, on any path.
    let response = awc::Client::default()
        .get(app.url("/healthz"))
        .insert_header(("X-Padding", "p".repeat(9 * 1024)))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(response.status().as_u16(), 431);

    // A head over actix-http's fixed 128 KiB buffer is refused by actix-http
    // before the service runs: still 431, but with no body (see README).
    let beyond = "a".repeat(200_000);
    let response = awc::Client::default()
        .get(app.url("funding-streams"))
        .insert_header(("Authorization", format!("Bearer {beyond}")))
        .send()
        .await
        .expect("actix-http answers before closing");
    assert_eq!(response.status().as_u16(), 431);
    let length = response.headers().get("content-length");
    assert_eq!(length.and_then(|v| v.to_str().ok()), Some("0"));

    // Just under the limit is fine.
    let response = awc::Client::default()
        .get(app.url("/healthz"))
        .insert_header(("X-Padding", "p".repeat(8 * 1024)))
        .send()
        .await
        .expect("the request reaches the server");
    assert_eq!(response.status().as_u16(), 200);
}

/// A body is a JSON object: serde alone would fill a struct from an array
/// of its fields in order.
async fn bodies_must_be_objects(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let provider = app.provider("Rubicon Cares").await;
    let before = count(&app, "providers").await;
    for body in [
        r#"["Array charity", "charity"]"#,
        "null",
        "\"text\"",
        "  [null]",
    ] {
        app.send_raw("POST", "providers", &token, "application/json", body)
            .await
            .expect_problem(422, Some("body"));
    }
    assert_eq!(count(&app, "providers").await, before, "nothing created");
    let tag = app
        .etag(&format!("providers/{provider}"), &token)
        .await
        .expect("an ETag");
    let refused = app
        .send_if_match(
            "PATCH",
            &format!("providers/{provider}"),
            &token,
            Some(&tag),
            Some(&serde_json::json!([null, null])),
        )
        .await;
    refused.expect_problem(422, Some("body"));
    let read = app
        .get(&format!("providers/{provider}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["name"], "Rubicon Cares");
}

crate::on_both_backends!(
    bodies_must_be_objects,
    every_bad_field_of_a_body_is_reported_together,
    multi_byte_company_numbers_are_refused_not_panicked_on,
    dates_are_strict_full_dates_within_the_supported_range,
    control_characters_in_text_are_refused,
    malformed_ids_never_reach_the_database,
    the_bearer_scheme_is_case_insensitive,
    unsupported_methods_are_405_with_allow,
    head_is_get_without_the_body,
    oversized_headers_are_431_problems,
    encoded_bodies_are_415_and_store_nothing,
);

/// A body in a `Content-Encoding` the service does not decode is refused
/// with 415 on any route, before anything reads it as if it were plain;
/// `identity` (no coding at all) is read as usual.
async fn encoded_bodies_are_415_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let body = json!({"code": "GZ", "name": "Gzipped", "funder": "Home Office",
                      "budgets": [{"financial_year": "2022-23", "amount": "10.00",
                                   "status": "confirmed"}]})
    .to_string();
    for coding in ["gzip", "br", "deflate", "identity, gzip", "x-unknown"] {
        let headers = [
            ("Content-Type", "application/json"),
            ("Content-Encoding", coding),
        ];
        let reply = app
            .send_with_headers("POST", "funding-streams", &token, &headers, body.as_bytes())
            .await
            .expect_problem(415, None);
        assert_eq!(reply.body["type"], "/problems/unsupported-media-type");
        let detail = reply.str("detail");
        assert!(detail.contains("Content-Encoding"), "{coding}: {detail}");
        assert_eq!(
            reply
                .headers
                .get("accept-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("identity"),
            "{coding}"
        );
    }
    assert_eq!(count(&app, "funding-streams").await, 0, "nothing created");

    // An import's body, whatever its media type, is refused the same way.
    let headers = [("Content-Type", "text/csv"), ("Content-Encoding", "gzip")];
    let file = b"name,kind,charity_number,company_number\r\nDandelion Time,charity,,\r\n";
    app.send_with_headers("POST", "imports/providers", &token, &headers, file)
        .await
        .expect_problem(415, None);
    assert_eq!(count(&app, "providers").await, 0, "nothing imported");

    // No coding, spelt out, is read as usual.
    for (coding, code) in [("identity", "ID1"), ("IDENTITY", "ID2")] {
        let headers = [
            ("Content-Type", "application/json"),
            ("Content-Encoding", coding),
        ];
        let body = body.replace("GZ", code);
        app.send_with_headers("POST", "funding-streams", &token, &headers, body.as_bytes())
            .await
            .expect(201);
    }
    assert_eq!(count(&app, "funding-streams").await, 2);
    // A request without a body is not refused for the header alone.
    app.send_with_headers(
        "GET",
        "funding-streams",
        &token,
        &[("Content-Encoding", "gzip")],
        b"",
    )
    .await
    .expect(200);
}

/// The document states the limits the server enforces.
#[test]
fn the_document_states_the_enforced_limits() {
    use commissioning::api::pagination::MAX_LIMIT;
    use commissioning::domain::text::{LONG_TEXT, SHORT_TEXT};

    let document = commissioning::api::openapi::document_value();
    let schemas = &document["components"]["schemas"];
    let property = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    // A text field's limits are its type's: follow the reference (past
    // the `null` an optional field may also be) to the schema that says them.
    let limits = |schema: &str, field: &str| {
        let mut found = property(schema, field);
        if let Some(choices) = found["oneOf"].as_array() {
            found = choices
                .iter()
                .find(|c| c["type"] != "null")
                .cloned()
                .unwrap_or_default();
        }
        match found["$ref"].as_str() {
            Some(target) => schemas[target.trim_start_matches("#/components/schemas/")].clone(),
            None => found,
        }
    };

    let contracts = &document["paths"]["/api/v1/contracts"]["get"]["parameters"];
    let parameter = |name: &str| {
        contracts
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == name))
            .map(|p| p["schema"].clone())
            .unwrap_or_else(|| panic!("no {name} parameter"))
    };
    assert_eq!(parameter("limit")["minimum"], 1);
    assert_eq!(parameter("limit")["maximum"], MAX_LIMIT);
    assert_eq!(parameter("offset")["minimum"], 0);
    assert_eq!(
        parameter("provider_id")["$ref"],
        "#/components/schemas/ProviderId"
    );
    assert_eq!(
        parameter("financial_year")["$ref"],
        "#/components/schemas/FinancialYear"
    );
    let year = schemas["FinancialYear"]["pattern"]
        .as_str()
        .unwrap_or_default();
    assert!(
        year.starts_with("^(19(90-91|") && year.contains("|22-23|"),
        "{year}"
    );

    let date = &schemas["CalendarDate"];
    assert_eq!(date["format"], "date");
    let pattern = date["pattern"].as_str().unwrap_or_default();
    assert!(pattern.starts_with("^(1990-(0[4-9]|1[0-2])|"), "{pattern}");
    assert!(pattern.contains("|2200-0[1-3])"), "{pattern}");
    let description = date["description"].as_str().unwrap_or_default();
    assert!(description.contains("1990-04-01") && description.contains("2200-03-31"));
    assert_eq!(
        property("NewPayment", "paid_on")["$ref"],
        "#/components/schemas/CalendarDate"
    );
    assert_eq!(
        property("NewContract", "provider_id")["$ref"],
        "#/components/schemas/ProviderId"
    );

    assert_eq!(limits("NewProvider", "name")["minLength"], 1);
    assert_eq!(limits("NewProvider", "name")["maxLength"], SHORT_TEXT);
    assert_eq!(limits("NewContract", "purpose")["maxLength"], LONG_TEXT);
    assert_eq!(limits("NewVariation", "reason")["maxLength"], LONG_TEXT);
    assert_eq!(property("NewContract", "return_due_days")["minimum"], 1);
    assert_eq!(property("NewContract", "return_due_days")["maximum"], 366);
    // A code's length is in its pattern.
    let code = limits("NewFundingStream", "code")["pattern"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(code.contains("{1,64}"), "{code}");
    // No control characters in text, and a required text is not blank.
    let name = limits("NewProvider", "name")["pattern"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        name.contains(r"\u0000-\u001F") && name.contains(r"[^\s"),
        "{name}"
    );
    let purpose = limits("NewContract", "purpose")["pattern"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        purpose.contains(r"\u000E-\u001F"),
        "long text keeps tabs and line breaks: {purpose}"
    );

    let referrals = property("NewOutcomeReturn", "referrals");
    assert_eq!(referrals["maximum"], u64::from(u32::MAX));
    assert_eq!(referrals["minimum"], 0);

    let value = property("MeasureValue", "value");
    let kinds = value["oneOf"].as_array().expect("oneOf");
    assert_eq!(kinds[0]["type"], "integer");
    assert_eq!(kinds[1]["$ref"], "#/components/schemas/Money");
    assert_eq!(kinds[2]["type"], "null", "not reported");
    assert!(schemas["Money"]["pattern"].is_string());
}
