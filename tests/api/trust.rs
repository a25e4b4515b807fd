//! What lets a commissioning team trust the figures: optimistic concurrency
//! (ETag / If-Match), idempotent creation and the audit trail.

use commissioning::auth::Role;
use serde_json::json;

use crate::helpers::{parse_id, spawn_app, Backend};

async fn a_stale_if_match_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let path = format!("funding-streams/{stream}");
    let read = app.get(&path, &token).await.expect(200);
    let first_tag = app.etag(&path, &token).await.expect("an ETag");
    assert_eq!(read.body["name"], "Stream VSS");

    // Two people read the same version; the first to write wins...
    let alice = app
        .send_if_match(
            "PATCH",
            &path,
            &token,
            Some(&first_tag),
            Some(&json!({"name": "Alice's name"})),
        )
        .await
        .expect(200);
    let second_tag = app.etag(&path, &token).await.expect("an ETag");
    assert_ne!(first_tag, second_tag, "the ETag changes with the record");
    assert_eq!(alice.body["name"], "Alice's name");
    // ...and the second, still holding the old ETag, is refused.
    app.send_if_match(
        "PATCH",
        &path,
        &token,
        Some(&first_tag),
        Some(&json!({"name": "Bob's name"})),
    )
    .await
    .expect_problem(412, None);
    // Without If-Match nothing is written either.
    app.send_if_match(
        "PATCH",
        &path,
        &token,
        None,
        Some(&json!({"name": "Carol's name"})),
    )
    .await
    .expect_problem(428, None);
    let now = app.get(&path, &token).await.expect(200);
    assert_eq!(now.body["name"], "Alice's name");

    // A contract's status change and a return's submission are guarded alike.
    let provider = app.provider("Rubicon Cares").await;
    let contract = app.grant(&provider, &stream, "10.00").await;
    let contract_tag = app
        .etag(&format!("contracts/{contract}"), &token)
        .await
        .expect("an ETag");
    app.patch(
        &format!("contracts/{contract}"),
        &token,
        json!({"title": "Renamed"}),
    )
    .await
    .expect(200);
    app.send_if_match(
        "POST",
        &format!("contracts/{contract}/status"),
        &token,
        Some(&contract_tag),
        Some(&json!({"status": "active"})),
    )
    .await
    .expect_problem(412, None);
    let still = app
        .get(&format!("contracts/{contract}"), &token)
        .await
        .expect(200);
    assert_eq!(still.body["status"], "draft");
    // `*` matches whatever the current version is.
    app.send_if_match(
        "POST",
        &format!("contracts/{contract}/status"),
        &token,
        Some("*"),
        Some(&json!({"status": "active"})),
    )
    .await
    .expect(200);
}

