//! Tokens and tenancy: who may call, and what another organisation sees.

use commissioning::auth::{Role, TokenKeys};
use serde_json::json;

use crate::helpers::{create_organisation, parse_id, spawn_app, Backend, SECRET};

async fn requests_without_a_valid_token_are_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let other_key = TokenKeys::from_secret(
        b"another-secret-of-at-least-32-bytes!!",
        "commissioning",
        "commissioning-api",
    )
    .expect("keys");
    let wrong_audience =
        TokenKeys::from_secret(SECRET.as_bytes(), "commissioning", "someone-else").expect("keys");
    let wrong_issuer =
        TokenKeys::from_secret(SECRET.as_bytes(), "elsewhere", "commissioning-api").expect("keys");
    let org = app.organisation_id.clone();
    let expired = app
        .keys
        .mint("x", parse_id(&org), Role::Commissioner, None, -3600)
        .expect("token");
    let tokens = [
        "not-a-jwt".to_owned(),
        other_key
            .mint("x", parse_id(&org), Role::Commissioner, None, 3600)
            .expect("token"),
        wrong_audience
            .mint("x", parse_id(&org), Role::Commissioner, None, 3600)
            .expect("token"),
        wrong_issuer
            .mint("x", parse_id(&org), Role::Commissioner, None, 3600)
            .expect("token"),
        expired,
    ];
    for token in &tokens {
        let reply = app
            .get("funding-streams", token)
            .await
            .expect_problem(401, None);
        assert_eq!(
            reply.body["detail"],
            "the bearer token is missing, invalid or expired"
        );
    }
    app.send("GET", "contracts", None, None)
        .await
        .expect_problem(401, None);
    app.send(
        "POST",
        "providers",
        None,
        Some(&json!({"name": "x", "kind": "charity"})),
    )
    .await
    .expect_problem(401, None);
    assert_eq!(
        app.get("providers", &app.commissioner())
            .await
            .expect(200)
            .body["total"],
        0,
        "nothing was created"
    );
}

async fn roles_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    let finance = app.finance();
    let stream = app.stream("VSS", "2022-23", "100.00").await;
    let provider = app.provider("Dads Unlimited").await;
    let contract = app.grant(&provider, &stream, "10.00").await;

    // Finance reads everything but changes none of the commissioning records.
    app.get(&format!("funding-streams/{stream}"), &finance)
        .await
        .expect(200);
    app.get(&format!("contracts/{contract}"), &finance)
        .await
        .expect(200);
    app.post(
        "funding-streams",
        &finance,
        json!({"code": "X", "name": "X", "funder": "F"}),
    )
    .await
    .expect_problem(403, None);
    app.patch(
        &format!("providers/{provider}"),
        &finance,
        json!({"name": "Renamed"}),
    )
    .await
    .expect_problem(403, None);
    app.post(
        &format!("contracts/{contract}/status"),
        &finance,
        json!({"status": "active"}),
    )
    .await
    .expect_problem(403, None);

    // A provider sees only itself and its own contracts, and no budgets.
    let own = app.provider_token(&provider);
    app.get("funding-streams", &own)
        .await
        .expect_problem(403, None);
    app.get(&format!("contracts/{contract}"), &own)
        .await
        .expect(200);
    let other_provider = app.provider("Someone else").await;
    let other_contract = app.grant(&other_provider, &stream, "10.00").await;
    app.get(&format!("contracts/{other_contract}"), &own)
        .await
        .expect_problem(404, None);
    app.get(&format!("providers/{other_provider}"), &own)
        .await
        .expect_problem(404, None);
    assert_eq!(
        app.get("contracts", &own).await.expect(200).body["total"],
        1
    );
    app.post(
        &format!("contracts/{contract}/status"),
        &own,
        json!({"status": "active"}),
    )
    .await
    .expect_problem(403, None);
}

