use serde_json::json;

use crate::helpers::{spawn_app, Backend, Racer};

async fn a_draft_contract_is_created_read_updated_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let created = app
        .post(
            "contracts",
            &token,
            json!({
                "provider_id": provider,
                "kind": "grant",
                "reference": "VSS-07",
                "title": "Counselling for young victims",
                "purpose": "Specialist support",
                "start_date": "2022-04-01",
                "end_date": "2023-03-31",
                "value": "32142.00",
                "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "30000.00"}]
            }),
        )
        .await
        .expect(201);
    let id = created.str("id");
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/contracts/{id}").as_str())
    );
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["value"], "32142.00");
    assert_eq!(created.body["funded"], "30000.00");
    assert_eq!(created.body["paid"], "0.00");

    // Activation needs lines that sum exactly to the value.
    app.activate(&id)
        .await
        .expect_problem(422, Some("funding_lines"));
    let line_id = created.body["funding_lines"][0]["id"]
        .as_str()
        .expect("line id")
        .to_owned();
    let line = app
        .patch(
            &format!("contracts/{id}/funding-lines/{line_id}"),
            &token,
            json!({"amount": "32142.00"}),
        )
        .await
        .expect(200);
    assert_eq!(line.body["funding_lines"][0]["amount"], "32142.00");

    let updated = app
        .patch(
            &format!("contracts/{id}"),
            &token,
            json!({"title": "Counselling", "reference": ""}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["title"], "Counselling");
    assert_eq!(updated.body["reference"], serde_json::Value::Null);
    assert_eq!(updated.body["purpose"], "Specialist support");

    let read = app
        .get(&format!("contracts/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["funded"], "32142.00");
    assert_eq!(read.body["kind"], "grant");
    assert_eq!(read.body["provider_id"], provider.as_str());

    app.delete(&format!("contracts/{id}"), &token)
        .await
        .expect(204);
    app.get(&format!("contracts/{id}"), &token)
        .await
        .expect_problem(404, None);
}

async fn an_awarded_contract_changes_only_by_variation(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Choices Support").await;
    let id = app.grant(&provider, &stream, "34398.00").await;
    let active = app.activate(&id).await.expect(200);
    assert_eq!(active.body["status"], "active");

    app.patch(&format!("contracts/{id}"), &token, json!({"title": "New"}))
        .await
        .expect_problem(409, None);
    app.delete(&format!("contracts/{id}"), &token)
        .await
        .expect_problem(409, None);
    app.post(
        &format!("contracts/{id}/funding-lines"),
        &token,
        json!({"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1.00"}),
    )
    .await
    .expect_problem(409, None);

    // A variation over the budget is refused with the figures, and changes nothing.
    let refused = app
        .post(
            &format!("contracts/{id}/variations"),
            &token,
            json!({
                "value": "100000.01",
                "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "100000.01"}],
                "reason": "Expansion"
            }),
        )
        .await
        .expect_problem(409, None);
    assert_eq!(
        refused.body["budget"]["committed"], "0.00",
        "the contract's own lines are not counted twice"
    );
    assert_eq!(refused.body["budget"]["requested"], "100000.01");
    let read = app
        .get(&format!("contracts/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["value"], "34398.00");

    // Ended early with a reason.
    let ended = app
        .post(
            &format!("contracts/{id}/status"),
            &token,
            json!({"status": "ended", "reason": "Service ended", "effective_date": "2022-09-30"}),
        )
        .await
        .expect(200);
    assert_eq!(ended.body["status"], "ended");
    assert_eq!(ended.body["end_date"], "2022-09-30");
    app.post(
        &format!("contracts/{id}/variations"),
        &token,
        json!({"end_date": "2023-03-31", "reason": "Reopen"}),
    )
    .await
    .expect_problem(422, Some("end_date"));
}

async fn contracts_list_with_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let vss = app.stream("VSS", "2022-23", "100000.00").await;
    let other = app.stream("OTHER", "2022-23", "100000.00").await;
    let dads = app.provider("Dads Unlimited").await;
    let dandelion = app.provider("Dandelion Time").await;
    let first = app.grant(&dads, &vss, "35000.00").await;
    app.activate(&first).await.expect(200);
    app.grant(&dandelion, &vss, "35000.00").await;
    let third = app.grant(&dandelion, &other, "1000.00").await;

    let all = app.get("contracts", &token).await.expect(200);
    assert_eq!(all.body["total"], 3);
    assert_eq!(all.body["items"][0]["id"], first.as_str(), "creation order");
    assert_eq!(
        app.get(&format!("contracts?provider_id={dandelion}"), &token)
            .await
            .body["total"],
        2
    );
    assert_eq!(
        app.get("contracts?status=active", &token).await.body["total"],
        1
    );
    assert_eq!(
        app.get("contracts?status=draft&kind=grant", &token)
            .await
            .body["total"],
        2
    );
    let by_stream = app
        .get(&format!("contracts?funding_stream_id={other}"), &token)
        .await
        .expect(200);
    assert_eq!(by_stream.body["total"], 1);
    assert_eq!(by_stream.body["items"][0]["id"], third.as_str());
    assert_eq!(
        app.get("contracts?financial_year=2022-23", &token)
            .await
            .body["total"],
        3
    );
    assert_eq!(
        app.get("contracts?financial_year=2023-24", &token)
            .await
            .body["total"],
        0
    );
    app.get("contracts?status=open", &token)
        .await
        .expect_problem(422, None);
    app.get("contracts?financial_year=2023", &token)
        .await
        .expect_problem(422, None);
}

async fn bad_contracts_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("East Kent Rape Crisis Centre").await;
    let contract = |changes: serde_json::Value| {
        let mut body = json!({
            "provider_id": provider,
            "kind": "grant",
            "title": "Support",
            "start_date": "2022-04-01",
            "end_date": "2023-03-31",
            "value": "30200.00",
            "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "30200.00"}]
        });
        if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            for (key, value) in changes {
                body.insert(key.clone(), value.clone());
            }
        }
        body
    };
    let cases = [
        (json!({"end_date": "2022-03-31"}), "end_date"),
        (json!({"start_date": "2022-02-30"}), "start_date"),
        (json!({"value": "0.00"}), "value"),
        (json!({"value": 30200}), "value"),
        (json!({"value": "30200.001"}), "value"),
        (json!({"kind": "loan"}), "kind"),
        (json!({"title": ""}), "title"),
        (json!({"provider_id": "no-such-provider"}), "provider_id"),
        (
            json!({"funding_lines": [{"funding_stream_id": "nope", "financial_year": "2022-23", "amount": "1.00"}]}),
            "funding_lines[0].funding_stream_id",
        ),
        (
            json!({"funding_lines": [{"funding_stream_id": stream, "financial_year": "2024-25", "amount": "1.00"}]}),
            "funding_lines[0].financial_year",
        ),
        (
            json!({"funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "-1.00"}]}),
            "funding_lines[0].amount",
        ),
        (
            json!({"funding_lines": [
                {"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1.00"},
                {"funding_stream_id": stream, "financial_year": "2022-23", "amount": "2.00"}
            ]}),
            "funding_lines[1]",
        ),
        (
            json!({"funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1.00", "extra": 1}]}),
            "funding_lines[0].extra",
        ),
    ];
    for (changes, field) in cases {
        app.post("contracts", &token, contract(changes))
            .await
            .expect_problem(422, Some(field));
    }
    assert_eq!(
        app.get("contracts", &token).await.body["total"],
        0,
        "no refusal wrote anything"
    );

    // A year with no budget cannot be committed.
    let id = app
        .post(
            "contracts",
            &token,
            contract(json!({
                "end_date": "2024-03-31",
                "value": "2.00",
                "funding_lines": [
                    {"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1.00"},
                    {"funding_stream_id": stream, "financial_year": "2023-24", "amount": "1.00"}
                ]
            })),
        )
        .await
        .expect(201)
        .str("id");
    let refused = app.activate(&id).await.expect_problem(409, None);
    assert_eq!(refused.body["budget"]["financial_year"], "2023-24");
    assert_eq!(refused.body["budget"]["budget"], "0.00");
    app.post(
        &format!("contracts/{id}/status"),
        &token,
        json!({"status": "ended", "reason": "x"}),
    )
    .await
    .expect_problem(409, None);
    app.post(
        &format!("contracts/{id}/status"),
        &token,
        json!({"status": "paused"}),
    )
    .await
    .expect_problem(422, Some("status"));
}

async fn finance_records_payments_up_to_the_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let finance = app.finance();
    let token = app.commissioner();
    let vss = app.stream("VSS", "2022-23", "100000.00").await;
    let vru = app.stream("VRU", "2022-23", "100000.00").await;
    let provider = app.provider("Advocacy After Fatal Domestic Abuse").await;
    let draft = app.grant(&provider, &vss, "22200.00").await;
    app.post(
        &format!("contracts/{draft}/payments"),
        &finance,
        json!({"amount": "1.00", "paid_on": "2022-05-01"}),
    )
    .await
    .expect_problem(409, None);
    app.activate(&draft).await.expect(200);

    app.post(
        &format!("contracts/{draft}/payments"),
        &token,
        json!({"amount": "1.00", "paid_on": "2022-05-01"}),
    )
    .await
    .expect_problem(403, None);
    let paid = app
        .post(
            &format!("contracts/{draft}/payments"),
            &finance,
            json!({"amount": "11100.00", "paid_on": "2023-01-15", "reference": "INV-001"}),
        )
        .await
        .expect(201);
    assert_eq!(paid.body["financial_year"], "2022-23");
    assert_eq!(paid.body["quarter"], "Q4");
    assert_eq!(
        paid.body["funding_stream_id"],
        vss.as_str(),
        "a single-stream contract pays from its stream"
    );
    app.post(
        &format!("contracts/{draft}/payments"),
        &finance,
        json!({"amount": "11100.01", "paid_on": "2023-03-01"}),
    )
    .await
    .expect_problem(409, None);
    app.post(
        &format!("contracts/{draft}/payments"),
        &finance,
        json!({"amount": "11100.00", "paid_on": "2023-03-31"}),
    )
    .await
    .expect(201);
    app.post(
        &format!("contracts/{draft}/payments"),
        &finance,
        json!({"amount": "0.00", "paid_on": "2023-03-31"}),
    )
    .await
    .expect_problem(422, Some("amount"));
    app.post(
        &format!("contracts/{draft}/payments"),
        &finance,
        json!({"amount": 5, "paid_on": "2023-03-31"}),
    )
    .await
    .expect_problem(422, Some("amount"));
    let read = app
        .get(&format!("contracts/{draft}"), &finance)
        .await
        .expect(200);
    assert_eq!(read.body["paid"], "22200.00");
    let payments = app
        .get(&format!("contracts/{draft}/payments"), &finance)
        .await
        .expect(200);
    assert_eq!(payments.body.as_array().map(Vec::len), Some(2));
    assert_eq!(payments.body[0]["reference"], "INV-001");

    // A contract on two streams must say which one pays.
    let split = app
        .post(
            "contracts",
            &token,
            json!({
                "provider_id": provider, "kind": "contract", "title": "Split",
                "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "200.00",
                "funding_lines": [
                    {"funding_stream_id": vss, "financial_year": "2022-23", "amount": "100.00"},
                    {"funding_stream_id": vru, "financial_year": "2022-23", "amount": "100.00"}
                ]
            }),
        )
        .await
        .expect(201)
        .str("id");
    app.activate(&split).await.expect(200);
    app.post(
        &format!("contracts/{split}/payments"),
        &finance,
        json!({"amount": "50.00", "paid_on": "2022-06-30"}),
    )
    .await
    .expect_problem(422, Some("funding_stream_id"));
    let stream_other = app.stream("ELSE", "2022-23", "1.00").await;
    app.post(
        &format!("contracts/{split}/payments"),
        &finance,
        json!({"amount": "50.00", "paid_on": "2022-06-30", "funding_stream_id": stream_other}),
    )
    .await
    .expect_problem(422, Some("funding_stream_id"));
    let by_vru = app
        .post(
            &format!("contracts/{split}/payments"),
            &finance,
            json!({"amount": "50.00", "paid_on": "2022-06-30", "funding_stream_id": vru}),
        )
        .await
        .expect(201);
    assert_eq!(by_vru.body["quarter"], "Q1");
}

