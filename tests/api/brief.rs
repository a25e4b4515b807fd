//! The real shapes from the brief (an English OPCC's 2022/23 year).

use serde_json::json;

use crate::helpers::{spawn_app, Backend};

/// "Victims Specialist Services": £213,940 awarded as seven grants, nothing left.
async fn seven_grants_commit_the_whole_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("VSS", "2022-23", "213940.00").await;
    let grants = [
        ("Advocacy After Fatal Domestic Abuse", "22200.00"),
        ("Choices Support", "34398.00"),
        ("Dads Unlimited", "35000.00"),
        ("Dandelion Time", "35000.00"),
        ("DA Volunteer Support Services", "25000.00"),
        ("East Kent Rape Crisis Centre", "30200.00"),
        ("Rubicon Cares", "32142.00"),
    ];
    for (name, amount) in grants {
        let provider = app.provider(name).await;
        let grant = app.grant(&provider, &stream, amount).await;
        app.activate(&grant).await.expect(200);
    }
    let read = app
        .get(&format!("funding-streams/{stream}"), &app.finance())
        .await
        .expect(200);
    let year = &read.get("budgets")[0];
    assert_eq!(year["financial_year"], "2022-23");
    assert_eq!(year["budget"], "213940.00");
    assert_eq!(year["committed"], "213940.00");
    assert_eq!(year["uncommitted"], "0.00");

    // Nothing is left: one more penny is refused with the figures.
    let provider = app.provider("Late applicant").await;
    let late = app.grant(&provider, &stream, "0.01").await;
    let refused = app.activate(&late).await.expect_problem(409, None);
    assert_eq!(refused.body["type"], "/problems/budget-exceeded");
    assert_eq!(refused.body["budget"]["budget"], "213940.00");
    assert_eq!(refused.body["budget"]["committed"], "213940.00");
    assert_eq!(refused.body["budget"]["requested"], "0.01");
    assert_eq!(refused.body["budget"]["available"], "0.00");
    let contract = app
        .get(&format!("contracts/{late}"), &app.commissioner())
        .await
        .expect(200);
    assert_eq!(
        contract.body["status"], "draft",
        "a refused award changes nothing"
    );
}

/// A ringfenced £664,540.39 stream awarded in part shows the exact remainder.
async fn a_part_awarded_stream_shows_the_uncommitted_pence(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("MOJ-RF", "2022-23", "664540.39").await;
    let amounts = ["41000.00", "38250.50", "60000.13", "22899.99"];
    for (i, amount) in amounts.iter().enumerate() {
        let provider = app.provider(&format!("Provider {i}")).await;
        let grant = app.grant(&provider, &stream, amount).await;
        app.activate(&grant).await.expect(200);
    }
    // A draft does not commit anything.
    let provider = app.provider("Still deciding").await;
    app.grant(&provider, &stream, "1000.00").await;

    let read = app
        .get(&format!("funding-streams/{stream}"), &app.commissioner())
        .await
        .expect(200);
    let year = &read.get("budgets")[0];
    // 41000.00 + 38250.50 + 60000.13 + 22899.99 = 162150.62
    assert_eq!(year["committed"], "162150.62");
    assert_eq!(year["uncommitted"], "502389.77");
}

/// A 3-year £350,000 contract from 1 July 2022, part-funded by two streams.
async fn a_multi_year_contract_part_funded_by_two_streams(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let opcc = app.stream("OPCC", "2022-23", "500000.00").await;
    let vru = app.stream("VRU", "2022-23", "100000.00").await;
    for year in ["2023-24", "2024-25", "2025-26"] {
        for stream in [&opcc, &vru] {
            app.put(
                &format!("funding-streams/{stream}/budgets/{year}"),
                &token,
                json!({"amount": "200000.00", "status": "indicative"}),
            )
            .await
            .expect(200);
        }
    }
    let provider = app.provider("Gangs and County Lines Service").await;
    let contract = app
        .post(
            "contracts",
            &token,
            json!({
                "provider_id": provider,
                "kind": "contract",
                "title": "Gangs and county lines service",
                "start_date": "2022-07-01",
                "end_date": "2025-06-30",
                "value": "350000.00",
                "funding_lines": [
                    {"funding_stream_id": opcc, "financial_year": "2022-23", "amount": "60000.00"},
                    {"funding_stream_id": vru, "financial_year": "2022-23", "amount": "43716.00"},
                    {"funding_stream_id": opcc, "financial_year": "2023-24", "amount": "116667.00"},
                    {"funding_stream_id": opcc, "financial_year": "2024-25", "amount": "116667.00"},
                    {"funding_stream_id": vru, "financial_year": "2025-26", "amount": "12950.00"}
                ]
            }),
        )
        .await
        .expect(201);
    let id = contract.str("id");
    assert_eq!(contract.body["funded"], "350000.00");
    app.activate(&id).await.expect(200);

    let opcc_read = app
        .get(&format!("funding-streams/{opcc}"), &token)
        .await
        .expect(200);
    let first = &opcc_read.get("budgets")[0];
    assert_eq!(first["financial_year"], "2022-23");
    assert_eq!(first["committed"], "60000.00");
    let vru_read = app
        .get(&format!("funding-streams/{vru}"), &token)
        .await
        .expect(200);
    assert_eq!(vru_read.get("budgets")[0]["committed"], "43716.00");
    assert_eq!(vru_read.get("budgets")[3]["committed"], "12950.00");

    // Both streams list the contract.
    for stream in [&opcc, &vru] {
        let listed = app
            .get(&format!("contracts?funding_stream_id={stream}"), &token)
            .await
            .expect(200);
        assert_eq!(listed.body["total"], 1);
    }
}