async fn another_organisation_reads_as_missing(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("VSS", "2022-23", "100.00").await;
    let provider = app.provider("Dandelion Time").await;
    let contract = app.grant(&provider, &stream, "10.00").await;
    let other = create_organisation(&app.database_url, "Another OPCC");
    let foreign = app.token_for(&other, Role::Commissioner);

    for path in [
        format!("funding-streams/{stream}"),
        format!("providers/{provider}"),
        format!("contracts/{contract}"),
        format!("contracts/{contract}/funding-lines"),
        format!("contracts/{contract}/variations"),
        format!("contracts/{contract}/payments"),
        format!("organisations/{}", app.organisation_id),
    ] {
        let missing = app.get(&path, &foreign).await.expect_problem(404, None);
        let never = app
            .get(
                &path
                    .replace(&stream, "nope")
                    .replace(&provider, "nope")
                    .replace(&contract, "nope")
                    .replace(&app.organisation_id, "nope"),
                &foreign,
            )
            .await;
        assert_eq!(
            missing.body, never.body,
            "a foreign {path} reads exactly like a missing one"
        );
    }
    app.patch(
        &format!("funding-streams/{stream}"),
        &foreign,
        json!({"name": "Mine now"}),
    )
    .await
    .expect_problem(404, None);
    app.post(
        &format!("contracts/{contract}/status"),
        &foreign,
        json!({"status": "active"}),
    )
    .await
    .expect_problem(404, None);
    app.delete(&format!("providers/{provider}"), &foreign)
        .await
        .expect_problem(404, None);
    // Nor can a foreign contract draw on this organisation's stream.
    let foreign_provider = app
        .post(
            "providers",
            &foreign,
            json!({"name": "Theirs", "kind": "charity"}),
        )
        .await
        .expect(201)
        .str("id");
    app.post(
        "contracts",
        &foreign,
        json!({"provider_id": foreign_provider, "kind": "grant", "title": "t", "start_date": "2022-04-01",
               "end_date": "2023-03-31", "value": "1.00",
               "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1.00"}]}),
    )
    .await
    .expect_problem(422, Some("funding_lines[0].funding_stream_id"));
    for list in ["funding-streams", "contracts"] {
        assert_eq!(app.get(list, &foreign).await.expect(200).body["total"], 0);
    }
    assert_eq!(
        app.get("providers", &foreign).await.expect(200).body["total"],
        1
    );
    let name = app
        .get(&format!("funding-streams/{stream}"), &app.commissioner())
        .await
        .expect(200);
    assert_eq!(
        name.body["name"], "Stream VSS",
        "the foreign update changed nothing"
    );
}

async fn the_own_organisation_can_be_read_and_renamed(backend: Backend) {
    let app = spawn_app(backend).await;
    // Only an admin manages the organisation itself.
    let token = app.token(Role::Admin);
    let list = app.get("organisations", &token).await.expect(200);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], app.organisation_id.as_str());
    let renamed = app
        .patch(
            &format!("organisations/{}", app.organisation_id),
            &token,
            json!({"name": "Office of the PCC for Kent"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed.body["name"], "Office of the PCC for Kent");
    app.patch(
        &format!("organisations/{}", app.organisation_id),
        &token,
        json!({"name": ""}),
    )
    .await
    .expect_problem(422, Some("name"));
    for other in [app.commissioner(), app.finance()] {
        app.patch(
            &format!("organisations/{}", app.organisation_id),
            &other,
            json!({"name": "x"}),
        )
        .await
        .expect_problem(403, None);
    }
    let read = app
        .get(
            &format!("organisations/{}", app.organisation_id),
            &app.finance(),
        )
        .await
        .expect(200);
    assert_eq!(read.body["name"], "Office of the PCC for Kent");
}

crate::on_both_backends!(
    requests_without_a_valid_token_are_401,
    roles_are_enforced,
    another_organisation_reads_as_missing,
    the_own_organisation_can_be_read_and_renamed,
);