async fn funding_lines_are_managed_on_drafts(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("DA Volunteer Support Services").await;
    let id = app
        .post(
            "contracts",
            &token,
            json!({"provider_id": provider, "kind": "grant", "title": "Volunteers",
                   "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "25000.00"}),
        )
        .await
        .expect(201)
        .str("id");
    let line = app
        .post(
            &format!("contracts/{id}/funding-lines"),
            &token,
            json!({"funding_stream_id": stream, "financial_year": "2022-23", "amount": "25000.00"}),
        )
        .await
        .expect(201);
    let line_id = line.str("id");
    app.post(
        &format!("contracts/{id}/funding-lines"),
        &token,
        json!({"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1.00"}),
    )
    .await
    .expect_problem(409, None);
    app.post(
        &format!("contracts/{id}/funding-lines"),
        &token,
        json!({"funding_stream_id": stream, "financial_year": "2023-24", "amount": "1.00"}),
    )
    .await
    .expect_problem(422, Some("financial_year"));
    let lines = app
        .get(&format!("contracts/{id}/funding-lines"), &token)
        .await
        .expect(200);
    assert_eq!(lines.body.as_array().map(Vec::len), Some(1));
    app.delete(&format!("contracts/{id}/funding-lines/{line_id}"), &token)
        .await
        .expect(204);
    app.delete(&format!("contracts/{id}/funding-lines/{line_id}"), &token)
        .await
        .expect_problem(404, None);
    let read = app
        .get(&format!("contracts/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["funded"], "0.00");
}

/// `"status": "active"` awards a contract in the request that creates it,
/// under the rules of activation; a refused award creates nothing, and the
/// 201's ETag is good for the next change.
async fn a_contract_is_awarded_in_the_request_that_creates_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "50000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let grant = |value: &str, line: &str, status: &str| {
        json!({
            "provider_id": provider, "kind": "grant", "title": "Advocacy",
            "start_date": "2022-04-01", "end_date": "2023-03-31", "value": value,
            "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": line}],
            "status": status
        })
    };
    let awarded = app
        .send(
            "POST",
            "contracts",
            Some(&token),
            Some(&grant("30000.00", "30000.00", "active")),
        )
        .await
        .expect(201);
    assert_eq!(awarded.body["status"], "active");
    let id = awarded.str("id");
    let history = app
        .get(&format!("contracts/{id}/variations"), &token)
        .await
        .expect(200);
    assert_eq!(history.body[0]["kind"], "activation", "{}", history.body);
    let stream_path = format!("funding-streams/{stream}");
    let committed =
        app.get(&stream_path, &token).await.expect(200).body["budgets"][0]["committed"].clone();
    assert_eq!(committed, "30000.00");

    // Over the budget: 409 with the figures, and nothing created.
    app.send(
        "POST",
        "contracts",
        Some(&token),
        Some(&grant("25000.00", "25000.00", "active")),
    )
    .await
    .expect_problem(409, None);
    // Lines that do not sum to the value: 422, and nothing created.
    app.send(
        "POST",
        "contracts",
        Some(&token),
        Some(&grant("15000.00", "10000.00", "active")),
    )
    .await
    .expect_problem(422, None);
    app.send(
        "POST",
        "contracts",
        Some(&token),
        Some(&grant("15000.00", "15000.00", "ended")),
    )
    .await
    .expect_problem(422, Some("status"));
    let all = app.get("contracts", &token).await.expect(200);
    assert_eq!(all.body["total"], 1, "{}", all.body);
    let committed =
        app.get(&stream_path, &token).await.expect(200).body["budgets"][0]["committed"].clone();
    assert_eq!(committed, "30000.00");

    // The creation's ETag is the record's: it ends the contract with no read first.
    let ended = app
        .send_if_match(
            "POST",
            &format!("contracts/{id}/status"),
            &token,
            awarded.etag.as_deref(),
            Some(&json!({"status": "ended", "reason": "Service complete"})),
        )
        .await
        .expect(200);
    assert_eq!(ended.body["status"], "ended");
    // A draft is still the default.
    let draft = app
        .send(
            "POST",
            "contracts",
            Some(&token),
            Some(&grant("5000.00", "5000.00", "draft")),
        )
        .await
        .expect(201);
    assert_eq!(draft.body["status"], "draft");
}

