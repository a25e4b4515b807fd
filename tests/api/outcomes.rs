//! Outcome measures (defined per stream or per contract) and the quarterly
//! outcome returns providers make against them.

use commissioning::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Reply, TestApp};

/// An active 2022-23 grant to a new provider, funded by a new stream.
struct Award {
    stream: String,
    provider: String,
    contract: String,
}

async fn active_award(app: &TestApp, stream_code: &str, provider_name: &str) -> Award {
    let stream = app.stream(stream_code, "2022-23", "100000.00").await;
    let provider = app.provider(provider_name).await;
    let contract = app.grant(&provider, &stream, "30000.00").await;
    app.activate(&contract).await.expect(200);
    Award {
        stream,
        provider,
        contract,
    }
}

async fn create_measure(app: &TestApp, body: Value) -> Value {
    app.post("outcome-measures", &app.commissioner(), body)
        .await
        .expect(201)
        .body
}

/// The brief's two stream measures: people "better able to cope" and grant spend.
async fn stream_measures(app: &TestApp, stream: &str) -> (String, String) {
    let people = create_measure(
        app,
        json!({"funding_stream_id": stream, "code": "better_cope", "label": "Better able to cope", "unit": "people"}),
    )
    .await;
    let money = create_measure(
        app,
        json!({"funding_stream_id": stream, "code": "grant_spend", "label": "Grant spent", "unit": "money"}),
    )
    .await;
    (
        people["id"].as_str().unwrap().to_owned(),
        money["id"].as_str().unwrap().to_owned(),
    )
}

/// A complete 2022-23 Q2 return for a contract whose stream has the brief's measures.
fn q2_return(contract: &str) -> Value {
    json!({
        "contract_id": contract,
        "financial_year": "2022-23",
        "quarter": "Q2",
        "referrals": 40,
        "people_supported": 28,
        "spend": "1250.50",
        "narrative": "Two new advocates started in August.",
        "values": [
            {"code": "grant_spend", "value": "1250.50"},
            {"code": "better_cope", "value": 28}
        ]
    })
}

async fn list_total(app: &TestApp, path: &str, token: &str) -> i64 {
    app.get(path, token)
        .await
        .expect(200)
        .get("total")
        .as_i64()
        .expect("a total")
}

fn ids(page: &Reply) -> Vec<String> {
    page.get("items")
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

// --- Outcome measures -------------------------------------------------------

async fn measures_are_defined_for_a_stream_or_for_one_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let contract = app.grant(&provider, &stream, "30000.00").await;

    let on_stream = app
        .post(
            "outcome-measures",
            &token,
            json!({"funding_stream_id": stream, "code": "better_cope", "label": " Better able to cope ", "unit": "people"}),
        )
        .await
        .expect(201);
    let stream_measure = on_stream.str("id");
    assert_eq!(
        on_stream.location.as_deref(),
        Some(format!("/api/v1/outcome-measures/{stream_measure}").as_str())
    );
    assert_eq!(on_stream.body["funding_stream_id"], stream.as_str());
    assert_eq!(on_stream.body["contract_id"], Value::Null);
    assert_eq!(on_stream.body["code"], "better_cope");
    assert_eq!(on_stream.body["label"], "Better able to cope");
    assert_eq!(on_stream.body["unit"], "people");
    assert_eq!(on_stream.body["created_at"], on_stream.body["updated_at"]);

    // A draft contract can have measures of its own.
    let on_contract = app
        .post(
            "outcome-measures",
            &token,
            json!({"contract_id": contract, "code": "sessions", "label": "Counselling sessions", "unit": "count"}),
        )
        .await
        .expect(201);
    let contract_measure = on_contract.str("id");
    assert_eq!(on_contract.body["funding_stream_id"], Value::Null);
    assert_eq!(on_contract.body["contract_id"], contract.as_str());
    assert_eq!(on_contract.body["unit"], "count");

    for (id, created) in [
        (&stream_measure, &on_stream.body),
        (&contract_measure, &on_contract.body),
    ] {
        let read = app
            .get(&format!("outcome-measures/{id}"), &token)
            .await
            .expect(200);
        assert_eq!(&read.body, created);
    }

    let all = app.get("outcome-measures", &token).await.expect(200);
    assert_eq!(all.body["total"], 2);
    assert_eq!(
        ids(&all),
        [stream_measure.clone(), contract_measure.clone()]
    );
    let by_stream = app
        .get(
            &format!("outcome-measures?funding_stream_id={stream}"),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(by_stream.body["total"], 1);
    assert_eq!(ids(&by_stream), [stream_measure]);
    let by_contract = app
        .get(&format!("outcome-measures?contract_id={contract}"), &token)
        .await
        .expect(200);
    assert_eq!(by_contract.body["total"], 1);
    assert_eq!(ids(&by_contract), [contract_measure]);
    let paged = app
        .get("outcome-measures?limit=1&offset=1", &token)
        .await
        .expect(200);
    assert_eq!(paged.body["total"], 2);
    assert_eq!(paged.body["items"][0]["code"], "sessions");
}

async fn a_measure_label_and_unused_unit_can_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let created = create_measure(
        &app,
        json!({"funding_stream_id": stream, "code": "helpline", "label": "Calls", "unit": "count"}),
    )
    .await;
    let path = format!("outcome-measures/{}", created["id"].as_str().unwrap());

    let relabelled = app
        .patch(&path, &token, json!({"label": "Helpline calls answered"}))
        .await
        .expect(200);
    assert_eq!(relabelled.body["label"], "Helpline calls answered");
    assert_eq!(relabelled.body["unit"], "count", "the unit is kept");
    assert_eq!(relabelled.body["code"], "helpline");

    // No return holds a value yet, so the unit may change.
    let reunited = app
        .patch(&path, &token, json!({"unit": "people"}))
        .await
        .expect(200);
    assert_eq!(reunited.body["unit"], "people");
    assert_eq!(reunited.body["label"], "Helpline calls answered");

    let read = app.get(&path, &token).await.expect(200);
    assert_eq!(read.body, reunited.body);

    for (body, field) in [
        (json!({"label": " "}), "label"),
        (json!({"unit": "kilograms"}), "unit"),
        (json!({"code": "renamed"}), "code"),
    ] {
        app.patch(&path, &token, body)
            .await
            .expect_problem(422, Some(field));
    }
    app.patch(
        "outcome-measures/01000000-0000-7000-8000-000000000000",
        &token,
        json!({"label": "x"}),
    )
    .await
    .expect_problem(404, None);
    let after = app.get(&path, &token).await.expect(200);
    assert_eq!(after.body, reunited.body, "refused changes changed nothing");
}