/// Contracts with a life: activated, extended by variation, terminated by decision.
async fn a_contract_is_varied_extended_and_terminated(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("FWS", "2022-23", "100000.00").await;
    app.put(
        &format!("funding-streams/{stream}/budgets/2023-24"),
        &token,
        json!({"amount": "100000.00", "status": "confirmed"}),
    )
    .await
    .expect(200);
    app.put(
        &format!("funding-streams/{stream}/budgets/2024-25"),
        &token,
        json!({"amount": "100000.00", "status": "indicative"}),
    )
    .await
    .expect(200);
    let provider = app.provider("Family Welfare Service").await;
    let id = app.grant(&provider, &stream, "50000.00").await;
    app.activate(&id).await.expect(200);

    // Extended to 30 April 2024 with more money in 2023-24 and 2024-25.
    let varied = app
        .post(
            &format!("contracts/{id}/variations"),
            &token,
            json!({
                "value": "105000.00",
                "end_date": "2024-04-30",
                "funding_lines": [
                    {"funding_stream_id": stream, "financial_year": "2022-23", "amount": "50000.00"},
                    {"funding_stream_id": stream, "financial_year": "2023-24", "amount": "50000.00"},
                    {"funding_stream_id": stream, "financial_year": "2024-25", "amount": "5000.00"}
                ],
                "reason": "Extended to 30 April 2024 pending re-commissioning",
                "decision_reference": "OPCC.D.012.23"
            }),
        )
        .await
        .expect(200);
    assert_eq!(varied.body["value"], "105000.00");
    assert_eq!(varied.body["end_date"], "2024-04-30");

    // A change of value without the lines that fund it is refused.
    app.post(
        &format!("contracts/{id}/variations"),
        &token,
        json!({"value": "110000.00", "reason": "more"}),
    )
    .await
    .expect_problem(422, Some("funding_lines"));

    // Terminated for contractor default by a recorded decision.
    app.post(
        &format!("contracts/{id}/status"),
        &token,
        json!({"status": "terminated", "reason": "Contractor default"}),
    )
    .await
    .expect_problem(422, Some("decision_reference"));
    // Terminating at 30 September 2023 would leave 2024-25 money committed:
    // it is released by variation first.
    let early = json!({
        "status": "terminated",
        "reason": "Contractor default",
        "decision_reference": "OPCC.D.034.23",
        "effective_date": "2023-09-30"
    });
    app.post(&format!("contracts/{id}/status"), &token, early.clone())
        .await
        .expect_problem(422, Some("effective_date"));
    app.post(
        &format!("contracts/{id}/variations"),
        &token,
        json!({
            "value": "100000.00",
            "funding_lines": [
                {"funding_stream_id": stream, "financial_year": "2022-23", "amount": "50000.00"},
                {"funding_stream_id": stream, "financial_year": "2023-24", "amount": "50000.00"}
            ],
            "reason": "Release 2024-25 ahead of termination",
            "decision_reference": "OPCC.D.034.23"
        }),
    )
    .await
    .expect(200);
    let released = app
        .get(&format!("funding-streams/{stream}"), &token)
        .await
        .expect(200);
    assert_eq!(released.get("budgets")[2]["committed"], "0.00");
    let terminated = app
        .post(
            &format!("contracts/{id}/status"),
            &token,
            json!({
                "status": "terminated",
                "reason": "Contractor default",
                "decision_reference": "OPCC.D.034.23",
                "effective_date": "2023-09-30"
            }),
        )
        .await
        .expect(200);
    assert_eq!(terminated.body["status"], "terminated");
    assert_eq!(terminated.body["end_date"], "2023-09-30");

    let history = app
        .get(&format!("contracts/{id}/variations"), &token)
        .await
        .expect(200);
    let kinds: Vec<&str> = history
        .body
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        ["activation", "variation", "variation", "termination"]
    );
    let variation = &history.body[1];
    assert_eq!(variation["value_before"], "50000.00");
    assert_eq!(variation["value_after"], "105000.00");
    assert_eq!(variation["end_date_before"], "2023-03-31");
    assert_eq!(variation["decision_reference"], "OPCC.D.012.23");
    assert_eq!(history.body[3]["decision_reference"], "OPCC.D.034.23");
    assert_eq!(history.body[3]["end_date_after"], "2023-09-30");

    // A terminated contract cannot come back.
    app.activate(&id).await.expect_problem(409, None);
}

crate::on_both_backends!(
    seven_grants_commit_the_whole_stream,
    a_part_awarded_stream_shows_the_uncommitted_pence,
    a_multi_year_contract_part_funded_by_two_streams,
    a_contract_is_varied_extended_and_terminated,
);
