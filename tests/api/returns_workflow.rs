//! A quarter's outcome return from draft to acceptance, and the list of
//! missing and late returns.

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

/// An active 2022-23 grant whose stream reports "better able to cope"
/// (people) and grant spend (money). Returns (stream, provider, contract).
async fn award_with_measures(app: &TestApp, end_date: &str) -> (String, String, String) {
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    for (code, label, unit) in [
        ("better_cope", "Better able to cope", "people"),
        ("grant_spend", "Grant spent", "money"),
    ] {
        app.post(
            "outcome-measures",
            &token,
            json!({"funding_stream_id": stream, "code": code, "label": label, "unit": unit}),
        )
        .await
        .expect(201);
    }
    let provider = app.provider("Dandelion Time").await;
    let contract = app
        .post(
            "contracts",
            &token,
            json!({"provider_id": provider, "kind": "grant", "title": "Children and families",
                   "start_date": "2022-04-01", "end_date": end_date, "value": "35000.00",
                   "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "35000.00"}]}),
        )
        .await
        .expect(201)
        .str("id");
    app.activate(&contract).await.expect(200);
    (stream, provider, contract)
}

fn events(versions: &Value) -> Vec<(String, String, String)> {
    versions
        .as_array()
        .expect("a list of versions")
        .iter()
        .map(|v| {
            (
                v["event"].as_str().unwrap_or_default().to_owned(),
                v["actor"].as_str().unwrap_or_default().to_owned(),
                v["actor_role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_quarter_goes_from_draft_to_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, provider, contract) = award_with_measures(&app, "2023-03-31").await;
    let own = app.provider_token(&provider);
    let commissioner = app.commissioner();

    // The provider sees what it must report.
    let measures = app
        .get(&format!("contracts/{contract}/outcome-measures"), &own)
        .await
        .expect(200);
    assert_eq!(measures.body.as_array().map(Vec::len), Some(2));

    // Drafts, with one measure missing: it cannot be submitted yet.
    let draft = app
        .post(
            "outcome-returns",
            &own,
            json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q3",
                   "referrals": 40, "people_supported": 32, "spend": "8750.00",
                   "narrative": "32 children and families supported",
                   "values": [{"code": "better_cope", "value": 28}]}),
        )
        .await
        .expect(201);
    let id = draft.str("id");
    let path = format!("outcome-returns/{id}");
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(
        draft.body["due_date"], "2023-01-31",
        "one month after the quarter ends"
    );
    app.post(&format!("{path}/submit"), &own, json!({}))
        .await
        .expect_problem(422, Some("values.grant_spend"));
    app.patch(
        &path,
        &own,
        json!({"values": [{"code": "grant_spend", "value": "8750.00"}]}),
    )
    .await
    .expect(200);
    let submitted = app
        .post(&format!("{path}/submit"), &own, json!({}))
        .await
        .expect(200);
    assert_eq!(submitted.body["status"], "submitted");
    assert!(submitted.body["submitted_at"].is_string());

    // Submitted: the provider can no longer edit, and cannot review.
    app.patch(&path, &own, json!({"referrals": 41}))
        .await
        .expect_problem(409, None);
    app.post(&format!("{path}/accept"), &own, json!({}))
        .await
        .expect_problem(403, None);

    // The commissioner queries it with a comment.
    app.post(
        &format!("{path}/query"),
        &commissioner,
        json!({"comment": ""}),
    )
    .await
    .expect_problem(422, Some("comment"));
    let queried = app
        .post(
            &format!("{path}/query"),
            &commissioner,
            json!({"comment": "Referrals look high against Q2; please check"}),
        )
        .await
        .expect(200);
    assert_eq!(queried.body["status"], "queried");
    assert_eq!(
        queried.body["query_comment"],
        "Referrals look high against Q2; please check"
    );
    app.post(&format!("{path}/accept"), &commissioner, json!({}))
        .await
        .expect_problem(409, None);

    // The provider amends and resubmits; the commissioner accepts.
    app.patch(
        &path,
        &own,
        json!({"referrals": 34, "narrative": "Corrected: 6 referrals were duplicates"}),
    )
    .await
    .expect(200);
    let resubmitted = app
        .post(&format!("{path}/submit"), &own, json!({}))
        .await
        .expect(200);
    assert_eq!(resubmitted.body["status"], "resubmitted");
    let accepted = app
        .post(&format!("{path}/accept"), &commissioner, json!({}))
        .await
        .expect(200);
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["referrals"], 34);

    // Accepted returns are locked, for everyone.
    app.patch(&path, &own, json!({"referrals": 1}))
        .await
        .expect_problem(409, None);
    app.patch(&path, &commissioner, json!({"referrals": 1}))
        .await
        .expect_problem(409, None);
    app.post(&format!("{path}/submit"), &own, json!({}))
        .await
        .expect_problem(409, None);
    app.post(
        &format!("{path}/query"),
        &commissioner,
        json!({"comment": "again"}),
    )
    .await
    .expect_problem(409, None);

    // The history holds every step, who took it, and the figures after it.
    let versions = app
        .get(&format!("{path}/versions"), &commissioner)
        .await
        .expect(200);
    let provider_user = ("provider-user".to_owned(), "provider".to_owned());
    let tester = ("tester".to_owned(), "commissioner".to_owned());
    let expected: Vec<(String, String, String)> = [
        ("created", &provider_user),
        ("amended", &provider_user),
        ("submitted", &provider_user),
        ("queried", &tester),
        ("amended", &provider_user),
        ("resubmitted", &provider_user),
        ("accepted", &tester),
    ]
    .into_iter()
    .map(|(event, (actor, role))| (event.to_owned(), actor.clone(), role.clone()))
    .collect();
    assert_eq!(events(&versions.body), expected);
    let submissions: Vec<&Value> = versions
        .body
        .as_array()
        .expect("versions")
        .iter()
        .filter(|v| v["event"] == "submitted" || v["event"] == "resubmitted")
        .collect();
    assert_eq!(submissions[0]["figures"]["referrals"], 40);
    assert_eq!(submissions[0]["figures"]["values"][1]["value"], "8750.00");
    assert_eq!(submissions[1]["figures"]["referrals"], 34);
    assert_eq!(
        versions.body[3]["comment"],
        "Referrals look high against Q2; please check"
    );
    assert_eq!(versions.body[6]["status"], "accepted");
    // The provider reads its own history too.
    app.get(&format!("{path}/versions"), &own).await.expect(200);
}

/// Sets when a return was first submitted, as if it had been submitted then.
fn backdate_submission(app: &TestApp, return_id: &str, at: &str) {
    let mut conn = commissioning::db::connect_one(&app.database_url).expect("connect");
    conn.batch_execute(&format!(
        "UPDATE outcome_returns SET first_submitted_at = '{at}' WHERE id = '{return_id}'"
    ))
    .expect("backdate");
}

async fn missing_and_late_returns_are_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    // Q1-Q3 of 2022-23: Q1 on time, Q2 late, Q3 missing.
    let (stream, provider, contract) = award_with_measures(&app, "2022-12-31").await;
    let own = app.provider_token(&provider);
    for (quarter, submitted_at) in [("Q1", "2022-07-20 09:00:00"), ("Q2", "2022-11-05 16:30:00")] {
        let id = app
            .post(
                "outcome-returns",
                &own,
                json!({"contract_id": contract, "financial_year": "2022-23", "quarter": quarter,
                       "values": [{"code": "better_cope", "value": 1}, {"code": "grant_spend", "value": "1.00"}]}),
            )
            .await
            .expect(201)
            .str("id");
        app.post(&format!("outcome-returns/{id}/submit"), &own, json!({}))
            .await
            .expect(200);
        backdate_submission(&app, &id, submitted_at);
    }
    let token = app.commissioner();
    let report = app
        .get("reports/missing-and-late-returns?as_of=2023-02-10", &token)
        .await
        .expect(200);
    assert_eq!(
        report.body["items"],
        json!([
            {"contract_id": contract, "provider_id": provider, "financial_year": "2022-23", "quarter": "Q2",
             "due_date": "2022-10-30", "state": "late", "submitted_on": "2022-11-05", "days_late": 6},
            {"contract_id": contract, "provider_id": provider, "financial_year": "2022-23", "quarter": "Q3",
             "due_date": "2023-01-31", "state": "missing", "submitted_on": null, "days_late": 10}
        ])
    );
    assert_eq!(report.body["total"], 2);
    // Paged like every list: the second of two, with a link back.
    let second = app
        .get(
            "reports/missing-and-late-returns?as_of=2023-02-10&limit=1&offset=1",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(second.body["items"], json!([report.body["items"][1]]));
    assert_eq!(second.body["total"], 2);
    // Filters: period, stream, provider; before Q3 fell due it was not missing.
    let q3 = app
        .get(
            "reports/missing-and-late-returns?as_of=2023-02-10&financial_year=2022-23&quarter=Q3",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(q3.body["items"].as_array().map(Vec::len), Some(1));
    for (period, expected) in [
        ("financial_year=2022-23", 2),
        ("financial_year=2023-24", 0),
        ("from=2021-22&to=2022-23", 2),
    ] {
        let listed = app
            .get(
                &format!("reports/missing-and-late-returns?as_of=2023-02-10&{period}"),
                &token,
            )
            .await
            .expect(200);
        assert_eq!(listed.body["total"], expected, "{period}");
    }
    app.get(
        "reports/missing-and-late-returns?as_of=2023-02-10&quarter=Q3",
        &token,
    )
    .await
    .expect_problem(422, Some("quarter"));
    let by_stream = app
        .get(
            &format!(
                "reports/missing-and-late-returns?as_of=2023-02-10&funding_stream_id={stream}"
            ),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(by_stream.body["items"].as_array().map(Vec::len), Some(2));
    let other = app
        .get(
            "reports/missing-and-late-returns?as_of=2023-02-10&provider_id=0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(other.body["items"], json!([]));
    let earlier = app
        .get("reports/missing-and-late-returns?as_of=2023-01-31", &token)
        .await
        .expect(200);
    assert_eq!(earlier.body["items"].as_array().map(Vec::len), Some(1));
    // A provider sees its own list.
    let mine = app
        .get("reports/missing-and-late-returns?as_of=2023-02-10", &own)
        .await
        .expect(200);
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(2));
    app.get("reports/missing-and-late-returns?as_of=yesterday", &token)
        .await
        .expect_problem(422, Some("as_of"));

    // A stream that sets 14 days moves every due date.
    app.patch(
        &format!("funding-streams/{stream}"),
        &token,
        json!({"return_due_days": 14}),
    )
    .await
    .expect(200);
    let tighter = app
        .get("reports/missing-and-late-returns?as_of=2023-02-10", &token)
        .await
        .expect(200);
    let states: Vec<(&str, &str, i64)> = tighter.body["items"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| {
            (
                d["quarter"].as_str().unwrap_or(""),
                d["state"].as_str().unwrap_or(""),
                d["days_late"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    // Q1 due 14 July, submitted 20 July: 6 days late; Q2 due 14 October: 22; Q3 due 14 January: 27 overdue.
    assert_eq!(
        states,
        [("Q1", "late", 6), ("Q2", "late", 22), ("Q3", "missing", 27)]
    );
}

/// Creation answers with exactly what a read of the new return shows (it is
/// built from what was written, not read back), and its first version holds
/// the same figures; a second return for the quarter is a 409.
async fn a_created_return_reads_back_as_answered(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, provider, contract) = award_with_measures(&app, "2023-03-31").await;
    let own = app.provider_token(&provider);
    let body = json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q2",
                      "referrals": 7, "people_supported": 5, "spend": "120.50",
                      "values": [{"code": "grant_spend", "value": "99.99"},
                                 {"code": "better_cope", "value": 4}]});
    let created = app
        .post("outcome-returns", &own, body.clone())
        .await
        .expect(201);
    let path = format!("outcome-returns/{}", created.str("id"));
    let read = app.get(&path, &own).await.expect(200);
    assert_eq!(created.body, read.body);
    assert_eq!(created.body["values"][0]["code"], "better_cope", "by code");
    let versions = app
        .get(&format!("{path}/versions"), &app.commissioner())
        .await
        .expect(200);
    assert_eq!(versions.body[0]["version"], 1);
    assert_eq!(versions.body[0]["figures"], read.body);
    app.post("outcome-returns", &own, body)
        .await
        .expect_problem(409, None);
}

crate::on_both_backends!(
    a_created_return_reads_back_as_answered,
    a_quarter_goes_from_draft_to_accepted,
    missing_and_late_returns_are_listed
);