async fn a_measure_used_by_a_return_keeps_its_unit_and_cannot_be_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    let (people, money) = stream_measures(&app, &award.stream).await;
    app.post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);

    let path = format!("outcome-measures/{people}");
    let before = app.get(&path, &token).await.expect(200);
    let refused = app
        .patch(&path, &token, json!({"unit": "count"}))
        .await
        .expect_problem(409, None);
    assert_eq!(refused.body["type"], "/problems/measure-has-values");
    app.delete(&path, &token).await.expect_problem(409, None);
    let after = app.get(&path, &token).await.expect(200);
    assert_eq!(after.body, before.body, "still there, still people");

    // The label may still change, and naming the same unit is no change.
    let relabelled = app
        .patch(
            &path,
            &token,
            json!({"label": "Feel better able to cope", "unit": "people"}),
        )
        .await
        .expect(200);
    assert_eq!(relabelled.body["label"], "Feel better able to cope");
    assert_eq!(relabelled.body["unit"], "people");

    // The return's values read in the new label and the kept units.
    let returns = app.get("outcome-returns", &token).await.expect(200);
    let values = &returns.body["items"][0]["values"];
    assert_eq!(values[0]["label"], "Feel better able to cope");
    assert_eq!(values[0]["value"], 28);
    assert_eq!(values[1]["value"], "1250.50");
    app.delete(&format!("outcome-measures/{money}"), &token)
        .await
        .expect_problem(409, None);
    assert_eq!(list_total(&app, "outcome-measures", &token).await, 2);
}

async fn an_unused_measure_is_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    let (people, _money) = stream_measures(&app, &award.stream).await;
    let unused = create_measure(
        &app,
        json!({"contract_id": award.contract, "code": "sessions", "label": "Sessions", "unit": "count"}),
    )
    .await;
    let unused = unused["id"].as_str().unwrap().to_owned();
    // A return that gives no value for `sessions` does not use it.
    app.post(
        "outcome-returns",
        &token,
        json!({"contract_id": award.contract, "financial_year": "2022-23", "quarter": "Q1",
               "values": [{"code": "better_cope", "value": 3}]}),
    )
    .await
    .expect(201);

    let deleted = app
        .delete(&format!("outcome-measures/{unused}"), &token)
        .await
        .expect(204);
    assert_eq!(deleted.body, Value::Null);
    app.get(&format!("outcome-measures/{unused}"), &token)
        .await
        .expect_problem(404, None);
    app.delete(&format!("outcome-measures/{unused}"), &token)
        .await
        .expect_problem(404, None);
    let left = app.get("outcome-measures", &token).await.expect(200);
    assert_eq!(left.body["total"], 2);
    assert!(ids(&left).contains(&people));

    // Its code no longer applies to the contract.
    app.post(
        "outcome-returns",
        &token,
        json!({"contract_id": award.contract, "financial_year": "2022-23", "quarter": "Q2",
               "values": [{"code": "sessions", "value": 3}]}),
    )
    .await
    .expect_problem(422, Some("values[0].code"));
}

