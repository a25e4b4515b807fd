//! Budget, provider and outcomes reports over a seeded commissioning year,
//! checked against figures worked out by hand, in JSON and CSV, and the same
//! on both backends.
//!
//! The year (2022-23, with 2023-24 for the multi-year awards):
//! - streams VSS (213,940.00 confirmed; 150,000.00 indicative in 2023-24),
//!   DA (120,000.00 confirmed both years) and SS (50,000.00, cut by the
//!   funder to 40,000.00 after awards: over-committed);
//! - A: Rubicon Cares, VSS, 36,500.00 for the full year 2022-23;
//! - B: Oasis DA, 1 July 2022 to 31 March 2024, part-funded by VSS and DA:
//!   VSS 60,000.00 + DA 40,000.00 in 2022-23, VSS 50,000.00 + DA 30,000.00
//!   in 2023-24;
//! - C: Dandelion Time, 1 October 2022 to 30 June 2023 (crossing the year
//!   end): SS 45,000.00 in 2022-23, VSS 15,000.00 in 2023-24;
//! - a draft for Rubicon Cares (commits nothing);
//! - payments on A, B and C; accepted returns on A, B and C, and one B
//!   return still only submitted (counts nowhere);
//! - another organisation's stream, award, payment and return, which no
//!   report of ours may count.
//!
//! Quarterly commitment is each line spread over the days of its year the
//! contract runs, with pennies by largest remainder: e.g. B's VSS 60,000.00
//! over Q2 (92 days), Q3 (92) and Q4 (90) of 274 is 20,145.99 / 20,145.98 /
//! 19,708.03 (the two spare pennies go to the largest remainders, Q4 .92 then
//! Q2 .54 over Q3 .54 by order).

use std::collections::HashMap;

use commissioning::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{create_organisation, spawn_app, Backend, TestApp};

/// The seeded records' ids, by the names the expectations use.
struct Seeded {
    ids: Vec<(String, &'static str)>,
}

impl Seeded {
    fn id(&self, name: &str) -> &str {
        &self
            .ids
            .iter()
            .find(|(_, n)| *n == name)
            .unwrap_or_else(|| panic!("no seeded {name}"))
            .0
    }

