use serde_json::json;

use crate::helpers::{spawn_app, Backend};

async fn a_stream_is_created_read_listed_and_updated(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let created = app
        .post(
            "funding-streams",
            &token,
            json!({
                "code": "MOJ-WIJ",
                "name": "Women in Justice",
                "funder": "Ministry of Justice",
                "ringfenced": true,
                "description": "Known one year at a time",
                "budgets": [
                    {"financial_year": "2022-23", "amount": "27164.00", "status": "confirmed"},
                    {"financial_year": "2023-24", "amount": "90895.00", "status": "indicative"}
                ]
            }),
        )
        .await
        .expect(201);
    let id = created.str("id");
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/funding-streams/{id}").as_str())
    );

    let read = app
        .get(&format!("funding-streams/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["code"], "MOJ-WIJ");
    assert_eq!(read.body["ringfenced"], true);
    assert_eq!(read.body["description"], "Known one year at a time");
    let budgets = read.get("budgets").as_array().expect("budgets").clone();
    assert_eq!(budgets.len(), 2);
    assert_eq!(budgets[0]["financial_year"], "2022-23");
    assert_eq!(budgets[0]["status"], "confirmed");
    assert_eq!(budgets[0]["budget"], "27164.00");
    assert_eq!(budgets[0]["committed"], "0.00");
    assert_eq!(budgets[0]["uncommitted"], "27164.00");
    assert_eq!(budgets[1]["status"], "indicative");

    // The funder confirms 2023-24 and adds 2024-25.
    app.put(
        &format!("funding-streams/{id}/budgets/2023-24"),
        &token,
        json!({"amount": "90895.00", "status": "confirmed"}),
    )
    .await
    .expect(200);
    let after = app
        .put(
            &format!("funding-streams/{id}/budgets/2024-25"),
            &token,
            json!({"amount": "90895.00", "status": "indicative"}),
        )
        .await
        .expect(200);
    let years: Vec<(&str, &str)> = after
        .get("budgets")
        .as_array()
        .expect("budgets")
        .iter()
        .map(|b| {
            (
                b["financial_year"].as_str().unwrap_or(""),
                b["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        years,
        [
            ("2022-23", "confirmed"),
            ("2023-24", "confirmed"),
            ("2024-25", "indicative")
        ]
    );

    let updated = app
        .patch(
            &format!("funding-streams/{id}"),
            &token,
            json!({"name": "Women in Justice (MoJ)", "ringfenced": false}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["name"], "Women in Justice (MoJ)");
    assert_eq!(updated.body["ringfenced"], false);
    assert_eq!(updated.body["code"], "MOJ-WIJ");

    app.delete(&format!("funding-streams/{id}/budgets/2024-25"), &token)
        .await
        .expect(200);
    let read = app
        .get(&format!("funding-streams/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.get("budgets").as_array().map(Vec::len), Some(2));
}

async fn streams_list_in_creation_order_with_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    for (code, funder, ringfenced) in [
        ("A", "Ministry of Justice", true),
        ("B", "Home Office", false),
        ("C", "Ministry of Justice", false),
    ] {
        app.post(
            "funding-streams",
            &token,
            json!({"code": code, "name": code, "funder": funder, "ringfenced": ringfenced}),
        )
        .await
        .expect(201);
    }
    let all = app.get("funding-streams", &token).await.expect(200);
    assert_eq!(all.body["total"], 3);
    let codes: Vec<&str> = all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["A", "B", "C"]);

    let page = app
        .get("funding-streams?limit=1&offset=1", &token)
        .await
        .expect(200);
    assert_eq!(page.body["total"], 3);
    assert_eq!(page.body["limit"], 1);
    assert_eq!(page.body["offset"], 1);
    assert_eq!(page.body["items"][0]["code"], "B");

    let moj = app
        .get("funding-streams?funder=Ministry%20of%20Justice", &token)
        .await
        .expect(200);
    assert_eq!(moj.body["total"], 2);
    let ringfenced = app
        .get("funding-streams?ringfenced=true", &token)
        .await
        .expect(200);
    assert_eq!(ringfenced.body["total"], 1);
    assert_eq!(ringfenced.body["items"][0]["code"], "A");
    let by_code = app.get("funding-streams?code=C", &token).await.expect(200);
    assert_eq!(by_code.body["items"][0]["code"], "C");

    app.get("funding-streams?limit=0", &token)
        .await
        .expect_problem(422, Some("limit"));
    app.get("funding-streams?limit=1000", &token)
        .await
        .expect_problem(422, Some("limit"));
    app.get("funding-streams?offset=-1", &token)
        .await
        .expect_problem(422, Some("offset"));
    app.get("funding-streams?ringfenced=maybe", &token)
        .await
        .expect_problem(422, None);
}

async fn bad_money_and_years_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let with_budget = |amount: serde_json::Value, year: &str| {
        json!({
            "code": "X", "name": "X", "funder": "F",
            "budgets": [{"financial_year": year, "amount": amount, "status": "confirmed"}]
        })
    };
    for amount in [
        json!("1.234"),
        json!("1e5"),
        json!("NaN"),
        json!("Infinity"),
        json!("1,000.00"),
        json!(" 5.00"),
        json!("+5.00"),
        json!(""),
        json!("1000000000000.00"),
        json!(5),
        json!(664540.39),
        json!(null),
    ] {
        app.post(
            "funding-streams",
            &token,
            with_budget(amount.clone(), "2022-23"),
        )
        .await
        .expect_problem(422, Some("budgets[0].amount"));
    }
    app.post(
        "funding-streams",
        &token,
        with_budget(json!("-1.00"), "2022-23"),
    )
    .await
    .expect_problem(422, Some("budgets[0].amount"));
    for year in ["2022-24", "2022/23", "22-23", "2022-2023", "Q1"] {
        app.post("funding-streams", &token, with_budget(json!("1.00"), year))
            .await
            .expect_problem(422, Some("budgets[0].financial_year"));
    }
    app.post(
        "funding-streams",
        &token,
        json!({"code": "X", "name": "X", "funder": "F", "colour": "red"}),
    )
    .await
    .expect_problem(422, Some("colour"));
    app.post(
        "funding-streams",
        &token,
        json!({"code": "has space", "name": "X", "funder": "F"}),
    )
    .await
    .expect_problem(422, Some("code"));
    app.post(
        "funding-streams",
        &token,
        json!({"code": "X", "name": " ", "funder": "F"}),
    )
    .await
    .expect_problem(422, Some("name"));
    app.post("funding-streams", &token, json!({"code": "X", "name": "X"}))
        .await
        .expect_problem(422, Some("funder"));
    app.send_raw(
        "POST",
        "funding-streams",
        &token,
        "application/json",
        "{\"code\": ",
    )
    .await
    .expect_problem(422, None);
    app.send_raw("POST", "funding-streams", &token, "text/plain", "{}")
        .await
        .expect_problem(422, Some("body"));
    // (An id that cannot be one of ours is a 404 before the year is read.)
    app.put(
        "funding-streams/0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f/budgets/2022-2023",
        &token,
        json!({"amount": "1.00", "status": "confirmed"}),
    )
    .await
    .expect_problem(422, Some("financial_year"));

    // Nothing was written by any refusal.
    let list = app.get("funding-streams", &token).await.expect(200);
    assert_eq!(list.body["total"], 0);

    // The largest single amount is accepted exactly.
    let big = app
        .post(
            "funding-streams",
            &token,
            with_budget(json!("999999999999.99"), "2022-23"),
        )
        .await
        .expect(201);
    assert_eq!(big.body["budgets"][0]["budget"], "999999999999.99");
    app.post(
        "funding-streams",
        &token,
        with_budget(json!("1.00"), "2022-23"),
    )
    .await
    .expect_problem(409, None);
}

async fn budgets_cannot_drop_below_what_is_committed(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let provider = app.provider("Dandelion Time").await;
    let grant = app.grant(&provider, &stream, "600.00").await;
    app.activate(&grant).await.expect(200);

    app.put(
        &format!("funding-streams/{stream}/budgets/2022-23"),
        &token,
        json!({"amount": "599.99", "status": "confirmed"}),
    )
    .await
    .expect_problem(409, None);
    app.delete(&format!("funding-streams/{stream}/budgets/2022-23"), &token)
        .await
        .expect_problem(409, None);
    // A funder's cut is recorded when the commissioner says so; the stream
    // is then over-committed and takes no new award.
    let cut = app
        .put(
            &format!("funding-streams/{stream}/budgets/2022-23"),
            &token,
            json!({"amount": "599.99", "status": "confirmed", "accept_over_commitment": true}),
        )
        .await
        .expect(200);
    assert_eq!(cut.body["budgets"][0]["budget"], "599.99");
    assert_eq!(cut.body["budgets"][0]["uncommitted"], "-0.01");
    let another = app.provider("Rubicon Cares").await;
    let refused = app.grant(&another, &stream, "0.01").await;
    app.activate(&refused).await.expect_problem(409, None);
    let lowered = app
        .put(
            &format!("funding-streams/{stream}/budgets/2022-23"),
            &token,
            json!({"amount": "600.00", "status": "confirmed"}),
        )
        .await
        .expect(200);
    assert_eq!(lowered.body["budgets"][0]["uncommitted"], "0.00");

    // A stream that funds a contract cannot be deleted; an unused one can.
    app.delete(&format!("funding-streams/{stream}"), &token)
        .await
        .expect_problem(409, None);
    let unused = app.stream("UNUSED", "2022-23", "1.00").await;
    app.delete(&format!("funding-streams/{unused}"), &token)
        .await
        .expect(204);
    app.get(&format!("funding-streams/{unused}"), &token)
        .await
        .expect_problem(404, None);
}

crate::on_both_backends!(
    a_stream_is_created_read_listed_and_updated,
    streams_list_in_creation_order_with_filters_and_pages,
    bad_money_and_years_are_refused_naming_the_field,
    budgets_cannot_drop_below_what_is_committed,
);