async fn bad_measure_input_is_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let contract = app.grant(&provider, &stream, "30000.00").await;
    create_measure(
        &app,
        json!({"funding_stream_id": stream, "code": "better_cope", "label": "Better able to cope", "unit": "people"}),
    )
    .await;

    let missing = "01000000-0000-7000-8000-000000000000";
    let refusals = [
        (
            json!({"funding_stream_id": stream, "contract_id": contract, "code": "x", "label": "X", "unit": "count"}),
            "funding_stream_id",
        ),
        (
            json!({"code": "x", "label": "X", "unit": "count"}),
            "funding_stream_id",
        ),
        (
            json!({"funding_stream_id": " ", "code": "x", "label": "X", "unit": "count"}),
            "funding_stream_id",
        ),
        (
            json!({"funding_stream_id": stream, "code": "better cope!", "label": "X", "unit": "count"}),
            "code",
        ),
        (
            json!({"funding_stream_id": stream, "code": "", "label": "X", "unit": "count"}),
            "code",
        ),
        (
            json!({"funding_stream_id": stream, "code": "x", "label": "", "unit": "count"}),
            "label",
        ),
        (
            json!({"funding_stream_id": stream, "code": "x", "label": "X", "unit": "kilograms"}),
            "unit",
        ),
        (
            json!({"funding_stream_id": stream, "code": "x", "label": "X"}),
            "unit",
        ),
        (
            json!({"funding_stream_id": stream, "code": "x", "label": "X", "unit": "count", "colour": "red"}),
            "colour",
        ),
        (
            json!({"funding_stream_id": missing, "code": "x", "label": "X", "unit": "count"}),
            "funding_stream_id",
        ),
        (
            json!({"contract_id": missing, "code": "x", "label": "X", "unit": "count"}),
            "contract_id",
        ),
    ];
    for (body, field) in refusals {
        let problem = app
            .post("outcome-measures", &token, body.clone())
            .await
            .expect_problem(422, Some(field));
        assert_eq!(problem.body["type"], "/problems/validation", "{body}");
    }
    app.send_raw("POST", "outcome-measures", &token, "text/plain", "code=x")
        .await
        .expect_problem(422, Some("body"));
    assert_eq!(
        list_total(&app, "outcome-measures", &token).await,
        1,
        "nothing was created"
    );
}

async fn a_duplicate_code_on_the_same_stream_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let other_stream = app.stream("OPCC", "2022-23", "100000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    let contract = app.grant(&provider, &other_stream, "30000.00").await;
    let first = create_measure(
        &app,
        json!({"funding_stream_id": stream, "code": "better_cope", "label": "Better able to cope", "unit": "people"}),
    )
    .await;

    let refused = app
        .post(
            "outcome-measures",
            &token,
            json!({"funding_stream_id": stream, "code": " better_cope ", "label": "Again", "unit": "count"}),
        )
        .await
        .expect_problem(409, None);
    assert_eq!(refused.body["type"], "/problems/duplicate-measure-code");
    let page = app
        .get(
            &format!("outcome-measures?funding_stream_id={stream}"),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(page.body["total"], 1);
    assert_eq!(page.body["items"][0], first, "the first is unchanged");

    // The same code is free on another stream and on a contract.
    create_measure(
        &app,
        json!({"funding_stream_id": other_stream, "code": "better_cope", "label": "Coping", "unit": "people"}),
    )
    .await;
    create_measure(
        &app,
        json!({"contract_id": contract, "code": "sessions", "label": "Sessions", "unit": "count"}),
    )
    .await;
    // ... but not twice on the same contract.
    app.post(
        "outcome-measures",
        &token,
        json!({"contract_id": contract, "code": "sessions", "label": "Sessions", "unit": "count"}),
    )
    .await
    .expect_problem(409, None);
    assert_eq!(list_total(&app, "outcome-measures", &token).await, 3);
}

// --- Outcome returns --------------------------------------------------------

async fn a_return_for_an_active_contract_reads_back_in_full(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    stream_measures(&app, &award.stream).await;

    let created = app
        .post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);
    let id = created.str("id");
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/outcome-returns/{id}").as_str())
    );
    let body = &created.body;
    assert_eq!(body["contract_id"], award.contract.as_str());
    assert_eq!(body["financial_year"], "2022-23");
    assert_eq!(body["quarter"], "Q2");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["referrals"], 40);
    assert_eq!(body["people_supported"], 28);
    assert_eq!(body["spend"], "1250.50");
    assert_eq!(body["narrative"], "Two new advocates started in August.");
    assert_eq!(
        body["values"],
        json!([
            {"code": "better_cope", "label": "Better able to cope", "unit": "people", "value": 28},
            {"code": "grant_spend", "label": "Grant spent", "unit": "money", "value": "1250.50"}
        ]),
        "values in code order, each in its unit"
    );
    assert_eq!(body["created_at"], body["updated_at"]);

    let read = app
        .get(&format!("outcome-returns/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(&read.body, body);

    // Figures left out are not reported (null, not zero), and values none.
    let bare = app
        .post(
            "outcome-returns",
            &token,
            json!({"contract_id": award.contract, "financial_year": "2022-23", "quarter": "Q4"}),
        )
        .await
        .expect(201);
    assert_eq!(bare.body["referrals"], Value::Null);
    assert_eq!(bare.body["people_supported"], Value::Null);
    assert_eq!(bare.body["spend"], "0.00");
    assert_eq!(bare.body["narrative"], Value::Null);
    assert_eq!(bare.body["values"], json!([]));
}

async fn a_contract_measure_applies_only_to_its_contract(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let mut contracts = Vec::new();
    for name in ["Rubicon Cares", "Dads Unlimited"] {
        let provider = app.provider(name).await;
        let contract = app.grant(&provider, &stream, "30000.00").await;
        app.activate(&contract).await.expect(200);
        contracts.push(contract);
    }
    create_measure(
        &app,
        json!({"contract_id": contracts[0], "code": "sessions", "label": "Sessions", "unit": "count"}),
    )
    .await;

    let with_sessions = |contract: &str| {
        json!({"contract_id": contract, "financial_year": "2022-23", "quarter": "Q1",
               "values": [{"code": "sessions", "value": 12}]})
    };
    app.post("outcome-returns", &token, with_sessions(&contracts[1]))
        .await
        .expect_problem(422, Some("values[0].code"));
    let own = app
        .post("outcome-returns", &token, with_sessions(&contracts[0]))
        .await
        .expect(201);
    assert_eq!(
        own.body["values"],
        json!([{"code": "sessions", "label": "Sessions", "unit": "count", "value": 12}])
    );
    assert_eq!(list_total(&app, "outcome-returns", &token).await, 1);
}

/// A contract adjusts what it inherits: its own measure replaces the stream's
/// measure with the same code for its returns, and only for its returns.
async fn a_contract_measure_replaces_the_streams_measure_of_the_same_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    stream_measures(&app, &award.stream).await;
    create_measure(
        &app,
        json!({"contract_id": award.contract, "code": "better_cope", "label": "Families coping better", "unit": "money"}),
    )
    .await;
    let body = |value: Value| {
        json!({"contract_id": award.contract, "financial_year": "2022-23", "quarter": "Q1",
               "values": [{"code": "better_cope", "value": value}]})
    };
    app.post("outcome-returns", &token, body(json!(5)))
        .await
        .expect_problem(422, Some("values[0].value"));
    let created = app
        .post("outcome-returns", &token, body(json!("5.00")))
        .await
        .expect(201);
    assert_eq!(
        created.body["values"],
        json!([{"code": "better_cope", "label": "Families coping better", "unit": "money", "value": "5.00"}])
    );
}