/// Awards made as contracts are created race for the last of a budget
/// like activations do: one wins, the other is refused and leaves nothing.
async fn awards_on_creation_racing_for_the_last_of_a_budget(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "50000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let grant = json!({
        "provider_id": provider, "kind": "grant", "title": "Advocacy",
        "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "30000.00",
        "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "30000.00"}],
        "status": "active"
    });
    for _ in 0..5 {
        let racers = (0..4)
            .map(|_| Racer::new("POST", "contracts", &token).body(grant.clone()))
            .collect();
        let _ = app.race(racers).await;
    }
    let all = app.get("contracts?status=active", &token).await.expect(200);
    assert_eq!(all.body["total"], 1, "one award fits: {}", all.body);
    let stream = app
        .get(&format!("funding-streams/{stream}"), &token)
        .await
        .expect(200);
    assert_eq!(stream.body["budgets"][0]["committed"], "30000.00");
    let contracts = app.get("contracts", &token).await.expect(200);
    assert_eq!(
        contracts.body["total"], 1,
        "a refused award leaves no draft behind"
    );
}

crate::on_both_backends!(
    a_contract_is_awarded_in_the_request_that_creates_it,
    awards_on_creation_racing_for_the_last_of_a_budget,
    a_draft_contract_is_created_read_updated_and_deleted,
    an_awarded_contract_changes_only_by_variation,
    contracts_list_with_filters,
    bad_contracts_are_refused_naming_the_field,
    finance_records_payments_up_to_the_value,
    funding_lines_are_managed_on_drafts,
);
