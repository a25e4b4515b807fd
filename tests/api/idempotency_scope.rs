//! An Idempotency-Key belongs to one principal (organisation, role, provider
//! and subject): a replay only ever returns what the same principal created,
//! and another principal's use of a key tells it nothing.

use commissioning::auth::Role;
use serde_json::json;

use crate::helpers::{parse_id, spawn_app, Backend, Racer, Reply, TestApp};

async fn create(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: serde_json::Value,
) -> Reply {
    let mut replies = app
        .race(vec![Racer::new("POST", path, token).key(key).body(body)])
        .await;
    replies.remove(0)
}

async fn a_key_replays_only_for_the_principal_that_used_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let mut contracts = Vec::new();
    let mut tokens = Vec::new();
    for name in ["Provider A", "Provider B"] {
        let provider = app.provider(name).await;
        let contract = app.grant(&provider, &stream, "1000.00").await;
        app.activate(&contract).await.expect(200);
        contracts.push(contract);
        // Both providers' users have the same subject: only the provider
        // tells them apart.
        tokens.push(
            app.keys
                .mint(
                    "same-user",
                    parse_id(&app.organisation_id),
                    Role::Provider,
                    Some(parse_id(&provider)),
                    3600,
                )
                .expect("token"),
        );
    }
    let body_of = |contract: &str| {
        json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1",
               "referrals": 3, "people_supported": 2, "spend": "10.00"})
    };

    let first = create(
        &app,
        "outcome-returns",
        &tokens[0],
        "q1-return",
        body_of(&contracts[0]),
    )
    .await
    .expect(201);
    assert!(!first.replayed);

    // B replaying A's key and body is not a replay: B cannot see A's
    // contract, just as without a key.
    let replayed = create(
        &app,
        "outcome-returns",
        &tokens[1],
        "q1-return",
        body_of(&contracts[0]),
    )
    .await;
    assert!(
        !replayed.replayed,
        "B was handed A's return: {}",
        replayed.body
    );
    let without_key = app
        .post("outcome-returns", &tokens[1], body_of(&contracts[0]))
        .await;
    assert_eq!(replayed.status, without_key.status);
    assert_eq!(replayed.body["errors"], without_key.body["errors"]);

    // B's own return with the key A used is created, not refused: A's use of
    // the key is invisible to B.
    let own = create(
        &app,
        "outcome-returns",
        &tokens[1],
        "q1-return",
        body_of(&contracts[1]),
    )
    .await
    .expect(201);
    assert!(!own.replayed);
    assert_ne!(own.str("id"), first.str("id"));

    // A's retry still gets A's return.
    let retry = create(
        &app,
        "outcome-returns",
        &tokens[0],
        "q1-return",
        body_of(&contracts[0]),
    )
    .await
    .expect(201);
    assert!(retry.replayed);
    assert_eq!(retry.str("id"), first.str("id"));

    // Two commissioners (subjects) with one key: two principals, two streams.
    let alice = app
        .keys
        .mint(
            "alice",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            3600,
        )
        .expect("token");
    let bob = app
        .keys
        .mint(
            "bob",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            3600,
        )
        .expect("token");
    let stream_body = |code: &str| json!({"code": code, "name": format!("Stream {code}"), "funder": "Home Office", "ringfenced": false});
    let by_alice = create(
        &app,
        "funding-streams",
        &alice,
        "new-stream",
        stream_body("ALICE"),
    )
    .await
    .expect(201);
    let by_bob = create(
        &app,
        "funding-streams",
        &bob,
        "new-stream",
        stream_body("BOB"),
    )
    .await
    .expect(201);
    assert!(!by_bob.replayed);
    assert_ne!(by_alice.str("id"), by_bob.str("id"));
    // The same principal with another body is refused, naming the header.
    create(
        &app,
        "funding-streams",
        &alice,
        "new-stream",
        stream_body("OTHER"),
    )
    .await
    .expect_problem(422, Some("Idempotency-Key"));
}

/// An action (`POST …/status`, `…/submit`) retried with its key after the
/// answer was lost replays that answer, where the stale If-Match alone
/// would have made the retry a 412 — and nothing is done twice.
async fn a_retried_action_replays_instead_of_failing_its_precondition(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let contract = app.grant(&provider, &stream, "400.00").await;
    let path = format!("contracts/{contract}/status");
    let tag = app
        .etag(&format!("contracts/{contract}"), &token)
        .await
        .expect("an ETag");
    let award = || {
        Racer::new("POST", path.clone(), &token)
            .if_match(&tag)
            .key("award-rubicon")
            .body(json!({"status": "active"}))
    };
    let first = app.race(vec![award()]).await.remove(0).expect(200);
    let again = app.race(vec![award()]).await.remove(0).expect(200);
    assert!(again.replayed && !first.replayed);
    assert_eq!(again.body, first.body);
    assert_eq!(again.etag, first.etag);
    assert!(first.etag.is_some(), "an action answers with the new ETag");
    // Without the key, the same retry is refused: the If-Match is stale.
    app.race(vec![Racer::new("POST", path.clone(), &token)
        .if_match(&tag)
        .body(json!({"status": "active"}))])
        .await
        .remove(0)
        .expect_problem(412, None);
    let history = app
        .get(&format!("contracts/{contract}/variations"), &token)
        .await
        .expect(200);
    assert_eq!(
        history.body.as_array().map(Vec::len),
        Some(1),
        "awarded once"
    );

    // A body-less action the same way: a return's submission.
    let own = app.provider_token(&provider);
    let id = app
        .post(
            "outcome-returns",
            &own,
            json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1"}),
        )
        .await
        .expect(201)
        .str("id");
    let tag = app
        .etag(&format!("outcome-returns/{id}"), &own)
        .await
        .expect("an ETag");
    let submit = || {
        Racer::new("POST", format!("outcome-returns/{id}/submit"), &own)
            .if_match(&tag)
            .key("q1-submit")
    };
    let first = app.race(vec![submit()]).await.remove(0).expect(200);
    let again = app.race(vec![submit()]).await.remove(0).expect(200);
    assert!(again.replayed);
    assert_eq!(again.body, first.body);
    let versions = app
        .get(&format!("outcome-returns/{id}/versions"), &own)
        .await
        .expect(200);
    assert_eq!(
        versions.body.as_array().map(Vec::len),
        Some(2),
        "created, submitted once"
    );
}

crate::on_both_backends!(
    a_key_replays_only_for_the_principal_that_used_it,
    a_retried_action_replays_instead_of_failing_its_precondition,
);