async fn returns_are_listed_by_contract_provider_year_and_quarter(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let first = active_award(&app, "VSS", "Rubicon Cares").await;
    let second = active_award(&app, "OPCC", "Dads Unlimited").await;
    let mut made = Vec::new();
    for (award, quarter) in [(&first, "Q1"), (&second, "Q1"), (&first, "Q2")] {
        let id = app
            .post(
                "outcome-returns",
                &token,
                json!({"contract_id": award.contract, "financial_year": "2022-23", "quarter": quarter}),
            )
            .await
            .expect(201)
            .str("id");
        made.push(id);
    }
    let (first_q1, second_q1, first_q2) = (&made[0], &made[1], &made[2]);

    let cases: Vec<(String, Vec<&String>)> = vec![
        (String::new(), vec![first_q1, second_q1, first_q2]),
        (
            format!("contract_id={}", first.contract),
            vec![first_q1, first_q2],
        ),
        (format!("provider_id={}", second.provider), vec![second_q1]),
        (
            "financial_year=2022-23".to_owned(),
            vec![first_q1, second_q1, first_q2],
        ),
        ("financial_year=2023-24".to_owned(), vec![]),
        (
            "from=2021-22&to=2022-23".to_owned(),
            vec![first_q1, second_q1, first_q2],
        ),
        ("from=2023-24&to=2024-25".to_owned(), vec![]),
        (
            "financial_year=2022-23&quarter=Q1".to_owned(),
            vec![first_q1, second_q1],
        ),
        ("financial_year=2022-23&quarter=Q3".to_owned(), vec![]),
        (
            format!(
                "contract_id={}&financial_year=2022-23&quarter=Q2",
                first.contract
            ),
            vec![first_q2],
        ),
        (
            format!(
                "provider_id={}&financial_year=2022-23&quarter=Q2",
                second.provider
            ),
            vec![],
        ),
        (
            "status=draft".to_owned(),
            vec![first_q1, second_q1, first_q2],
        ),
        ("status=accepted".to_owned(), vec![]),
    ];
    for (query, expected) in cases {
        let page = app
            .get(&format!("outcome-returns?{query}"), &token)
            .await
            .expect(200);
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(ids(&page), expected, "?{query}");
        assert_eq!(page.body["total"], expected.len(), "?{query}");
    }

    let paged = app
        .get("outcome-returns?limit=2&offset=2", &token)
        .await
        .expect(200);
    assert_eq!(paged.body["total"], 3);
    assert_eq!(ids(&paged), std::slice::from_ref(first_q2));

    for query in ["limit=0", "offset=-1"] {
        app.get(&format!("outcome-returns?{query}"), &token)
            .await
            .expect_problem(422, Some(query.split('=').next().unwrap()));
    }
    // Bad filter values are refused naming the parameter; a quarter is one
    // of a financial year.
    for (query, field) in [
        ("quarter=Q5", "quarter"),
        ("financial_year=2022-23&quarter=Q5", "quarter"),
        ("financial_year=2022/23", "financial_year"),
        ("status=lost", "status"),
        ("quarter=Q1", "quarter"),
        ("from=2022-23", "to"),
    ] {
        app.get(&format!("outcome-returns?{query}"), &token)
            .await
            .expect_problem(422, Some(field));
    }
}