    /// The body with every seeded id replaced by its name, so that two
    /// databases' reports (whose generated ids differ) compare byte for byte.
    fn normalise(&self, body: &str) -> String {
        self.ids
            .iter()
            .fold(body.to_owned(), |text, (id, name)| text.replace(id, name))
    }
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    app.post(path, token, body).await.expect(201).str("id")
}

async fn stream(app: &TestApp, code: &str, budgets: Value) -> String {
    let body = json!({"code": code, "name": format!("Stream {code}"), "funder": "Ministry of Justice",
                      "ringfenced": false, "budgets": budgets});
    created(app, "funding-streams", &app.commissioner(), body).await
}

async fn contract(
    app: &TestApp,
    provider: &str,
    (start, end): (&str, &str),
    value: &str,
    lines: Value,
) -> String {
    let body = json!({"provider_id": provider, "kind": "grant", "title": "Victim support",
                      "start_date": start, "end_date": end, "value": value, "funding_lines": lines});
    created(app, "contracts", &app.commissioner(), body).await
}

fn line(stream: &str, year: &str, amount: &str) -> Value {
    json!({"funding_stream_id": stream, "financial_year": year, "amount": amount})
}

async fn pay(app: &TestApp, contract: &str, stream: &str, amount: &str, paid_on: &str) {
    let body = json!({"amount": amount, "paid_on": paid_on, "funding_stream_id": stream});
    created(
        app,
        &format!("contracts/{contract}/payments"),
        &app.finance(),
        body,
    )
    .await;
}

/// A return submitted by the provider, and accepted unless `accept` is false.
#[allow(clippy::too_many_arguments)]
async fn outcome_return(
    app: &TestApp,
    contract: &str,
    provider: &str,
    quarter: &str,
    (referrals, people, spend): (u32, u32, &str),
    values: Value,
    accept: bool,
) {
    let own = app.provider_token(provider);
    let body = json!({"contract_id": contract, "financial_year": "2022-23", "quarter": quarter,
                      "referrals": referrals, "people_supported": people, "spend": spend,
                      "values": values});
    let id = created(app, "outcome-returns", &own, body).await;
    app.post(&format!("outcome-returns/{id}/submit"), &own, json!({}))
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
}

async fn seed(app: &TestApp) -> Seeded {
    let commissioner = app.commissioner();
    let vss = stream(
        app,
        "VSS",
        json!([{"financial_year": "2022-23", "amount": "213940.00", "status": "confirmed"},
               {"financial_year": "2023-24", "amount": "150000.00", "status": "indicative"}]),
    )
    .await;
    let da = stream(
        app,
        "DA",
        json!([{"financial_year": "2022-23", "amount": "120000.00", "status": "confirmed"},
               {"financial_year": "2023-24", "amount": "120000.00", "status": "confirmed"}]),
    )
    .await;
    let ss = stream(
        app,
        "SS",
        json!([{"financial_year": "2022-23", "amount": "50000.00", "status": "confirmed"}]),
    )
    .await;
    let better_cope = json!({"funding_stream_id": vss, "code": "better_cope",
                             "label": "Better able to cope", "unit": "people"});
    created(app, "outcome-measures", &commissioner, better_cope).await;

    let rubicon = app.provider("Rubicon Cares").await;
    let oasis = app.provider("Oasis DA").await;
    let dandelion = app.provider("Dandelion Time").await;

    let a = contract(
        app,
        &rubicon,
        ("2022-04-01", "2023-03-31"),
        "36500.00",
        json!([line(&vss, "2022-23", "36500.00")]),
    )
    .await;
    let b = contract(
        app,
        &oasis,
        ("2022-07-01", "2024-03-31"),
        "180000.00",
        json!([
            line(&vss, "2022-23", "60000.00"),
            line(&da, "2022-23", "40000.00"),
            line(&vss, "2023-24", "50000.00"),
            line(&da, "2023-24", "30000.00")
        ]),
    )
    .await;
    let c = contract(
        app,
        &dandelion,
        ("2022-10-01", "2023-06-30"),
        "60000.00",
        json!([
            line(&ss, "2022-23", "45000.00"),
            line(&vss, "2023-24", "15000.00")
        ]),
    )
    .await;
    for id in [&a, &b, &c] {
        app.activate(id).await.expect(200);
    }
    contract(
        app,
        &rubicon,
        ("2022-04-01", "2023-03-31"),
        "5000.00",
        json!([line(&da, "2022-23", "5000.00")]),
    )
    .await;
    let sessions = json!({"contract_id": b, "code": "sessions", "label": "Sessions held",
                          "unit": "count"});
    created(app, "outcome-measures", &commissioner, sessions).await;

    // The funder cuts SS after C was awarded 45,000.00 from it.
    app.put(
        &format!("funding-streams/{ss}/budgets/2022-23"),
        &commissioner,
        json!({"amount": "40000.00", "status": "confirmed", "accept_over_commitment": true}),
    )
    .await
    .expect(200);

    pay(app, &a, &vss, "9100.00", "2022-06-30").await;
    pay(app, &a, &vss, "9200.00", "2022-09-30").await;
    pay(app, &b, &vss, "20000.00", "2022-12-15").await;
    pay(app, &b, &da, "10000.00", "2023-01-20").await;
    pay(app, &b, &vss, "5000.00", "2023-05-01").await;
    pay(app, &c, &ss, "22500.00", "2023-02-01").await;

    let cope = |n: u32| json!([{"code": "better_cope", "value": n}]);
    outcome_return(app, &a, &rubicon, "Q1", (40, 30, "9000.00"), cope(21), true).await;
    outcome_return(app, &a, &rubicon, "Q2", (35, 28, "9100.00"), cope(20), true).await;
    let b_values = |cope: u32, sessions: u32| json!([{"code": "better_cope", "value": cope}, {"code": "sessions", "value": sessions}]);
    outcome_return(
        app,
        &b,
        &oasis,
        "Q2",
        (120, 90, "19000.00"),
        b_values(63, 300),
        true,
    )
    .await;
    outcome_return(
        app,
        &b,
        &oasis,
        "Q3",
        (100, 80, "18000.00"),
        b_values(50, 250),
        false,
    )
    .await;
    outcome_return(app, &c, &dandelion, "Q3", (10, 8, "2000.00"), cope(5), true).await;

    seed_another_organisation(app).await;

    Seeded {
        ids: vec![
            (vss, "stream-VSS"),
            (da, "stream-DA"),
            (ss, "stream-SS"),
            (rubicon, "provider-rubicon"),
            (oasis, "provider-oasis"),
            (dandelion, "provider-dandelion"),
            (a, "contract-A"),
            (b, "contract-B"),
            (c, "contract-C"),
        ],
    }
}

/// Another commissioner's stream, award, payment and accepted return.
async fn seed_another_organisation(app: &TestApp) {
    let org = create_organisation(&app.database_url, "Another OPCC");
    let commissioner = app.token_for(&org, Role::Commissioner);
    let finance = app.token_for(&org, Role::Finance);
    let body = json!({"code": "VSS", "name": "Their VSS", "funder": "Ministry of Justice",
                      "ringfenced": false,
                      "budgets": [{"financial_year": "2022-23", "amount": "999999.99", "status": "confirmed"}]});
    let theirs = created(app, "funding-streams", &commissioner, body).await;
    let body = json!({"name": "Rubicon Cares", "kind": "charity"});
    let provider = created(app, "providers", &commissioner, body).await;
    let body = json!({"provider_id": provider, "kind": "grant", "title": "Theirs",
                      "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "77777.77",
                      "funding_lines": [line(&theirs, "2022-23", "77777.77")]});
    let award = created(app, "contracts", &commissioner, body).await;
    app.post(
        &format!("contracts/{award}/status"),
        &commissioner,
        json!({"status": "active"}),
    )
    .await
    .expect(200);
    let body = json!({"amount": "1111.11", "paid_on": "2022-07-01"});
    created(app, &format!("contracts/{award}/payments"), &finance, body).await;
    let body = json!({"contract_id": award, "financial_year": "2022-23", "quarter": "Q1",
                      "referrals": 999, "people_supported": 999, "spend": "1.00"});
    let ret = created(app, "outcome-returns", &commissioner, body).await;
    app.post(
        &format!("outcome-returns/{ret}/submit"),
        &commissioner,
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("outcome-returns/{ret}/accept"),
        &commissioner,
        json!({}),
    )
    .await
    .expect(200);
}

/// The money fields of a report line, in a fixed order.
const FIGURES: [&str; 7] = [
    "budget_indicative",
    "budget_confirmed",
    "budget",
    "committed",
    "paid",
    "uncommitted",
    "unpaid_commitment",
];

fn figures(line: &Value) -> Vec<&str> {
    FIGURES
        .iter()
        .map(|f| line[f].as_str().unwrap_or_else(|| panic!("{f} in {line}")))
        .collect()
}

/// (committed, paid) per quarter Q1..Q4.
fn quarters(line: &Value) -> Vec<(&str, &str)> {
    let quarters = line["quarters"].as_array().expect("quarters");
    assert_eq!(
        quarters.iter().map(|q| &q["quarter"]).collect::<Vec<_>>(),
        ["Q1", "Q2", "Q3", "Q4"]
    );
    quarters
        .iter()
        .map(|q| {
            (
                q["committed"].as_str().expect("committed"),
                q["paid"].as_str().expect("paid"),
            )
        })
        .collect()
}

fn stream_line<'a>(report: &'a Value, code: &str, year: &str) -> &'a Value {
    report["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .find(|l| l["funding_stream_code"] == code && l["financial_year"] == year)
        .unwrap_or_else(|| panic!("no {code} {year} line in {report}"))
}