async fn a_retried_creation_creates_one_record(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let finance = app.finance();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Dads Unlimited").await;
    let body = json!({
        "provider_id": provider, "kind": "grant", "title": "Dads' support",
        "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "35000.00",
        "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "35000.00"}]
    });
    let post = |key: &'static str, body: serde_json::Value, token: String| {
        let app = &app;
        async move {
            let response = awc::Client::default()
                .post(app.url("contracts"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Idempotency-Key", key))
                .send_json(&body)
                .await
                .expect("the request reaches the server");
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            let mut response = response;
            let bytes = response.body().await.expect("a body");
            let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            (status, replayed, json)
        }
    };
    let (status, replayed, first) = post("contract-dads-1", body.clone(), token.clone()).await;
    assert_eq!((status, replayed), (201, false));
    let (status, replayed, again) = post("contract-dads-1", body.clone(), token.clone()).await;
    assert_eq!(
        (status, replayed),
        (201, true),
        "the retry gets the original response"
    );
    assert_eq!(first, again);
    assert_eq!(
        app.get("contracts", &token).await.expect(200).body["total"],
        1,
        "one contract, not two"
    );

    // The same key with a different body is refused and creates nothing.
    let mut changed = body.clone();
    changed["title"] = json!("Something else");
    let (status, _, problem) = post("contract-dads-1", changed, token.clone()).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(
        app.get("contracts", &token).await.expect(200).body["total"],
        1
    );

    // Keys belong to their caller: another user's same key is a new request.
    let other = app
        .keys
        .mint(
            "another-commissioner",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            3600,
        )
        .expect("token");
    let (status, replayed, _) = post("contract-dads-1", body.clone(), other).await;
    assert_eq!((status, replayed), (201, false));

    // Payments too: a retried payment is recorded once.
    let id = first["id"].as_str().expect("id").to_owned();
    app.activate(&id).await.expect(200);
    for _ in 0..3 {
        let response = awc::Client::default()
            .post(app.url(&format!("contracts/{id}/payments")))
            .insert_header(("Authorization", format!("Bearer {finance}")))
            .insert_header(("Idempotency-Key", "payment-2022-q1"))
            .send_json(&json!({"amount": "8750.00", "paid_on": "2022-06-30"}))
            .await
            .expect("the request reaches the server");
        assert_eq!(response.status().as_u16(), 201);
    }
    let contract = app
        .get(&format!("contracts/{id}"), &finance)
        .await
        .expect(200);
    assert_eq!(
        contract.body["paid"], "8750.00",
        "paid once, not three times"
    );
}

async fn every_write_is_in_the_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Choices Support").await;
    let contract = app.grant(&provider, &stream, "600.00").await;
    app.patch(
        &format!("contracts/{contract}"),
        &token,
        json!({"title": "Choices"}),
    )
    .await
    .expect(200);
    app.activate(&contract).await.expect(200);

    let trail = app
        .get(
            &format!("audit-events?resource_type=contract&resource_id={contract}"),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(trail.body["total"], 3);
    let events = trail.body["items"].as_array().expect("events");
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(actions, ["create", "update", "status_change"]);
    for event in events {
        assert_eq!(event["actor"], "tester");
        assert_eq!(event["actor_role"], "commissioner");
        assert!(event["occurred_at"].is_string());
    }
    assert_eq!(events[0]["before"], serde_json::Value::Null);
    assert_eq!(events[0]["after"]["title"], "Grant");
    assert_eq!(events[1]["before"]["title"], "Grant");
    assert_eq!(events[1]["after"]["title"], "Choices");
    assert_eq!(events[2]["before"]["status"], "draft");
    assert_eq!(events[2]["after"]["status"], "active");

    // Deletions keep the record as it was.
    let spare = app.provider("Spare").await;
    app.delete(&format!("providers/{spare}"), &token)
        .await
        .expect(204);
    let deleted = app
        .get(
            &format!("audit-events?resource_id={spare}&resource_type=provider"),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(deleted.body["items"][1]["action"], "delete");
    assert_eq!(deleted.body["items"][1]["before"]["name"], "Spare");
    assert_eq!(deleted.body["items"][1]["after"], serde_json::Value::Null);

    // A refused write leaves no trace.
    let before = app.get("audit-events", &token).await.expect(200).body["total"].clone();
    app.patch(
        &format!("contracts/{contract}"),
        &token,
        json!({"title": "Not allowed now"}),
    )
    .await
    .expect_problem(409, None);
    assert_eq!(
        app.get("audit-events", &token).await.expect(200).body["total"],
        before
    );

    // Filtered by time: nothing before the first change, everything after.
    let none = app
        .get("audit-events?to=2000-01-01T00:00:00Z", &token)
        .await
        .expect(200);
    assert_eq!(none.body["total"], 0);
    let all = app
        .get("audit-events?from=2000-01-01T00:00:00Z", &token)
        .await
        .expect(200);
    assert_eq!(all.body["total"], before);
    app.get("audit-events?from=yesterday", &token)
        .await
        .expect_problem(422, Some("from"));

    // Commissioners read it; finance and providers do not; nobody can write it.
    app.get("audit-events", &app.finance())
        .await
        .expect_problem(403, None);
    app.get("audit-events", &app.provider_token(&provider))
        .await
        .expect_problem(403, None);
    app.get("audit-events", &app.token(Role::Admin))
        .await
        .expect(200);
    // The trail has no writes: the path exists, so 405.
    app.send("POST", "audit-events", Some(&token), Some(&json!({})))
        .await
        .expect_problem(405, None);
    app.send("DELETE", "audit-events", Some(&token), None)
        .await
        .expect_problem(405, None);
}

crate::on_both_backends!(
    a_stale_if_match_is_refused_and_changes_nothing,
    a_retried_creation_creates_one_record,
    every_write_is_in_the_audit_trail,
);