async fn patching_a_return_changes_only_what_it_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    stream_measures(&app, &award.stream).await;
    let created = app
        .post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);
    let path = format!("outcome-returns/{}", created.str("id"));

    let patched = app
        .patch(
            &path,
            &token,
            json!({
                "spend": "1300.00",
                "narrative": "Revised after the August audit.",
                "values": [{"code": "better_cope", "value": 31}]
            }),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["spend"], "1300.00");
    assert_eq!(patched.body["narrative"], "Revised after the August audit.");
    assert_eq!(patched.body["values"][0]["code"], "better_cope");
    assert_eq!(patched.body["values"][0]["value"], 31);
    // What was not named keeps its value.
    assert_eq!(patched.body["values"][1]["code"], "grant_spend");
    assert_eq!(patched.body["values"][1]["value"], "1250.50");
    assert_eq!(patched.body["referrals"], 40);
    assert_eq!(patched.body["people_supported"], 28);
    assert_eq!(patched.body["status"], "draft");
    assert_eq!(patched.body["quarter"], "Q2");
    assert_eq!(patched.body["created_at"], created.body["created_at"]);

    let read = app.get(&path, &token).await.expect(200);
    assert_eq!(read.body, patched.body, "the change persisted");

    // An empty narrative clears it; the figures change on their own.
    let cleared = app
        .patch(
            &path,
            &token,
            json!({"narrative": "", "referrals": 0, "people_supported": 30}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["narrative"], Value::Null);
    assert_eq!(cleared.body["referrals"], 0);
    assert_eq!(cleared.body["people_supported"], 30);
    assert_eq!(cleared.body["spend"], "1300.00");
    assert_eq!(cleared.body["values"], read.body["values"]);
    let reread = app.get(&path, &token).await.expect(200);
    assert_eq!(reread.body, cleared.body);
}

async fn refused_return_patches_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    stream_measures(&app, &award.stream).await;
    let created = app
        .post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);
    let path = format!("outcome-returns/{}", created.str("id"));

    let refusals = [
        (
            json!({"spend": "99.00", "values": [{"code": "better_cope", "value": 5}, {"code": "made_up", "value": 1}]}),
            "values[1].code",
        ),
        (
            json!({"values": [{"code": "grant_spend", "value": 99}]}),
            "values[0].value",
        ),
        (
            json!({"values": [{"code": "better_cope", "value": 1}, {"code": "better_cope", "value": 2}]}),
            "values[1].code",
        ),
        (json!({"spend": "-1.00"}), "spend"),
        (json!({"spend": 12}), "spend"),
        (json!({"referrals": -1}), "referrals"),
        (json!({"quarter": "Q3"}), "quarter"),
    ];
    for (body, field) in refusals {
        app.patch(&path, &token, body)
            .await
            .expect_problem(422, Some(field));
    }
    let read = app.get(&path, &token).await.expect(200);
    assert_eq!(
        read.body, created.body,
        "no refused patch wrote anything, not even its good parts"
    );
    app.patch(
        "outcome-returns/01000000-0000-7000-8000-000000000000",
        &token,
        json!({"referrals": 1}),
    )
    .await
    .expect_problem(404, None);
}

async fn a_return_outside_the_contract_or_for_an_unusable_contract_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    let draft = app.grant(&award.provider, &award.stream, "1000.00").await;

    let for_quarter = |contract: &str, year: &str, quarter: &str| json!({"contract_id": contract, "financial_year": year, "quarter": quarter, "referrals": 5});
    let refusals = [
        // The grant runs 2022-04-01 to 2023-03-31.
        (for_quarter(&award.contract, "2023-24", "Q1"), "quarter"),
        (for_quarter(&award.contract, "2021-22", "Q4"), "quarter"),
        (for_quarter(&draft, "2022-23", "Q2"), "contract_id"),
        (
            for_quarter("01000000-0000-7000-8000-000000000000", "2022-23", "Q2"),
            "contract_id",
        ),
        (
            json!({"financial_year": "2022-23", "quarter": "Q2"}),
            "contract_id",
        ),
    ];
    for (body, field) in refusals {
        let problem = app
            .post("outcome-returns", &token, body.clone())
            .await
            .expect_problem(422, Some(field));
        assert_eq!(problem.body["type"], "/problems/validation", "{body}");
    }
    assert_eq!(
        list_total(&app, "outcome-returns", &token).await,
        0,
        "nothing was created"
    );

    // The first and last quarters of the period are fine.
    for (year, quarter) in [("2022-23", "Q1"), ("2022-23", "Q4")] {
        app.post(
            "outcome-returns",
            &token,
            for_quarter(&award.contract, year, quarter),
        )
        .await
        .expect(201);
    }
}

