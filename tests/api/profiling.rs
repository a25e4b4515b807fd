//! Funding lines the service profiles itself: a stream funding a contract's
//! whole value over its years (spread by days, pennies placed so awards
//! that together equal a budget fit it to the penny), and a line's own
//! quarterly schedule, which the reports use as given.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

/// Four grants of one stream, 1 October 2022 to 30 September 2023 (182
/// days of 2022-23, 183 of 2023-24). Each one's exact 2022-23 share has a
/// remainder over half a penny, so rounding each alone puts 2p more in
/// 2022-23 than the four exact shares together: the brief's 1p overshoot,
/// twice over.
const VALUES: [&str; 4] = ["68725.40", "70801.37", "73608.92", "23589.40"];
/// The exact 2022-23 shares sum to 118,038.264…; the budgets are the four
/// values' total split at that penny.
const BUDGET_2022: &str = "118038.26";
const BUDGET_2023: &str = "118686.83";

async fn stream_for_the_four(app: &TestApp, code: &str) -> String {
    app.post(
        "funding-streams",
        &app.commissioner(),
        json!({"code": code, "name": "Safer Streets", "funder": "Home Office",
               "budgets": [
                   {"financial_year": "2022-23", "amount": BUDGET_2022, "status": "confirmed"},
                   {"financial_year": "2023-24", "amount": BUDGET_2023, "status": "confirmed"}]}),
    )
    .await
    .expect(201)
    .str("id")
}

fn grant(provider: &str, stream: &str, value: &str, status: &str) -> Value {
    json!({"provider_id": provider, "kind": "grant", "title": "Safer Streets district",
           "start_date": "2022-10-01", "end_date": "2023-09-30", "value": value,
           "status": status,
           "funding_lines": [{"funding_stream_id": stream, "amount": value}]})
}

