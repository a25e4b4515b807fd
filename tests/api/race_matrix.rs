//! The race matrix: every guarded write and every money rule, with several
//! requests sent at once, on both backends. Each test asserts the only
//! outcome the rule allows, whatever order the server happens to run the
//! requests in, so it is deterministic; what makes it a race is that the
//! requests are in flight together. With the guard removed
//! (`db::lock_record`, or the idempotency claim) they fail on PostgreSQL.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Racer, Reply, TestApp};

/// Requests in each race: twice the test pool's connections, so some run
/// side by side and the rest queue behind them.
const RACERS: usize = 8;

fn statuses(replies: &[Reply]) -> Vec<u16> {
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    statuses
}

fn count(replies: &[Reply], status: u16) -> usize {
    replies
        .iter()
        .filter(|r| r.status.as_u16() == status)
        .count()
}

/// A money string's pence.
fn pence(amount: &Value) -> i64 {
    let text = amount.as_str().expect("a money string");
    let (pounds, pennies) = text.split_once('.').expect("pounds and pence");
    pounds.parse::<i64>().expect("pounds") * 100 + pennies.parse::<i64>().expect("pence")
}

/// How many audit events a record has.
async fn audit_events(app: &TestApp, resource_id: &str) -> i64 {
    app.get(
        &format!("audit-events?resource_id={resource_id}&limit=500"),
        &app.commissioner(),
    )
    .await
    .expect(200)
    .get("total")
    .as_i64()
    .expect("a total")
}

