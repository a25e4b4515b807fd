//! Returns as a real year has them: figures not reported (which is not
//! zero), measures optional for a contract, shares that rest only on the
//! returns reporting both figures, returns entered from paper with the day
//! they were received, and due rules set by the organisation or a stream.

use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

/// An active 2022-23 grant of `value` on `stream` for a new provider;
/// returns (provider, contract).
async fn award(app: &TestApp, stream: &str, name: &str, end_date: &str) -> (String, String) {
    let provider = app.provider(name).await;
    let contract = app
        .post(
            "contracts",
            &app.commissioner(),
            json!({"provider_id": provider, "kind": "grant", "title": format!("{name} service"),
                   "start_date": "2022-04-01", "end_date": end_date, "value": "1000.00",
                   "status": "active",
                   "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "1000.00"}]}),
        )
        .await
        .expect(201)
        .str("id");
    (provider, contract)
}

/// Creates, submits and (unless `accept` is false) accepts a return.
async fn file_return(app: &TestApp, token: &str, body: Value, accept: bool) -> String {
    let id = app
        .post("outcome-returns", token, body)
        .await
        .expect(201)
        .str("id");
    app.post(&format!("outcome-returns/{id}/submit"), token, json!({}))
        .await
        .expect(200);
    if accept {
        app.post(
            &format!("outcome-returns/{id}/accept"),
            &app.commissioner(),
            json!({}),
        )
        .await
        .expect(200);
    }
    id
}

async fn not_reported_is_not_zero_and_shares_rest_on_both_figures(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "10000.00").await;
    app.post(
        "outcome-measures",
        &token,
        json!({"funding_stream_id": stream, "code": "better_cope", "label": "Better able to cope", "unit": "people"}),
    )
    .await
    .expect(201);
    let (a, contract_a) = award(&app, &stream, "Alder", "2023-03-31").await;
    let (b, contract_b) = award(&app, &stream, "Birch", "2023-03-31").await;
    let (c, contract_c) = award(&app, &stream, "Cedar", "2023-03-31").await;
    let q1 = |contract: &str| json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1"});

    // A reports everything; B does not count the people it supports.
    let mut body_a = q1(&contract_a);
    body_a["referrals"] = json!(90);
    body_a["people_supported"] = json!(68);
    body_a["values"] = json!([{"code": "better_cope", "value": 60}]);
    file_return(&app, &app.provider_token(&a), body_a, true).await;
    let mut body_b = q1(&contract_b);
    body_b["values"] = json!([{"code": "better_cope", "value": 117}]);
    let b_return = file_return(&app, &app.provider_token(&b), body_b, true).await;
    let read = app
        .get(&format!("outcome-returns/{b_return}"), &token)
        .await
        .expect(200);
    assert_eq!(
        (&read.body["referrals"], &read.body["people_supported"]),
        (&Value::Null, &Value::Null),
        "left out is not reported, not zero"
    );

    // C does not collect the stream's measure: a required measure cannot be
    // submitted as not reported...
    let own_c = app.provider_token(&c);
    let mut body_c = q1(&contract_c);
    body_c["people_supported"] = json!(10);
    let c_return = app
        .post("outcome-returns", &own_c, body_c)
        .await
        .expect(201)
        .str("id");
    app.post(
        &format!("outcome-returns/{c_return}/submit"),
        &own_c,
        json!({}),
    )
    .await
    .expect_problem(422, Some("values.better_cope"));
    // ...until the commissioner makes it optional for C's contract.
    let optional = app
        .post(
            "outcome-measures",
            &token,
            json!({"contract_id": contract_c, "code": "better_cope", "label": "Better able to cope",
                   "unit": "people", "required": false}),
        )
        .await
        .expect(201);
    assert_eq!(optional.body["required"], false);
    // Recorded explicitly as not reported (null), as a spreadsheet's empty cell is.
    let patched = app
        .patch(
            &format!("outcome-returns/{c_return}"),
            &own_c,
            json!({"values": [{"code": "better_cope", "value": null}]}),
        )
        .await
        .expect(200);
    assert_eq!(
        patched.body["values"],
        json!([{"code": "better_cope", "label": "Better able to cope", "unit": "people", "value": null}])
    );
    app.post(
        &format!("outcome-returns/{c_return}/submit"),
        &own_c,
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("outcome-returns/{c_return}/accept"),
        &token,
        json!({}),
    )
    .await
    .expect(200);

    let report = app
        .get("reports/outcomes?financial_year=2022-23", &token)
        .await
        .expect(200);
    let year = &report.body["total"][0];
    assert_eq!(year["returns"], 3);
    assert_eq!(
        (&year["referrals"], &year["returns_reporting_referrals"]),
        (&json!(90), &json!(1))
    );
    assert_eq!(
        (
            &year["people_supported"],
            &year["returns_reporting_people_supported"]
        ),
        (&json!(78), &json!(2))
    );
    let cope = &year["measures"][0];
    assert_eq!((&cope["value"], &cope["returns"]), (&json!(177), &json!(2)));
    // Only A reports both: 60 of its 68, not 177 over 78.
    assert_eq!(cope["share_of_people_supported"], "0.8824");
    assert_eq!(cope["share_returns"], 1);

    let (status, csv) = app
        .get_text(
            "reports/outcomes.csv?financial_year=2022-23",
            &token,
            "text/csv",
        )
        .await;
    assert_eq!(status, 200);
    let header = csv.lines().next().unwrap_or_default();
    for column in [
        "returns_reporting_people_supported",
        "returns_better_cope",
        "share_returns_better_cope",
    ] {
        assert!(
            header.split(',').any(|c| c == column),
            "{column} in {header}"
        );
    }

    // A figure can be set back to not reported while the return is a draft.
    let mut body_a2 = json!({"contract_id": contract_a, "financial_year": "2022-23", "quarter": "Q2",
                             "people_supported": 12, "referrals": 3});
    body_a2["values"] = json!([{"code": "better_cope", "value": 5}]);
    let draft = app
        .post("outcome-returns", &app.provider_token(&a), body_a2)
        .await
        .expect(201)
        .str("id");
    let changed = app
        .patch(
            &format!("outcome-returns/{draft}"),
            &app.provider_token(&a),
            json!({"people_supported": null}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["people_supported"], Value::Null);
    assert_eq!(changed.body["referrals"], 3, "a field left out is kept");
}

/// Lateness as the missing-and-late list states it, per quarter.
async fn lateness(app: &TestApp) -> Vec<(String, String, String, i64)> {
    let list = app
        .get(
            "reports/missing-and-late-returns?as_of=2023-02-10",
            &app.commissioner(),
        )
        .await
        .expect(200);
    list.body["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| {
            (
                d["quarter"].as_str().unwrap_or_default().to_owned(),
                d["due_date"].as_str().unwrap_or_default().to_owned(),
                d["state"].as_str().unwrap_or_default().to_owned(),
                d["days_late"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

fn row(quarter: &str, due: &str, state: &str, days: i64) -> (String, String, String, i64) {
    (quarter.into(), due.into(), state.into(), days)
}

async fn paper_returns_are_judged_by_their_received_date_under_the_due_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "10000.00").await;
    // Q1 to Q3 of 2022-23.
    let (provider, contract) = award(&app, &stream, "Dandelion Time", "2022-12-31").await;
    let quarter = |q: &str, received_on: &str| {
        json!({"contract_id": contract, "financial_year": "2022-23", "quarter": q,
               "received_on": received_on, "people_supported": 4})
    };

    // The provider cannot date its own return; nor can anyone date one in
    // the future or before its quarter began.
    let own = app.provider_token(&provider);
    app.post("outcome-returns", &own, quarter("Q1", "2022-07-25"))
        .await
        .expect_problem(422, Some("received_on"));
    for bad in ["2099-01-01", "2022-03-31"] {
        app.post("outcome-returns", &token, quarter("Q1", bad))
            .await
            .expect_problem(422, Some("received_on"));
    }

    // Keyed in years later from paper, received on 25 July and 5 November.
    let q1 = file_return(&app, &token, quarter("Q1", "2022-07-25"), false).await;
    file_return(&app, &token, quarter("Q2", "2022-11-05"), false).await;
    let read = app
        .get(&format!("outcome-returns/{q1}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["received_on"], "2022-07-25");
    // By default due one calendar month after the quarter: Q1 on time
    // (30 July), Q2 six days late (30 October), Q3 missing.
    assert_eq!(
        lateness(&app).await,
        [
            row("Q2", "2022-10-30", "late", 6),
            row("Q3", "2023-01-31", "missing", 10)
        ]
    );

    // The organisation's rule: end of the following month.
    let organisation = format!("organisations/{}", app.organisation_id);
    let admin = app.token(commissioning::auth::Role::Admin);
    let changed = app
        .patch(
            &organisation,
            &admin,
            json!({"return_due_rule": "end_of_following_month"}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["return_due_rule"], "end_of_following_month");
    assert_eq!(changed.body["return_due_days"], Value::Null);
    assert_eq!(
        lateness(&app).await,
        [
            row("Q2", "2022-10-31", "late", 5),
            row("Q3", "2023-01-31", "missing", 10)
        ]
    );
    let read = app
        .get(&format!("outcome-returns/{q1}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["due_date"], "2022-07-31");

    // A stream's rule comes before the organisation's.
    app.patch(
        &format!("funding-streams/{stream}"),
        &token,
        json!({"return_due_rule": "days_after_quarter_end", "return_due_days": 14}),
    )
    .await
    .expect(200);
    assert_eq!(
        lateness(&app).await,
        [
            row("Q1", "2022-07-14", "late", 11),
            row("Q2", "2022-10-14", "late", 22),
            row("Q3", "2023-01-14", "missing", 27)
        ]
    );

    // A rule is checked as written.
    app.patch(
        &organisation,
        &admin,
        json!({"return_due_rule": "end_of_following_month", "return_due_days": 10}),
    )
    .await
    .expect_problem(422, Some("return_due_days"));
    app.patch(
        &format!("funding-streams/{stream}"),
        &token,
        json!({"return_due_rule": "days_after_quarter_end"}),
    )
    .await
    .expect_problem(422, Some("return_due_days"));
}

/// Returns submitted through the service are still judged by submission.
async fn a_providers_own_return_is_judged_by_its_submission(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("VSS", "2022-23", "10000.00").await;
    let (provider, contract) = award(&app, &stream, "Elm", "2022-06-30").await;
    let own = app.provider_token(&provider);
    let id = file_return(
        &app,
        &own,
        json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1"}),
        false,
    )
    .await;
    let mut conn = commissioning::db::connect_one(&app.database_url).expect("connect");
    conn.batch_execute(&format!(
        "UPDATE outcome_returns SET first_submitted_at = '2022-08-02 10:00:00' WHERE id = '{id}'"
    ))
    .expect("backdate");
    assert_eq!(lateness(&app).await, [row("Q1", "2022-07-30", "late", 3)]);
}

crate::on_both_backends!(
    not_reported_is_not_zero_and_shares_rest_on_both_figures,
    paper_returns_are_judged_by_their_received_date_under_the_due_rule,
    a_providers_own_return_is_judged_by_its_submission,
);