/// Committed and uncommitted of a stream's year, from the budget report.
async fn stream_year(app: &TestApp, stream: &str, year: &str) -> (String, String) {
    let report = app
        .get(
            &format!("reports/budget?financial_year={year}&funding_stream_id={stream}"),
            &app.finance(),
        )
        .await
        .expect(200);
    let line = &report.body["streams"][0];
    (
        line["committed"].as_str().unwrap_or_default().to_owned(),
        line["uncommitted"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Each year's line is its exact share rounded down or up, give or take a
/// penny for each award profiled on the stream before it (`earlier`).
fn assert_within_a_penny(contract: &Value, value: &str, earlier: i64) {
    let pence: i64 = value.replace('.', "").parse().expect("pence");
    let lines = contract["funding_lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "one line per year: {contract}");
    for (line, days) in lines.iter().zip([182, 183]) {
        assert_eq!(line["profiled"], true);
        let amount: i64 = line["amount"]
            .as_str()
            .unwrap_or_default()
            .replace('.', "")
            .parse()
            .expect("amount");
        let floor = pence * days / 365;
        assert!(
            (floor - earlier..=floor + 1 + earlier).contains(&amount),
            "{amount} is not {pence} x {days}/365 rounded, give or take {earlier}p"
        );
    }
}

async fn awards_profiled_across_years_fit_the_budget_to_the_penny(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let provider = app.provider("Safer Streets partnership").await;

    // Awarded as they are created, one after another.
    let stream = stream_for_the_four(&app, "SSF").await;
    for (earlier, value) in (0..).zip(VALUES) {
        let award = app
            .post(
                "contracts",
                &token,
                grant(&provider, &stream, value, "active"),
            )
            .await
            .expect(201);
        assert_within_a_penny(&award.body, value, earlier);
    }
    assert_eq!(
        stream_year(&app, &stream, "2022-23").await,
        (BUDGET_2022.to_owned(), "0.00".to_owned())
    );
    assert_eq!(
        stream_year(&app, &stream, "2023-24").await,
        (BUDGET_2023.to_owned(), "0.00".to_owned())
    );

    // Drafted first, awarded later: the pennies are placed at the award.
    let stream = stream_for_the_four(&app, "SSF2").await;
    let mut drafts = Vec::new();
    for value in VALUES {
        drafts.push(
            app.post(
                "contracts",
                &token,
                grant(&provider, &stream, value, "draft"),
            )
            .await
            .expect(201)
            .str("id"),
        );
    }
    for (earlier, (draft, value)) in (0..).zip(drafts.iter().zip(VALUES)) {
        let awarded = app.activate(draft).await.expect(200);
        assert_within_a_penny(&awarded.body, value, earlier);
    }
    assert_eq!(
        stream_year(&app, &stream, "2022-23").await,
        (BUDGET_2022.to_owned(), "0.00".to_owned())
    );

    // A fifth award of a penny no longer fits: the budget is spent.
    app.post(
        "contracts",
        &token,
        grant(&provider, &stream, "0.01", "active"),
    )
    .await
    .expect_problem(409, None);
}

async fn a_line_without_a_year_is_spread_by_days(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app
        .post(
            "funding-streams",
            &token,
            json!({"code": "PCC", "name": "Core", "funder": "PCC",
                   "budgets": [
                       {"financial_year": "2022-23", "amount": "100000.00", "status": "confirmed"},
                       {"financial_year": "2023-24", "amount": "100000.00", "status": "confirmed"},
                       {"financial_year": "2024-25", "amount": "100000.00", "status": "confirmed"}]}),
        )
        .await
        .expect(201)
        .str("id");
    let provider = app.provider("Victim Support").await;
    // 731 days at 100.00 a day.
    let contract = app
        .post(
            "contracts",
            &token,
            json!({"provider_id": provider, "kind": "contract", "title": "Victims' hub",
                   "start_date": "2022-10-01", "end_date": "2024-09-30", "value": "73100.00",
                   "funding_lines": [{"funding_stream_id": stream, "amount": "73100.00"}]}),
        )
        .await
        .expect(201);
    let lines: Vec<(String, String)> = contract.body["funding_lines"]
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
    assert_eq!(
        lines,
        [
            ("2022-23".to_owned(), "18200.00".to_owned()),
            ("2023-24".to_owned(), "36600.00".to_owned()),
            ("2024-25".to_owned(), "18300.00".to_owned())
        ]
    );
    assert_eq!(contract.body["funded"], "73100.00");

    // A line without a year covers every year of its stream, so another
    // line of the stream beside it is refused; and it cannot state quarters.
    let bad = |lines: Value| {
        json!({"provider_id": provider, "kind": "grant", "title": "x",
               "start_date": "2022-10-01", "end_date": "2024-09-30", "value": "10.00",
               "funding_lines": lines})
    };
    app.post(
        "contracts",
        &token,
        bad(json!([{"funding_stream_id": stream, "amount": "5.00"},
                   {"funding_stream_id": stream, "financial_year": "2023-24", "amount": "5.00"}])),
    )
    .await
    .expect_problem(422, Some("funding_lines[1]"));
    app.post(
        "contracts",
        &token,
        bad(json!([{"funding_stream_id": stream, "amount": "10.00",
                    "quarters": [{"quarter": "Q1", "amount": "10.00"}]}])),
    )
    .await
    .expect_problem(422, Some("funding_lines[0].quarters"));
}

async fn a_stated_quarterly_schedule_is_reported_as_given(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "50000.00").await;
    let provider = app.provider("Rape Crisis").await;
    let body = |quarters: Value| {
        json!({"provider_id": provider, "kind": "grant", "title": "Winter surge",
               "start_date": "2022-07-01", "end_date": "2023-03-31", "value": "10000.00",
               "status": "active",
               "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23",
                                  "amount": "10000.00", "quarters": quarters}]})
    };
    // Refused: not summing to the line; money in a quarter before the start.
    app.post(
        "contracts",
        &token,
        body(
            json!([{"quarter": "Q3", "amount": "6000.00"}, {"quarter": "Q4", "amount": "3999.99"}]),
        ),
    )
    .await
    .expect_problem(422, Some("funding_lines[0].quarters"));
    app.post(
        "contracts",
        &token,
        body(json!([{"quarter": "Q1", "amount": "1.00"}, {"quarter": "Q4", "amount": "9999.00"}])),
    )
    .await
    .expect_problem(422, Some("funding_lines[0].quarters[0].quarter"));
    let contract = app
        .post(
            "contracts",
            &token,
            body(json!([{"quarter": "Q3", "amount": "6000.00"}, {"quarter": "Q4", "amount": "4000.00"}])),
        )
        .await
        .expect(201);
    assert_eq!(
        contract.body["funding_lines"][0]["quarters"],
        json!([{"quarter": "Q3", "amount": "6000.00"}, {"quarter": "Q4", "amount": "4000.00"}])
    );
    let report = app
        .get("reports/budget?financial_year=2022-23", &app.finance())
        .await
        .expect(200);
    let quarters: Vec<&str> = report.body["streams"][0]["quarters"]
        .as_array()
        .expect("quarters")
        .iter()
        .map(|q| q["committed"].as_str().unwrap_or_default())
        .collect();
    // By days it would have been 3,333.33 / 3,369.96 / 3,296.71 over Q2-Q4.
    assert_eq!(quarters, ["0.00", "0.00", "6000.00", "4000.00"]);
}

crate::on_both_backends!(
    awards_profiled_across_years_fit_the_budget_to_the_penny,
    a_line_without_a_year_is_spread_by_days,
    a_stated_quarterly_schedule_is_reported_as_given,
);
