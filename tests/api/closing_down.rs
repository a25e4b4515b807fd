//! The end of a contract's life: ending early releases the commitment after
//! the end date in the same request; an ended contract still takes its
//! final payments and one closing adjustment; a payment made in error is
//! reversed by an entry that names it, in the quarter it is recorded.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

/// A stream with a 50,000.00 budget in 2022-23 and in 2023-24.
async fn two_year_stream(app: &TestApp) -> String {
    app.post(
        "funding-streams",
        &app.commissioner(),
        json!({"code": "VSS", "name": "Victims", "funder": "Ministry of Justice",
               "budgets": [
                   {"financial_year": "2022-23", "amount": "50000.00", "status": "confirmed"},
                   {"financial_year": "2023-24", "amount": "50000.00", "status": "confirmed"}]}),
    )
    .await
    .expect(201)
    .str("id")
}

/// A two-year contract awarded at once: 36,500.00 in 2022-23 (100.00 a day)
/// and 36,600.00 in 2023-24 (a leap year: 100.00 a day).
async fn two_year_award(app: &TestApp, stream: &str, name: &str) -> String {
    let provider = app.provider(name).await;
    app.post(
        "contracts",
        &app.commissioner(),
        json!({"provider_id": provider, "kind": "contract", "title": "Advocacy",
               "start_date": "2022-04-01", "end_date": "2024-03-31", "value": "73100.00",
               "status": "active",
               "funding_lines": [
                   {"funding_stream_id": stream, "financial_year": "2022-23", "amount": "36500.00"},
                   {"funding_stream_id": stream, "financial_year": "2023-24", "amount": "36600.00"}]}),
    )
    .await
    .expect(201)
    .str("id")
}

async fn pay(app: &TestApp, contract: &str, amount: &str, paid_on: &str) -> crate::helpers::Reply {
    app.post(
        &format!("contracts/{contract}/payments"),
        &app.finance(),
        json!({"amount": amount, "paid_on": paid_on}),
    )
    .await
}