async fn bad_return_figures_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    stream_measures(&app, &award.stream).await;
    // A measure of another stream, which does not fund this contract.
    let elsewhere = app.stream("OPCC", "2022-23", "1000.00").await;
    create_measure(
        &app,
        json!({"funding_stream_id": elsewhere, "code": "helpline", "label": "Calls", "unit": "count"}),
    )
    .await;

    let with = |changes: Value| {
        let mut body = q2_return(&award.contract);
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let refusals = [
        (
            with(json!({"values": [{"code": "helpline", "value": 1}]})),
            "values[0].code",
        ),
        (
            with(json!({"values": [{"code": "made_up", "value": 1}]})),
            "values[0].code",
        ),
        (
            with(json!({"values": [{"code": "grant_spend", "value": 1250}]})),
            "values[0].value",
        ),
        (
            with(json!({"values": [{"code": "grant_spend", "value": "12.345"}]})),
            "values[0].value",
        ),
        (
            with(json!({"values": [{"code": "grant_spend", "value": "-1.00"}]})),
            "values[0].value",
        ),
        (
            with(json!({"values": [{"code": "better_cope", "value": "28"}]})),
            "values[0].value",
        ),
        (
            with(json!({"values": [{"code": "better_cope", "value": -1}]})),
            "values[0].value",
        ),
        (
            with(json!({"values": [{"code": "better_cope", "value": 2.5}]})),
            "values[0].value",
        ),
        (
            with(json!({"values": [{"code": "better_cope"}]})),
            "values[0].value",
        ),
        (
            with(
                json!({"values": [{"code": "better_cope", "value": 1}, {"code": "better_cope", "value": 2}]}),
            ),
            "values[1].code",
        ),
        (with(json!({"spend": 1250.5})), "spend"),
        (with(json!({"spend": "-5.00"})), "spend"),
        (with(json!({"spend": "12.345"})), "spend"),
        (with(json!({"referrals": -1})), "referrals"),
        (
            with(json!({"people_supported": "many"})),
            "people_supported",
        ),
        (with(json!({"quarter": "Q5"})), "quarter"),
        (with(json!({"quarter": "q2"})), "quarter"),
        (with(json!({"financial_year": "2022/23"})), "financial_year"),
        (with(json!({"financial_year": "2022-24"})), "financial_year"),
        (with(json!({"colour": "red"})), "colour"),
    ];
    for (body, field) in refusals {
        let problem = app
            .post("outcome-returns", &token, body.clone())
            .await
            .expect_problem(422, Some(field));
        assert_eq!(problem.body["type"], "/problems/validation", "{body}");
    }
    assert_eq!(
        list_total(&app, "outcome-returns", &token).await,
        0,
        "nothing was created"
    );
    // No refused return left a value behind: the measures may still change unit.
    let measures = app
        .get(
            &format!("outcome-measures?funding_stream_id={}", award.stream),
            &token,
        )
        .await
        .expect(200);
    for measure in measures.get("items").as_array().unwrap() {
        app.patch(
            &format!("outcome-measures/{}", measure["id"].as_str().unwrap()),
            &token,
            json!({"unit": "count"}),
        )
        .await
        .expect(200);
    }
}

async fn a_second_return_for_the_same_quarter_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    stream_measures(&app, &award.stream).await;
    let first = app
        .post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);

    let mut again = q2_return(&award.contract);
    again["referrals"] = json!(1);
    again["values"] = json!([{"code": "better_cope", "value": 1}]);
    let refused = app
        .post("outcome-returns", &token, again)
        .await
        .expect_problem(409, None);
    assert_eq!(refused.body["type"], "/problems/duplicate-return");

    let page = app.get("outcome-returns", &token).await.expect(200);
    assert_eq!(page.body["total"], 1);
    assert_eq!(page.body["items"][0], first.body, "the first is untouched");
}

// --- Who may do what --------------------------------------------------------