async fn budget_report_matches_the_hand_computed_year(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let report = app
        .get("reports/budget?financial_year=2022-23", &app.finance())
        .await
        .expect(200)
        .body;
    assert_eq!(report["from"], "2022-23");
    assert_eq!(report["to"], "2022-23");
    let codes: Vec<&Value> = report["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|l| &l["funding_stream_code"])
        .collect();
    assert_eq!(codes, ["DA", "SS", "VSS"], "by code; nothing of theirs");

    // VSS: A 36,500.00 + B 60,000.00 committed; paid 9,100 + 9,200 + 20,000.
    let vss = stream_line(&report, "VSS", "2022-23");
    assert_eq!(vss["budget_status"], "confirmed");
    assert_eq!(
        figures(vss),
        [
            "0.00",
            "213940.00",
            "213940.00",
            "96500.00",
            "38300.00",
            "117440.00",
            "58200.00"
        ]
    );
    assert_eq!(vss["over_committed"], false);
    // A: 9,100.00 / 9,200.00 / 9,200.00 / 9,000.00 (91/92/92/90 days of 365)
    // B: 0 / 20,145.99 / 20,145.98 / 19,708.03
    assert_eq!(
        quarters(vss),
        [
            ("9100.00", "9100.00"),
            ("29345.99", "9200.00"),
            ("29345.98", "20000.00"),
            ("28708.03", "0.00"),
        ]
    );

    // DA: B's 40,000.00 as 0 / 13,430.66 / 13,430.66 / 13,138.68.
    let da = stream_line(&report, "DA", "2022-23");
    assert_eq!(
        figures(da),
        [
            "0.00",
            "120000.00",
            "120000.00",
            "40000.00",
            "10000.00",
            "80000.00",
            "30000.00"
        ]
    );
    assert_eq!(
        quarters(da),
        [
            ("0.00", "0.00"),
            ("13430.66", "0.00"),
            ("13430.66", "0.00"),
            ("13138.68", "10000.00"),
        ]
    );

    // SS: cut to 40,000.00 under C's 45,000.00 (Q3 92 days, Q4 90).
    let ss = stream_line(&report, "SS", "2022-23");
    assert_eq!(
        figures(ss),
        ["0.00", "40000.00", "40000.00", "45000.00", "22500.00", "-5000.00", "22500.00"]
    );
    assert_eq!(ss["over_committed"], true);
    assert_eq!(
        quarters(ss),
        [
            ("0.00", "0.00"),
            ("0.00", "0.00"),
            ("22747.25", "0.00"),
            ("22252.75", "22500.00"),
        ]
    );

    let year = &report["years"][0];
    assert_eq!(year["financial_year"], "2022-23");
    assert_eq!(
        figures(year),
        [
            "0.00",
            "373940.00",
            "373940.00",
            "181500.00",
            "70800.00",
            "192440.00",
            "110700.00"
        ]
    );
    assert_eq!(year["over_committed"], false);
    assert_eq!(year["over_committed_streams"], 1);
    assert_eq!(
        quarters(year),
        [
            ("9100.00", "9100.00"),
            ("42776.65", "9200.00"),
            ("65523.89", "20000.00"),
            ("64099.46", "32500.00"),
        ]
    );
    assert_eq!(figures(&report["total"]), figures(year));

    // The same committed figure as the stream's own read.
    let read = app
        .get(
            &format!(
                "funding-streams/{}",
                vss["funding_stream_id"].as_str().unwrap()
            ),
            &app.finance(),
        )
        .await
        .expect(200);
    assert_eq!(read.get("budgets")[0]["committed"], "96500.00");

    // One stream only.
    let one = app
        .get(
            &format!(
                "reports/budget?financial_year=2022-23&funding_stream_id={}",
                da["funding_stream_id"].as_str().unwrap()
            ),
            &app.commissioner(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(one["streams"].as_array().unwrap().len(), 1);
    assert_eq!(one["total"]["committed"], "40000.00");
}

async fn budget_report_over_a_range_of_years(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let report = app
        .get("reports/budget?from=2022-23&to=2023-24", &app.finance())
        .await
        .expect(200)
        .body;
    let lines: Vec<(String, String)> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["funding_stream_code"].as_str().unwrap().to_owned(),
                l["financial_year"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("DA", "2022-23"),
        ("DA", "2023-24"),
        ("SS", "2022-23"),
        ("VSS", "2022-23"),
        ("VSS", "2023-24"),
    ];
    assert_eq!(
        lines,
        expected.map(|(c, y)| (c.to_owned(), y.to_owned())).to_vec()
    );
    // VSS 2023-24, indicative: B 50,000.00 + C 15,000.00 (C's is all Q1).
    let vss = stream_line(&report, "VSS", "2023-24");
    assert_eq!(vss["budget_status"], "indicative");
    assert_eq!(
        figures(vss),
        [
            "150000.00",
            "0.00",
            "150000.00",
            "65000.00",
            "5000.00",
            "85000.00",
            "60000.00"
        ]
    );
    assert_eq!(
        quarters(vss),
        [
            ("27431.69", "5000.00"),
            ("12568.31", "0.00"),
            ("12568.31", "0.00"),
            ("12431.69", "0.00"),
        ]
    );
    // DA 2023-24: B's 30,000.00 over a leap year's 91/92/92/91 days.
    assert_eq!(
        quarters(stream_line(&report, "DA", "2023-24")),
        [
            ("7459.02", "0.00"),
            ("7540.98", "0.00"),
            ("7540.98", "0.00"),
            ("7459.02", "0.00"),
        ]
    );
    let years = report["years"].as_array().unwrap();
    assert_eq!(years.len(), 2);
    assert_eq!(
        figures(&years[1]),
        [
            "150000.00",
            "120000.00",
            "270000.00",
            "95000.00",
            "5000.00",
            "175000.00",
            "90000.00"
        ]
    );
    assert_eq!(
        figures(&report["total"]),
        [
            "150000.00",
            "493940.00",
            "643940.00",
            "276500.00",
            "75800.00",
            "367440.00",
            "200700.00"
        ]
    );
}

/// Parses our CSV (no field of this test holds a comma or a quote).
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().expect("a header row").split(',').collect();
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "row width: {line}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| ((*h).to_owned(), c.to_owned()))
                .collect()
        })
        .collect()
}