/// The budget report's committed and paid for a year, and per quarter.
async fn year_figures(app: &TestApp, year: &str) -> (Value, Vec<(String, String, String)>) {
    let report = app
        .get(
            &format!("reports/budget?financial_year={year}"),
            &app.finance(),
        )
        .await
        .expect(200);
    let line = &report.body["streams"][0];
    let quarters = line["quarters"]
        .as_array()
        .expect("quarters")
        .iter()
        .map(|q| {
            (
                q["quarter"].as_str().unwrap_or_default().to_owned(),
                q["committed"].as_str().unwrap_or_default().to_owned(),
                q["paid"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (line.clone(), quarters)
}

fn q(quarter: &str, committed: &str, paid: &str) -> (String, String, String) {
    (quarter.into(), committed.into(), paid.into())
}

async fn an_early_end_releases_exactly_the_commitment_after_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = two_year_stream(&app).await;
    let contract = two_year_award(&app, &stream, "Rubicon Cares").await;
    pay(&app, &contract, "10000.00", "2022-07-15")
        .await
        .expect(201);

    // Before: Q1 9,100.00, Q2 9,200.00, Q3 9,200.00, Q4 9,000.00 (by days).
    let (_, before) = year_figures(&app, "2022-23").await;
    assert_eq!(before[2], q("Q3", "9200.00", "0.00"));

    let ended = app
        .post(
            &format!("contracts/{contract}/status"),
            &token,
            json!({"status": "ended", "effective_date": "2022-09-30", "release_commitment": true,
                   "reason": "Service closed: the provider lost its premises",
                   "decision_reference": "OPCC.D.071.22"}),
        )
        .await
        .expect(200);
    // It keeps Q1 and Q2 of 2022-23 and nothing after: 9,100 + 9,200.
    assert_eq!(ended.body["status"], "ended");
    assert_eq!(ended.body["end_date"], "2022-09-30");
    assert_eq!(ended.body["value"], "18300.00");
    let lines: Vec<(String, String)> = ended.body["funding_lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["financial_year"].as_str().unwrap_or_default().to_owned(),
                l["amount"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(lines, [("2022-23".to_owned(), "18300.00".to_owned())]);
    let (figures, quarters) = year_figures(&app, "2022-23").await;
    assert_eq!(figures["committed"], "18300.00");
    assert_eq!(
        quarters,
        [
            q("Q1", "9100.00", "0.00"),
            q("Q2", "9200.00", "10000.00"),
            q("Q3", "0.00", "0.00"),
            q("Q4", "0.00", "0.00")
        ]
    );
    let (next_year, _) = year_figures(&app, "2023-24").await;
    assert_eq!(next_year["committed"], "0.00");
    assert_eq!(
        next_year["uncommitted"], "50000.00",
        "released to the stream"
    );

    // Its history says what happened, with the reason and decision.
    let history = app
        .get(&format!("contracts/{contract}/variations"), &token)
        .await
        .expect(200);
    let entries: Vec<(&str, &str, &str)> = history
        .body
        .as_array()
        .expect("history")
        .iter()
        .map(|v| {
            (
                v["kind"].as_str().unwrap_or_default(),
                v["value_after"].as_str().unwrap_or_default(),
                v["decision_reference"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("activation", "73100.00", ""),
            ("variation", "18300.00", "OPCC.D.071.22"),
            ("ending", "18300.00", "OPCC.D.071.22")
        ]
    );

    // Closing down: the final invoice is paid; no more than the value.
    pay(&app, &contract, "8000.00", "2022-10-20")
        .await
        .expect(201);
    pay(&app, &contract, "300.01", "2022-10-21")
        .await
        .expect_problem(409, None);
    // One closing adjustment to what was spent, never below what was paid.
    let close = |value: &str| {
        json!({"value": value, "reason": "Closing adjustment to final spend",
               "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": value}]})
    };
    let variations = format!("contracts/{contract}/variations");
    app.post(&variations, &token, close("17999.99"))
        .await
        .expect_problem(422, Some("value"));
    app.post(&variations, &token, close("18300.01"))
        .await
        .expect_problem(422, Some("value"));
    let closed = app
        .post(&variations, &token, close("18000.00"))
        .await
        .expect(200);
    assert_eq!(
        (
            &closed.body["value"],
            &closed.body["paid"],
            &closed.body["status"]
        ),
        (&json!("18000.00"), &json!("18000.00"), &json!("ended"))
    );
    app.post(&variations, &token, close("18000.00"))
        .await
        .expect_problem(409, None);
    let (figures, _) = year_figures(&app, "2022-23").await;
    assert_eq!(
        (&figures["committed"], &figures["paid"]),
        (&json!("18000.00"), &json!("18000.00"))
    );
    let audit = app
        .get(
            &format!("audit-events?resource_type=contract&resource_id={contract}"),
            &app.token(commissioning::auth::Role::Admin),
        )
        .await
        .expect(200);
    assert_eq!(
        audit.body["total"], 3,
        "award, ending and closing adjustment are each in the trail"
    );
}

async fn a_release_cannot_leave_less_than_was_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = two_year_stream(&app).await;
    let contract = two_year_award(&app, &stream, "Choices").await;
    // Paid in advance for the whole first year.
    pay(&app, &contract, "36500.00", "2022-04-10")
        .await
        .expect(201);
    let path = format!("contracts/{contract}");
    let before = app.get(&path, &app.commissioner()).await.expect(200);
    app.post(
        &format!("{path}/status"),
        &app.commissioner(),
        json!({"status": "terminated", "effective_date": "2022-09-30", "release_commitment": true,
               "reason": "Breach", "decision_reference": "OPCC.D.080.22"}),
    )
    .await
    .expect_problem(409, None);
    let after = app.get(&path, &app.commissioner()).await.expect(200);
    assert_eq!(after.body, before.body, "nothing changed");
    // Without releasing, lines in a later year still block an early end.
    app.post(
        &format!("{path}/status"),
        &app.commissioner(),
        json!({"status": "ended", "effective_date": "2022-09-30", "reason": "Closed"}),
    )
    .await
    .expect_problem(422, Some("effective_date"));
}

async fn a_payment_is_reversed_by_an_entry_in_the_quarter_it_is_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Dandelion Time").await;
    let contract = app.grant(&provider, &stream, "1000.00").await;
    app.activate(&contract).await.expect(200);
    let paid = pay(&app, &contract, "400.00", "2022-07-15")
        .await
        .expect(201);
    let payment = paid.str("id");
    let reversal_path = format!("contracts/{contract}/payments/{payment}/reversal");
    let finance = app.finance();
    let reversal =
        |on: &str| json!({"reversed_on": on, "reason": "Paid twice", "reference": "CN-7"});

    app.post(
        &reversal_path,
        &app.provider_token(&provider),
        reversal("2022-10-03"),
    )
    .await
    .expect_problem(403, None);
    app.post(&reversal_path, &finance, reversal("2022-07-14"))
        .await
        .expect_problem(422, Some("reversed_on"));
    let reversed = app
        .post(&reversal_path, &finance, reversal("2022-10-03"))
        .await
        .expect(201);
    assert_eq!(reversed.body["amount"], "-400.00");
    assert_eq!(reversed.body["reverses_payment_id"], payment.as_str());
    assert_eq!(
        (&reversed.body["financial_year"], &reversed.body["quarter"]),
        (&json!("2022-23"), &json!("Q3"))
    );
    // Once only, and a reversal is not itself reversed.
    app.post(&reversal_path, &finance, reversal("2022-10-04"))
        .await
        .expect_problem(409, None);
    let back = reversed.str("id");
    app.post(
        &format!("contracts/{contract}/payments/{back}/reversal"),
        &finance,
        reversal("2022-10-04"),
    )
    .await
    .expect_problem(409, None);
    let other = "0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f";
    app.post(
        &format!("contracts/{contract}/payments/{other}/reversal"),
        &finance,
        reversal("2022-10-04"),
    )
    .await
    .expect_problem(404, None);

    // The original stays as it was, and names its reversal.
    let payments = app
        .get(&format!("contracts/{contract}/payments"), &finance)
        .await
        .expect(200);
    let list = payments.body.as_array().expect("payments");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["amount"], "400.00");
    assert_eq!(list[0]["reversed_by_payment_id"], back.as_str());
    // Paid in Q2, reversed in Q3: the year nets to nothing.
    let (figures, quarters) = year_figures(&app, "2022-23").await;
    assert_eq!(figures["paid"], "0.00");
    assert_eq!(
        (&quarters[1].2, &quarters[2].2),
        (&"400.00".to_owned(), &"-400.00".to_owned())
    );
    let read = app
        .get(&format!("contracts/{contract}"), &finance)
        .await
        .expect(200);
    assert_eq!(read.body["paid"], "0.00");
    // The whole value can be paid again.
    pay(&app, &contract, "1000.00", "2022-10-05")
        .await
        .expect(201);
}

crate::on_both_backends!(
    an_early_end_releases_exactly_the_commitment_after_it,
    a_release_cannot_leave_less_than_was_paid,
    a_payment_is_reversed_by_an_entry_in_the_quarter_it_is_made,
);