async fn finance_reads_outcomes_but_cannot_write_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let finance = app.finance();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    let (people, _) = stream_measures(&app, &award.stream).await;
    let created = app
        .post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);
    let path = format!("outcome-returns/{}", created.str("id"));

    let read = app.get(&path, &finance).await.expect(200);
    assert_eq!(read.body, created.body);
    assert_eq!(list_total(&app, "outcome-returns", &finance).await, 1);
    assert_eq!(list_total(&app, "outcome-measures", &finance).await, 2);
    app.get(&format!("outcome-measures/{people}"), &finance)
        .await
        .expect(200);

    let mut q3 = q2_return(&award.contract);
    q3["quarter"] = json!("Q3");
    let forbidden = app
        .post("outcome-returns", &finance, q3)
        .await
        .expect_problem(403, None);
    assert_eq!(forbidden.body["type"], "/problems/forbidden");
    app.patch(&path, &finance, json!({"referrals": 1}))
        .await
        .expect_problem(403, None);
    app.post(
        "outcome-measures",
        &finance,
        json!({"funding_stream_id": award.stream, "code": "x", "label": "X", "unit": "count"}),
    )
    .await
    .expect_problem(403, None);
    app.patch(
        &format!("outcome-measures/{people}"),
        &finance,
        json!({"label": "X"}),
    )
    .await
    .expect_problem(403, None);
    app.delete(&format!("outcome-measures/{people}"), &finance)
        .await
        .expect_problem(403, None);

    assert_eq!(list_total(&app, "outcome-returns", &token).await, 1);
    assert_eq!(list_total(&app, "outcome-measures", &token).await, 2);
    let after = app.get(&path, &token).await.expect(200);
    assert_eq!(after.body, created.body);
}

async fn outcomes_need_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    let body = json!({"contract_id": award.contract, "financial_year": "2022-23", "quarter": "Q1"});
    for (method, path, body) in [
        ("GET", "outcome-returns", None),
        ("POST", "outcome-returns", Some(&body)),
        ("GET", "outcome-measures", None),
    ] {
        app.send(method, path, None, body)
            .await
            .expect_problem(401, None);
        app.send(method, path, Some("not-a-token"), body)
            .await
            .expect_problem(401, None);
    }
    assert_eq!(
        list_total(&app, "outcome-returns", &app.commissioner()).await,
        0
    );
}