async fn csv_reports_agree_with_json(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let token = app.finance();

    // Budget: the `.csv` path, whether or not `Accept` names CSV.
    let json = app
        .get("reports/budget?from=2022-23&to=2023-24", &token)
        .await
        .expect(200)
        .body;
    let csv = app
        .get("reports/budget.csv?from=2022-23&to=2023-24", &token)
        .await
        .expect(200);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let text = csv.body.as_str().expect("CSV text").to_owned();
    let (status, accepted) = app
        .get_text(
            "reports/budget.csv?from=2022-23&to=2023-24",
            &token,
            "text/csv",
        )
        .await;
    assert_eq!((status, accepted.as_str()), (200, text.as_str()));
    let rows = csv_rows(&text);
    assert_eq!(rows.len(), 5 + 2, "five stream lines, two year totals");
    for line in json["streams"].as_array().unwrap() {
        let row = rows
            .iter()
            .find(|r| {
                r["row"] == "stream"
                    && r["funding_stream_code"] == line["funding_stream_code"]
                    && r["financial_year"] == line["financial_year"]
            })
            .expect("a CSV row per JSON line");
        for field in FIGURES {
            assert_eq!(row[field], line[field].as_str().unwrap(), "{field}");
        }
        assert_eq!(row["over_committed"], line["over_committed"].to_string());
        for (i, q) in ["q1", "q2", "q3", "q4"].iter().enumerate() {
            assert_eq!(
                row[&format!("committed_{q}")],
                line["quarters"][i]["committed"].as_str().unwrap()
            );
            assert_eq!(
                row[&format!("paid_{q}")],
                line["quarters"][i]["paid"].as_str().unwrap()
            );
        }
    }
    for year in json["years"].as_array().unwrap() {
        let row = rows
            .iter()
            .find(|r| r["row"] == "total" && r["financial_year"] == year["financial_year"])
            .expect("a total row per year");
        for field in FIGURES {
            assert_eq!(row[field], year[field].as_str().unwrap(), "{field}");
        }
    }

    // Providers.
    let json = app
        .get("reports/providers?financial_year=2022-23", &token)
        .await
        .expect(200)
        .body;
    let (status, text) = app
        .get_text(
            "reports/providers.csv?financial_year=2022-23",
            &token,
            "*/*",
        )
        .await;
    assert_eq!(status, 200);
    let rows = csv_rows(&text);
    for provider in json["providers"].as_array().unwrap() {
        let total = rows
            .iter()
            .find(|r| r["row"] == "provider" && r["provider_id"] == provider["provider_id"])
            .expect("a provider row");
        for field in ["awarded", "paid", "unpaid"] {
            assert_eq!(total[field], provider[field].as_str().unwrap());
        }
        assert_eq!(total["contracts"], provider["contracts"].to_string());
        for stream in provider["streams"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|r| {
                    r["row"] == "stream"
                        && r["provider_id"] == provider["provider_id"]
                        && r["funding_stream_code"] == stream["funding_stream_code"]
                })
                .expect("a stream row");
            for field in ["awarded", "paid", "unpaid"] {
                assert_eq!(row[field], stream[field].as_str().unwrap());
            }
        }
    }
    assert_eq!(rows.len(), 3 + 4, "three provider rows, four stream rows");

    // Outcomes: a value and a share column per measure.
    let json = app
        .get("reports/outcomes?financial_year=2022-23", &token)
        .await
        .expect(200)
        .body;
    let (_, text) = app
        .get_text("reports/outcomes.csv?financial_year=2022-23", &token, "*/*")
        .await;
    let rows = csv_rows(&text);
    let total_year = rows
        .iter()
        .find(|r| r["row"] == "total" && r["quarter"].is_empty())
        .expect("the total year row");
    let json_year = &json["total"][0];
    assert_eq!(total_year["returns"], json_year["returns"].to_string());
    assert_eq!(total_year["people_supported"], "156");
    assert_eq!(total_year["spend"], "39100.00");
    assert_eq!(total_year["measure_better_cope"], "109");
    assert_eq!(total_year["share_better_cope"], "0.6987");
    assert_eq!(total_year["measure_sessions"], "300");
    assert_eq!(total_year["share_sessions"], "");
}