async fn line_ids(app: &TestApp, contract: &str) -> Vec<String> {
    let lines = app
        .get(
            &format!("contracts/{contract}/funding-lines"),
            &app.commissioner(),
        )
        .await
        .expect(200);
    lines
        .body
        .as_array()
        .expect("a list of lines")
        .iter()
        .map(|l| l["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// A draft grant of `value` wholly funded by `stream` in 2022-23.
async fn draft(app: &TestApp, provider: &str, stream: &str, value: &str) -> String {
    app.grant(provider, stream, value).await
}

/// A draft return for Q1 of an active contract, with a value for the
/// stream's one measure.
async fn draft_return(
    app: &TestApp,
    provider_token: &str,
    contract: &str,
    quarter: &str,
) -> String {
    app.post(
        "outcome-returns",
        provider_token,
        json!({"contract_id": contract, "financial_year": "2022-23", "quarter": quarter,
               "referrals": 10, "people_supported": 8, "spend": "100.00",
               "values": [{"code": "better_cope", "value": 6}]}),
    )
    .await
    .expect(201)
    .str("id")
}

/// One guarded write raced with one ETag.
struct Case {
    name: &'static str,
    method: &'static str,
    /// The path written to; its first two segments name the record whose
    /// ETag is sent.
    path: String,
    token: String,
    /// The record whose audit trail the write adds to.
    audited: String,
    /// The body of racer `i`: each makes a different change.
    body: fn(usize) -> Option<Value>,
    /// The status of the one that wins.
    won: u16,
}

/// Races one case; what went wrong, if anything.
async fn run_case(app: &TestApp, case: Case) -> Option<String> {
    let tag = app
        .etag(&case.path, &case.token)
        .await
        .unwrap_or_else(|| panic!("{}: an ETag to race with", case.name));
    let events_before = audit_events(app, &case.audited).await;
    let racers = (0..RACERS)
        .map(|i| {
            let racer = Racer::new(case.method, case.path.clone(), &case.token).if_match(&tag);
            match (case.body)(i) {
                Some(body) => racer.body(body),
                None => racer,
            }
        })
        .collect();
    let replies = app.race(racers).await;
    let mut expected = vec![412; RACERS - 1];
    expected.push(case.won);
    expected.sort_unstable();
    let events = audit_events(app, &case.audited).await - events_before;
    if statuses(&replies) != expected || events != 1 {
        return Some(format!(
            "{}: {:?} with {events} audit events (one {} and the rest 412, one event, allowed)",
            case.name,
            statuses(&replies),
            case.won
        ));
    }
    None
}

async fn one_etag_lets_exactly_one_writer_win(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let admin = app.token(commissioning::auth::Role::Admin);
    let stream = app.stream("RACE", "2022-23", "1000000.00").await;
    app.post(
        "outcome-measures",
        &token,
        json!({"funding_stream_id": stream, "code": "better_cope", "label": "Better able to cope", "unit": "people"}),
    )
    .await
    .expect(201);
    let provider = app.provider("Racing charity").await;
    let own = app.provider_token(&provider);
    let mut drafts = Vec::new();
    for _ in 0..6 {
        drafts.push(draft(&app, &provider, &stream, "1000.00").await);
    }
    let [renamed, activated, relined, unlined, varied, returned]: [String; 6] =
        drafts.try_into().expect("six drafts");
    app.activate(&varied).await.expect(200);
    app.activate(&returned).await.expect(200);
    let amended = draft_return(&app, &own, &returned, "Q1").await;
    let submitted = draft_return(&app, &own, &returned, "Q2").await;
    let reviewed = draft_return(&app, &own, &returned, "Q3").await;
    app.post(
        &format!("outcome-returns/{reviewed}/submit"),
        &own,
        json!({}),
    )
    .await
    .expect(200);
    let measure = app
        .get("outcome-measures", &token)
        .await
        .expect(200)
        .get("items")[0]["id"]
        .as_str()
        .expect("a measure id")
        .to_owned();
    let relined_line = line_ids(&app, &relined).await.remove(0);
    let unlined_line = line_ids(&app, &unlined).await.remove(0);
    let organisation = app.organisation_id.clone();

    let cases = [
        Case {
            name: "PATCH contract",
            method: "PATCH",
            path: format!("contracts/{renamed}"),
            token: token.clone(),
            audited: renamed.clone(),
            body: |i| Some(json!({"title": format!("Title {i}")})),
            won: 200,
        },
        Case {
            name: "activate contract",
            method: "POST",
            path: format!("contracts/{activated}/status"),
            token: token.clone(),
            audited: activated.clone(),
            body: |_| Some(json!({"status": "active"})),
            won: 200,
        },
        Case {
            name: "PATCH funding line",
            method: "PATCH",
            path: format!("contracts/{relined}/funding-lines/{relined_line}"),
            token: token.clone(),
            audited: relined.clone(),
            body: |i| Some(json!({"amount": format!("90{i}.00")})),
            won: 200,
        },
        Case {
            name: "DELETE funding line",
            method: "DELETE",
            path: format!("contracts/{unlined}/funding-lines/{unlined_line}"),
            token: token.clone(),
            audited: unlined.clone(),
            body: |_| None,
            won: 204,
        },
        Case {
            name: "vary contract",
            method: "POST",
            path: format!("contracts/{varied}/variations"),
            token: token.clone(),
            audited: varied.clone(),
            body: |i| {
                Some(
                    json!({"end_date": format!("2023-03-1{i}"), "reason": format!("Variation {i}")}),
                )
            },
            won: 200,
        },
        Case {
            name: "PATCH funding stream",
            method: "PATCH",
            path: format!("funding-streams/{stream}"),
            token: token.clone(),
            audited: stream.clone(),
            body: |i| Some(json!({"name": format!("Stream {i}")})),
            won: 200,
        },
        Case {
            name: "PUT budget",
            method: "PUT",
            path: format!("funding-streams/{stream}/budgets/2023-24"),
            token: token.clone(),
            audited: stream.clone(),
            body: |i| Some(json!({"amount": format!("5000{i}.00"), "status": "indicative"})),
            won: 200,
        },
        Case {
            name: "PATCH provider",
            method: "PATCH",
            path: format!("providers/{provider}"),
            token: token.clone(),
            audited: provider.clone(),
            body: |i| Some(json!({"name": format!("Racing charity {i}")})),
            won: 200,
        },
        Case {
            name: "PATCH outcome measure",
            method: "PATCH",
            path: format!("outcome-measures/{measure}"),
            token: token.clone(),
            audited: measure.clone(),
            body: |i| Some(json!({"label": format!("Better able to cope ({i})")})),
            won: 200,
        },
        Case {
            name: "amend return",
            method: "PATCH",
            path: format!("outcome-returns/{amended}"),
            token: own.clone(),
            audited: amended.clone(),
            body: |i| Some(json!({"referrals": 20 + i})),
            won: 200,
        },
        Case {
            name: "submit return",
            method: "POST",
            path: format!("outcome-returns/{submitted}/submit"),
            token: own.clone(),
            audited: submitted.clone(),
            body: |_| Some(json!({})),
            won: 200,
        },
        Case {
            name: "PATCH organisation",
            method: "PATCH",
            path: format!("organisations/{organisation}"),
            token: admin.clone(),
            audited: organisation.clone(),
            body: |i| Some(json!({"name": format!("Office {i}")})),
            won: 200,
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(run_case(&app, case).await);
    }
    assert!(
        failures.is_empty(),
        "lost updates:\n{}",
        failures.join("\n")
    );

    // Accepting and querying the same submitted return: one decision.
    let path = format!("outcome-returns/{reviewed}");
    let tag = app.etag(&path, &token).await.expect("an ETag");
    let racers = (0..RACERS)
        .map(|i| {
            let (action, body) = if i % 2 == 0 {
                ("accept", json!({}))
            } else {
                ("query", json!({"comment": "Please check the referrals"}))
            };
            Racer::new("POST", format!("{path}/{action}"), &token)
                .if_match(&tag)
                .body(body)
        })
        .collect();
    let replies = app.race(racers).await;
    assert_eq!(
        count(&replies, 200),
        1,
        "one review decision: {:?}",
        statuses(&replies)
    );
    assert_eq!(count(&replies, 412), RACERS - 1);
}

async fn payments_never_exceed_the_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let finance = app.finance();
    let stream = app.stream("PAY", "2022-23", "1000.00").await;
    let provider = app.provider("Paid charity").await;
    for round in 0..3 {
        let contract = draft(&app, &provider, &stream, "100.00").await;
        app.activate(&contract).await.expect(200);
        // Twelve payments of 10.00 on a 100.00 contract: ten fit.
        let racers = (0..12)
            .map(|i| {
                Racer::new("POST", format!("contracts/{contract}/payments"), &finance).body(
                    json!({"amount": "10.00", "paid_on": "2022-05-01", "reference": format!("INV-{round}-{i}")}),
                )
            })
            .collect();
        let replies = app.race(racers).await;
        assert_eq!(
            count(&replies, 201),
            10,
            "round {round}: {:?}",
            statuses(&replies)
        );
        assert_eq!(
            count(&replies, 409),
            2,
            "round {round}: the rest are refused"
        );
        let read = app
            .get(&format!("contracts/{contract}"), &finance)
            .await
            .expect(200);
        assert_eq!(
            read.body["paid"], "100.00",
            "round {round}: paid never above value"
        );
    }
}

async fn activation_and_line_edits_never_both_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let provider = app.provider("Funded charity").await;
    for round in 0..4 {
        let small = app
            .stream(&format!("SMALL{round}"), "2022-23", "10.00")
            .await;
        let other = app
            .stream(&format!("OTHER{round}"), "2022-23", "1.00")
            .await;
        let contract = draft(&app, &provider, &small, "10.00").await;
        let line = line_ids(&app, &contract).await.remove(0);
        let tag = app
            .etag(&format!("contracts/{contract}"), &token)
            .await
            .expect("an ETag");
        let replies = app
            .race(vec![
                Racer::new("POST", format!("contracts/{contract}/status"), &token)
                    .if_match(&tag)
                    .body(json!({"status": "active"})),
                Racer::new("POST", format!("contracts/{contract}/funding-lines"), &token).body(
                    json!({"funding_stream_id": other, "financial_year": "2022-23", "amount": "5000.00"}),
                ),
                Racer::new(
                    "PATCH",
                    format!("contracts/{contract}/funding-lines/{line}"),
                    &token,
                )
                .if_match(&tag)
                .body(json!({"amount": "20.00"})),
            ])
            .await;
        let activated = replies[0].status.as_u16() == 200;
        let line_added = replies[1].status.as_u16() == 201;
        let line_changed = replies[2].status.as_u16() == 200;
        assert!(
            !(activated && (line_added || line_changed)),
            "round {round}: activation and a line edit both succeeded: {:?}",
            statuses(&replies)
        );
        let read = app
            .get(&format!("contracts/{contract}"), &token)
            .await
            .expect(200);
        if read.body["status"] == "active" {
            let lines: Vec<&Value> = read
                .get("funding_lines")
                .as_array()
                .expect("lines")
                .iter()
                .collect();
            assert_eq!(
                lines.len(),
                1,
                "round {round}: the active contract kept its one line"
            );
            assert_eq!(lines[0]["amount"], "10.00");
            assert_eq!(read.body["value"], "10.00");
        }
        for stream in [&small, &other] {
            let budget = &app
                .get(&format!("funding-streams/{stream}"), &token)
                .await
                .expect(200)
                .get("budgets")[0]
                .clone();
            assert!(
                pence(&budget["committed"]) <= pence(&budget["budget"]),
                "round {round}: committed above budget: {budget}"
            );
        }
    }
}

async fn awards_never_exceed_the_budget(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let provider = app.provider("Awarded charity").await;
    for round in 0..3 {
        let stream = app
            .stream(&format!("BUDGET{round}"), "2022-23", "100000.00")
            .await;
        let mut racers = Vec::new();
        for _ in 0..RACERS - 1 {
            // Each wants 60% of the budget: only one can fit.
            let contract = draft(&app, &provider, &stream, "60000.00").await;
            let path = format!("contracts/{contract}/status");
            let tag = app.etag(&path, &token).await.expect("an ETag");
            racers.push(
                Racer::new("POST", path, &token)
                    .if_match(&tag)
                    .body(json!({"status": "active"})),
            );
        }
        // And the funder cuts the budget below one award, at the same time.
        let path = format!("funding-streams/{stream}/budgets/2022-23");
        let tag = app.etag(&path, &token).await.expect("an ETag");
        racers.push(
            Racer::new("PUT", path, &token)
                .if_match(&tag)
                .body(json!({"amount": "50000.00", "status": "confirmed"})),
        );
        let replies = app.race(racers).await;
        let (awards, cut) = replies.split_at(RACERS - 1);
        let won = count(awards, 200);
        let cut_won = cut[0].status.as_u16() == 200;
        assert!(won <= 1, "round {round}: {won} awards fit one budget");
        assert!(
            won + usize::from(cut_won) == 1,
            "round {round}: either one award or the cut wins: {:?}",
            statuses(&replies)
        );
        let budget = app
            .get(&format!("funding-streams/{stream}"), &token)
            .await
            .expect(200)
            .get("budgets")[0]
            .clone();
        let (committed, expected_budget) = if cut_won {
            ("0.00", "50000.00")
        } else {
            ("60000.00", "100000.00")
        };
        assert_eq!(budget["committed"], committed, "round {round}");
        assert_eq!(budget["budget"], expected_budget, "round {round}");
    }
}

async fn one_return_per_quarter(backend: Backend) {
    let app = spawn_app(backend).await;
    let stream = app.stream("SLOT", "2022-23", "1000.00").await;
    let provider = app.provider("Returning charity").await;
    let contract = draft(&app, &provider, &stream, "1000.00").await;
    app.activate(&contract).await.expect(200);
    let own = app.provider_token(&provider);
    for quarter in ["Q1", "Q2"] {
        let racers = (0..RACERS)
            .map(|i| {
                Racer::new("POST", "outcome-returns", &own).body(json!({
                    "contract_id": contract, "financial_year": "2022-23", "quarter": quarter,
                    "referrals": i, "people_supported": 1, "spend": "1.00"
                }))
            })
            .collect();
        let replies = app.race(racers).await;
        let mut expected = vec![409; RACERS - 1];
        expected.insert(0, 201);
        assert_eq!(
            statuses(&replies),
            expected,
            "{quarter}: one return per quarter"
        );
        for refused in replies.iter().filter(|r| r.status.as_u16() == 409) {
            let detail = refused.str("detail");
            assert!(
                !detail.contains("constraint") && !detail.contains("outcome_returns"),
                "no SQL in the refusal: {detail}"
            );
        }
    }
    let listed = app
        .get(&format!("outcome-returns?contract_id={contract}"), &own)
        .await
        .expect(200);
    assert_eq!(listed.body["total"], 2);
}

/// Parallel creations with one key: one record, and every reply is it.
async fn race_one_key(app: &TestApp, name: &str, path: &str, token: &str, body: Value) -> String {
    let racers = (0..RACERS)
        .map(|_| {
            Racer::new("POST", path, token)
                .key(&format!("key-{name}"))
                .body(body.clone())
        })
        .collect();
    let replies = app.race(racers).await;
    assert_eq!(
        statuses(&replies),
        vec![201; RACERS],
        "{name}: every retry gets the creation"
    );
    assert_eq!(
        replies.iter().filter(|r| r.replayed).count(),
        RACERS - 1,
        "{name}: all but the first are replays"
    );
    let first = &replies[0].body;
    for reply in &replies {
        assert_eq!(&reply.body, first, "{name}: every reply is the one record");
    }
    first
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_default()
}

async fn parallel_requests_with_one_key_replay_one_record(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("KEYS", "2022-23", "100000.00").await;
    let provider = app.provider("Keyed charity").await;

    race_one_key(
        &app,
        "funding stream",
        "funding-streams",
        &token,
        json!({"code": "ONCE", "name": "Once", "funder": "Home Office", "ringfenced": false}),
    )
    .await;
    let streams = app
        .get("funding-streams?limit=500", &token)
        .await
        .expect(200);
    assert_eq!(streams.body["total"], 2, "one stream created");

    race_one_key(
        &app,
        "provider",
        "providers",
        &token,
        json!({"name": "Only once", "kind": "charity"}),
    )
    .await;
    let providers = app.get("providers?limit=500", &token).await.expect(200);
    assert_eq!(providers.body["total"], 2, "one provider created");

    let contract = race_one_key(
        &app,
        "contract",
        "contracts",
        &token,
        json!({"provider_id": provider, "kind": "grant", "title": "Once",
               "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "100.00",
               "funding_lines": [{"funding_stream_id": stream, "financial_year": "2022-23", "amount": "100.00"}]}),
    )
    .await;
    let contracts = app.get("contracts?limit=500", &token).await.expect(200);
    assert_eq!(contracts.body["total"], 1, "one contract created");
    app.activate(&contract).await.expect(200);

    race_one_key(
        &app,
        "payment",
        &format!("contracts/{contract}/payments"),
        &app.finance(),
        json!({"amount": "10.00", "paid_on": "2022-05-01"}),
    )
    .await;
    let read = app
        .get(&format!("contracts/{contract}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["paid"], "10.00", "paid once");

    let own = app.provider_token(&provider);
    race_one_key(
        &app,
        "outcome return",
        "outcome-returns",
        &own,
        json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1",
               "referrals": 1, "people_supported": 1, "spend": "1.00"}),
    )
    .await;
    let returns = app.get("outcome-returns", &own).await.expect(200);
    assert_eq!(returns.body["total"], 1, "one return created");
}

crate::on_both_backends!(
    one_etag_lets_exactly_one_writer_win,
    payments_never_exceed_the_value,
    activation_and_line_edits_never_both_succeed,
    awards_never_exceed_the_budget,
    one_return_per_quarter,
    parallel_requests_with_one_key_replay_one_record,
);