async fn a_provider_writes_and_sees_only_its_own_returns(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let own = active_award(&app, "VSS", "Rubicon Cares").await;
    let other = active_award(&app, "OPCC", "Dads Unlimited").await;
    stream_measures(&app, &own.stream).await;
    let theirs = app
        .post(
            "outcome-returns",
            &token,
            json!({"contract_id": other.contract, "financial_year": "2022-23", "quarter": "Q2", "referrals": 9}),
        )
        .await
        .expect(201);
    let theirs_path = format!("outcome-returns/{}", theirs.str("id"));
    let provider = app.provider_token(&own.provider);

    let created = app
        .post("outcome-returns", &provider, q2_return(&own.contract))
        .await
        .expect(201);
    let path = format!("outcome-returns/{}", created.str("id"));
    assert_eq!(created.body["status"], "draft");
    let updated = app
        .patch(
            &path,
            &provider,
            json!({"referrals": 41, "values": [{"code": "grant_spend", "value": "1300.00"}]}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["referrals"], 41);
    assert_eq!(updated.body["values"][1]["value"], "1300.00");
    let by_commissioner = app.get(&path, &token).await.expect(200);
    assert_eq!(
        by_commissioner.body, updated.body,
        "the provider's edit persisted"
    );

    let page = app.get("outcome-returns", &provider).await.expect(200);
    assert_eq!(page.body["total"], 1);
    assert_eq!(ids(&page), [created.str("id")]);
    let filtered = app
        .get(
            &format!("outcome-returns?contract_id={}", other.contract),
            &provider,
        )
        .await
        .expect(200);
    assert_eq!(
        filtered.body["total"], 0,
        "a filter cannot reach past the scope"
    );
    assert_eq!(list_total(&app, "outcome-returns", &token).await, 2);

    // The other provider's return and contract are out of reach.
    app.get(&theirs_path, &provider)
        .await
        .expect_problem(404, None);
    app.patch(&theirs_path, &provider, json!({"referrals": 0}))
        .await
        .expect_problem(404, None);
    app.post(
        "outcome-returns",
        &provider,
        json!({"contract_id": other.contract, "financial_year": "2022-23", "quarter": "Q3"}),
    )
    .await
    .expect_problem(422, Some("contract_id"));
    let untouched = app.get(&theirs_path, &token).await.expect(200);
    assert_eq!(untouched.body, theirs.body);
    assert_eq!(list_total(&app, "outcome-returns", &token).await, 2);
}

async fn a_provider_reads_only_its_own_measures_and_cannot_define_any(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let own = active_award(&app, "VSS", "Rubicon Cares").await;
    let other = active_award(&app, "OPCC", "Dads Unlimited").await;
    let (own_people, own_money) = stream_measures(&app, &own.stream).await;
    let own_contract_measure = create_measure(
        &app,
        json!({"contract_id": own.contract, "code": "sessions", "label": "Sessions", "unit": "count"}),
    )
    .await;
    let other_measure = create_measure(
        &app,
        json!({"funding_stream_id": other.stream, "code": "helpline", "label": "Calls", "unit": "count"}),
    )
    .await;
    let other_contract_measure = create_measure(
        &app,
        json!({"contract_id": other.contract, "code": "visits", "label": "Visits", "unit": "count"}),
    )
    .await;
    let provider = app.provider_token(&own.provider);

    let page = app.get("outcome-measures", &provider).await.expect(200);
    assert_eq!(page.body["total"], 3);
    assert_eq!(
        ids(&page),
        [
            own_people.clone(),
            own_money,
            own_contract_measure["id"].as_str().unwrap().to_owned()
        ]
    );
    app.get(&format!("outcome-measures/{own_people}"), &provider)
        .await
        .expect(200);
    for hidden in [&other_measure, &other_contract_measure] {
        app.get(
            &format!("outcome-measures/{}", hidden["id"].as_str().unwrap()),
            &provider,
        )
        .await
        .expect_problem(404, None);
    }

    let forbidden = app
        .post(
            "outcome-measures",
            &provider,
            json!({"contract_id": own.contract, "code": "mine", "label": "Mine", "unit": "count"}),
        )
        .await
        .expect_problem(403, None);
    assert_eq!(forbidden.body["type"], "/problems/forbidden");
    app.patch(
        &format!("outcome-measures/{own_people}"),
        &provider,
        json!({"label": "Renamed"}),
    )
    .await
    .expect_problem(403, None);
    app.delete(&format!("outcome-measures/{own_people}"), &provider)
        .await
        .expect_problem(403, None);
    assert_eq!(list_total(&app, "outcome-measures", &token).await, 5);
    let kept = app
        .get(&format!("outcome-measures/{own_people}"), &token)
        .await
        .expect(200);
    assert_eq!(kept.body["label"], "Better able to cope");
}

async fn another_organisation_cannot_see_or_use_these_outcomes(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let award = active_award(&app, "VSS", "Rubicon Cares").await;
    let (people, _) = stream_measures(&app, &award.stream).await;
    let created = app
        .post("outcome-returns", &token, q2_return(&award.contract))
        .await
        .expect(201);
    let path = format!("outcome-returns/{}", created.str("id"));
    let other_org = crate::helpers::create_organisation(&app.database_url, "Other");
    let outsider = app.token_for(&other_org, Role::Commissioner);

    app.get(&path, &outsider).await.expect_problem(404, None);
    app.patch(&path, &outsider, json!({"referrals": 0}))
        .await
        .expect_problem(404, None);
    assert_eq!(list_total(&app, "outcome-returns", &outsider).await, 0);
    assert_eq!(list_total(&app, "outcome-measures", &outsider).await, 0);
    app.get(&format!("outcome-measures/{people}"), &outsider)
        .await
        .expect_problem(404, None);
    app.delete(&format!("outcome-measures/{people}"), &outsider)
        .await
        .expect_problem(404, None);

    // This organisation's stream and contract do not exist for the outsider.
    app.post(
        "outcome-measures",
        &outsider,
        json!({"funding_stream_id": award.stream, "code": "x", "label": "X", "unit": "count"}),
    )
    .await
    .expect_problem(422, Some("funding_stream_id"));
    app.post(
        "outcome-measures",
        &outsider,
        json!({"contract_id": award.contract, "code": "x", "label": "X", "unit": "count"}),
    )
    .await
    .expect_problem(422, Some("contract_id"));
    let mut q3 = q2_return(&award.contract);
    q3["quarter"] = json!("Q3");
    app.post("outcome-returns", &outsider, q3)
        .await
        .expect_problem(422, Some("contract_id"));

    assert_eq!(list_total(&app, "outcome-returns", &token).await, 1);
    assert_eq!(list_total(&app, "outcome-measures", &token).await, 2);
    let read = app.get(&path, &token).await.expect(200);
    assert_eq!(read.body, created.body);
}

crate::on_both_backends!(
    a_contract_measure_replaces_the_streams_measure_of_the_same_code,
    measures_are_defined_for_a_stream_or_for_one_contract,
    a_measure_label_and_unused_unit_can_change,
    a_measure_used_by_a_return_keeps_its_unit_and_cannot_be_deleted,
    an_unused_measure_is_deleted,
    bad_measure_input_is_refused_naming_the_field,
    a_duplicate_code_on_the_same_stream_is_a_conflict,
    a_return_for_an_active_contract_reads_back_in_full,
    a_contract_measure_applies_only_to_its_contract,
    returns_are_listed_by_contract_provider_year_and_quarter,
    patching_a_return_changes_only_what_it_names,
    refused_return_patches_change_nothing,
    a_return_outside_the_contract_or_for_an_unusable_contract_is_refused,
    bad_return_figures_are_refused_naming_the_field,
    a_second_return_for_the_same_quarter_is_a_conflict,
    finance_reads_outcomes_but_cannot_write_them,
    outcomes_need_a_valid_token,
    a_provider_writes_and_sees_only_its_own_returns,
    a_provider_reads_only_its_own_measures_and_cannot_define_any,
    another_organisation_cannot_see_or_use_these_outcomes,
);