fn by_name<'a>(items: &'a Value, field: &str, name: &str) -> &'a Value {
    items
        .as_array()
        .expect("an array")
        .iter()
        .find(|i| i[field] == name)
        .unwrap_or_else(|| panic!("no {name} in {items}"))
}

async fn provider_report_totals_each_provider_across_streams(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let report = app
        .get(
            "reports/providers?financial_year=2022-23",
            &app.commissioner(),
        )
        .await
        .expect(200)
        .body;
    let names: Vec<&Value> = report["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["provider_name"])
        .collect();
    assert_eq!(names, ["Dandelion Time", "Oasis DA", "Rubicon Cares"]);

    let oasis = by_name(&report["providers"], "provider_name", "Oasis DA");
    assert_eq!(oasis["contracts"], 1);
    assert_eq!(oasis["awarded"], "100000.00");
    assert_eq!(oasis["paid"], "30000.00");
    assert_eq!(oasis["unpaid"], "70000.00");
    let da = by_name(&oasis["streams"], "funding_stream_code", "DA");
    assert_eq!(
        (&da["awarded"], &da["paid"]),
        (&json!("40000.00"), &json!("10000.00"))
    );
    let vss = by_name(&oasis["streams"], "funding_stream_code", "VSS");
    assert_eq!(
        (&vss["awarded"], &vss["paid"]),
        (&json!("60000.00"), &json!("20000.00"))
    );

    // The draft commits nothing: Rubicon has A alone.
    let rubicon = by_name(&report["providers"], "provider_name", "Rubicon Cares");
    assert_eq!(rubicon["contracts"], 1);
    assert_eq!(rubicon["awarded"], "36500.00");
    assert_eq!(rubicon["paid"], "18300.00");
    assert_eq!(rubicon["streams"].as_array().unwrap().len(), 1);

    assert_eq!(
        report["total"],
        json!({"providers": 3, "contracts": 3, "awarded": "181500.00",
               "paid": "70800.00", "unpaid": "110700.00"})
    );

    // Over two years Dandelion Time's one contract draws on two streams: it
    // counts once in all, once under each stream.
    let range = app
        .get("reports/providers?from=2022-23&to=2023-24", &app.finance())
        .await
        .expect(200)
        .body;
    let dandelion = by_name(&range["providers"], "provider_name", "Dandelion Time");
    assert_eq!(dandelion["contracts"], 1);
    assert_eq!(dandelion["awarded"], "60000.00");
    let streams: Vec<(&Value, &Value, &Value)> = dandelion["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (&s["funding_stream_code"], &s["contracts"], &s["awarded"]))
        .collect();
    assert_eq!(
        streams,
        [
            (&json!("SS"), &json!(1), &json!("45000.00")),
            (&json!("VSS"), &json!(1), &json!("15000.00"))
        ]
    );
    assert_eq!(range["total"]["awarded"], "276500.00");
    assert_eq!(range["total"]["paid"], "75800.00");

    // "What do we give this charity?"
    let one = app
        .get(
            &format!(
                "reports/providers?from=2022-23&to=2023-24&provider_id={}",
                oasis["provider_id"].as_str().unwrap()
            ),
            &app.finance(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(one["providers"].as_array().unwrap().len(), 1);
    assert_eq!(one["total"]["awarded"], "180000.00");
}

fn period<'a>(periods: &'a Value, quarter: Option<&str>) -> &'a Value {
    periods
        .as_array()
        .expect("periods")
        .iter()
        .find(|p| p["quarter"].as_str() == quarter)
        .unwrap_or_else(|| panic!("no {quarter:?} in {periods}"))
}

fn measure<'a>(period: &'a Value, code: &str) -> &'a Value {
    by_name(&period["measures"], "code", code)
}

async fn outcomes_report_sums_accepted_returns(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let report = app
        .get(
            "reports/outcomes?financial_year=2022-23",
            &app.commissioner(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(report["group_by"], "stream");
    let codes: Vec<&Value> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["code"])
        .collect();
    assert_eq!(codes, ["DA", "SS", "VSS"]);

    // VSS funds A and B in 2022-23: A's Q1 and Q2, B's accepted Q2 (its
    // submitted Q3 counts nowhere).
    let vss = by_name(&report["groups"], "code", "VSS");
    let year = period(&vss["periods"], None);
    assert_eq!(
        (
            &year["returns"],
            &year["referrals"],
            &year["people_supported"],
            &year["spend"]
        ),
        (&json!(3), &json!(195), &json!(148), &json!("37100.00"))
    );
    assert_eq!(measure(year, "better_cope")["value"], 104);
    assert_eq!(
        measure(year, "better_cope")["share_of_people_supported"],
        "0.7027"
    );
    assert_eq!(measure(year, "sessions")["value"], 300);
    assert_eq!(
        measure(year, "sessions")["share_of_people_supported"],
        Value::Null
    );
    let q2 = period(&vss["periods"], Some("Q2"));
    assert_eq!(
        (&q2["returns"], &q2["people_supported"]),
        (&json!(2), &json!(118))
    );
    assert_eq!(
        measure(q2, "better_cope")["share_of_people_supported"],
        "0.7034"
    );
    let q1 = period(&vss["periods"], Some("Q1"));
    assert_eq!(
        measure(q1, "better_cope")["share_of_people_supported"],
        "0.7000"
    );
    assert_eq!(
        vss["periods"].as_array().unwrap().len(),
        3,
        "the year, Q1, Q2"
    );

    // B is part-funded by DA too, so its return also counts there.
    let da = by_name(&report["groups"], "code", "DA");
    let year = period(&da["periods"], None);
    assert_eq!(
        (&year["returns"], &year["referrals"]),
        (&json!(1), &json!(120))
    );
    assert_eq!(
        measure(year, "better_cope")["share_of_people_supported"],
        "0.7000"
    );

    // The total counts each return once: A Q1, A Q2, B Q2, C Q3.
    let total = period(&report["total"], None);
    assert_eq!(
        (
            &total["returns"],
            &total["referrals"],
            &total["people_supported"],
            &total["spend"]
        ),
        (&json!(4), &json!(205), &json!(156), &json!("39100.00"))
    );
    assert_eq!(measure(total, "better_cope")["value"], 109);
    assert_eq!(
        measure(total, "better_cope")["share_of_people_supported"],
        "0.6987"
    );
    assert_eq!(period(&report["total"], Some("Q3"))["referrals"], 10);

    // Per provider and per contract.
    let providers = app
        .get(
            "reports/outcomes?financial_year=2022-23&group_by=provider",
            &app.finance(),
        )
        .await
        .expect(200)
        .body;
    let names: Vec<&Value> = providers["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["name"])
        .collect();
    assert_eq!(names, ["Dandelion Time", "Oasis DA", "Rubicon Cares"]);
    let rubicon = by_name(&providers["groups"], "name", "Rubicon Cares");
    assert_eq!(period(&rubicon["periods"], None)["people_supported"], 58);
    assert_eq!(providers["total"], report["total"]);

    let contracts = app
        .get(
            "reports/outcomes?financial_year=2022-23&group_by=contract",
            &app.commissioner(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(contracts["groups"].as_array().unwrap().len(), 3);

    // Filtered to one stream, the total is that stream's returns, once each.
    let filtered = app
        .get(
            &format!(
                "reports/outcomes?financial_year=2022-23&group_by=provider&funding_stream_id={}",
                vss["id"].as_str().unwrap()
            ),
            &app.commissioner(),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(period(&filtered["total"], None)["returns"], 3);
    assert_eq!(filtered["groups"].as_array().unwrap().len(), 2);
}

/// Varying or ending a contract re-profiles what it commits.
async fn variations_and_early_endings_reprofile_commitment(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let grant = app.grant(&provider, &stream, "36500.00").await;
    app.activate(&grant).await.expect(200);

    let committed = |report: &Value| -> Vec<String> {
        report["years"][0]["quarters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["committed"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = "reports/budget?financial_year=2022-23";
    let before = app.get(path, &app.finance()).await.expect(200).body;
    assert_eq!(
        committed(&before),
        ["9100.00", "9200.00", "9200.00", "9000.00"]
    );

    app.post(
        &format!("contracts/{grant}/variations"),
        &token,
        json!({"value": "30000.00", "reason": "Reduced service",
               "funding_lines": [line(&stream, "2022-23", "30000.00")]}),
    )
    .await
    .expect(200);
    let varied = app.get(path, &app.finance()).await.expect(200).body;
    // 3,000,000p by 91/92/92/90 days of 365.
    assert_eq!(
        committed(&varied),
        ["7479.45", "7561.65", "7561.64", "7397.26"]
    );

    // Ended at the half year: the year's 30,000.00 now falls in Q1 and Q2.
    app.post(
        &format!("contracts/{grant}/status"),
        &token,
        json!({"status": "ended", "reason": "Service ended", "effective_date": "2022-09-30"}),
    )
    .await
    .expect(200);
    let ended = app.get(path, &app.finance()).await.expect(200).body;
    assert_eq!(committed(&ended), ["14918.03", "15081.97", "0.00", "0.00"]);
    assert_eq!(ended["total"]["committed"], "30000.00");
}

async fn report_queries_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.finance();
    for (query, field) in [
        ("", "financial_year"),
        ("financial_year=2022-24", "financial_year"),
        (
            "financial_year=2022-23&from=2022-23&to=2023-24",
            "financial_year",
        ),
        ("from=2022-23", "to"),
        ("to=2022-23", "from"),
        ("from=2023-24&to=2022-23", "to"),
        ("from=2010-11&to=2030-31", "to"),
        ("financial_year=2022-23&format=csv", "format"),
        ("financial_year=2022-23&limit=10", "limit"),
    ] {
        app.get(&format!("reports/budget?{query}"), &token)
            .await
            .expect_problem(422, Some(field));
    }
    app.get(
        "reports/outcomes?financial_year=2022-23&group_by=region",
        &token,
    )
    .await
    .expect_problem(422, Some("group_by"));
    // An empty year is an empty report, not an error.
    let empty = app
        .get("reports/budget?financial_year=2030-31", &token)
        .await
        .expect(200)
        .body;
    assert_eq!(empty["streams"], json!([]));
    assert_eq!(empty["total"]["budget"], "0.00");
    // Providers do not read organisation-wide reports.
    let provider = app.provider("Rubicon Cares").await;
    app.get(
        "reports/providers?financial_year=2022-23",
        &app.provider_token(&provider),
    )
    .await
    .expect_problem(403, None);
}

/// Each report answers one media type at each path: JSON, or CSV at its
/// `.csv` path (for generated clients, which take one media type per
/// operation). `Accept` is read by quality and specificity: a request that
/// rules out the path's media type gets 406, never the other one.
async fn each_path_answers_one_media_type(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let token = app.finance();
    for (report, query) in [
        ("budget", "from=2022-23&to=2023-24"),
        ("providers", "financial_year=2022-23"),
        ("outcomes", "financial_year=2022-23&group_by=provider"),
    ] {
        let json_path = format!("reports/{report}?{query}");
        let csv_path = format!("reports/{report}.csv?{query}");
        let (status, csv) = app.get_text(&csv_path, &token, "text/csv").await;
        assert_eq!(status, 200);
        assert!(
            csv.lines().count() > 1 && !csv.starts_with('{'),
            "{report}: {csv}"
        );
        app.get(
            &format!("reports/{report}.csv?financial_year=2022-24"),
            &token,
        )
        .await
        .expect_problem(422, Some("financial_year"));
        for (accept, json_ok, csv_ok) in [
            ("*/*", true, true),
            ("application/json", true, false),
            ("text/csv", false, true),
            ("text/*", false, true),
            ("application/json, text/csv;q=0.5", true, true),
            ("text/csv;q=0, */*", true, false),
            ("*/*, application/json;q=0", false, true),
            ("text/csv;q=0", false, false),
            ("text/html", false, false),
        ] {
            let (status, body) = app.get_text(&json_path, &token, accept).await;
            match json_ok {
                true => assert!(
                    status == 200 && body.starts_with('{'),
                    "{report} JSON with Accept: {accept}: {status}"
                ),
                false => assert_eq!(status, 406, "{report} JSON with Accept: {accept}: {body}"),
            }
            let (status, body) = app.get_text(&csv_path, &token, accept).await;
            match csv_ok {
                true => assert_eq!(
                    (status, body.as_str()),
                    (200, csv.as_str()),
                    "{report} CSV with Accept: {accept}"
                ),
                false => assert_eq!(status, 406, "{report} CSV with Accept: {accept}: {body}"),
            }
        }
    }
}

/// The same data gives byte-identical JSON reports on SQLite and PostgreSQL.
#[actix_web::test]
async fn both_backends_give_byte_identical_reports() {
    let sqlite = spawn_app(Backend::Sqlite).await;
    let postgres = spawn_app(Backend::Postgres).await;
    let seeded_sqlite = seed(&sqlite).await;
    let seeded_postgres = seed(&postgres).await;
    for path in [
        "reports/budget?from=2022-23&to=2023-24",
        "reports/budget.csv?financial_year=2022-23",
        "reports/providers?from=2022-23&to=2023-24",
        "reports/outcomes?financial_year=2022-23",
        "reports/outcomes?financial_year=2022-23&group_by=provider",
        "reports/outcomes.csv?financial_year=2022-23&group_by=contract",
    ] {
        let (status, lite) = sqlite.get_text(path, &sqlite.finance(), "*/*").await;
        assert_eq!(status, 200, "{path}: {lite}");
        let (status, pg) = postgres.get_text(path, &postgres.finance(), "*/*").await;
        assert_eq!(status, 200, "{path}: {pg}");
        let lite = seeded_sqlite.normalise(&lite);
        let pg = seeded_postgres.normalise(&pg);
        assert!(
            !lite.contains(seeded_sqlite.id("stream-VSS")),
            "every id is normalised"
        );
        assert_eq!(lite, pg, "{path}");
    }
}

crate::on_both_backends!(
    budget_report_matches_the_hand_computed_year,
    budget_report_over_a_range_of_years,
    csv_reports_agree_with_json,
    provider_report_totals_each_provider_across_streams,
    outcomes_report_sums_accepted_returns,
    variations_and_early_endings_reprofile_commitment,
    report_queries_are_checked,
    each_path_answers_one_media_type,
);
