//! Providers: the charities, companies and public bodies contracts are awarded to.

use commissioning::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

/// The providers a list query returns, as (total, names in order).
async fn listed(app: &TestApp, query: &str, token: &str) -> (i64, Vec<String>) {
    let path = if query.is_empty() {
        "providers".to_owned()
    } else {
        format!("providers?{query}")
    };
    let page = app.get(&path, token).await.expect(200);
    let names = page
        .get("items")
        .as_array()
        .unwrap_or_else(|| panic!("items is not a list: {}", page.body))
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_owned())
        .collect();
    (page.get("total").as_i64().expect("a total"), names)
}

async fn provider_count(app: &TestApp) -> i64 {
    listed(app, "", &app.commissioner()).await.0
}

async fn create_provider(app: &TestApp, body: Value) -> Value {
    app.post("providers", &app.commissioner(), body)
        .await
        .expect(201)
        .body
}

async fn a_new_provider_is_returned_with_its_location_and_org_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .post(
            "providers",
            &app.commissioner(),
            json!({
                "name": "  Rubicon Cares ",
                "kind": "charity",
                "charity_number": "1012345",
                "company_number": "sc123456",
                "contact_name": "Sam Patel",
                "contact_email": "sam@rubicon.example.org"
            }),
        )
        .await
        .expect(201);
    let id = created.str("id");
    assert_eq!(
        created.location.as_deref(),
        Some(format!("/api/v1/providers/{id}").as_str())
    );
    assert_eq!(created.content_type, "application/json");
    let body = &created.body;
    assert_eq!(body["name"], "Rubicon Cares", "the name is trimmed");
    assert_eq!(body["kind"], "charity");
    assert_eq!(body["charity_number"], "1012345");
    assert_eq!(
        body["company_number"], "SC123456",
        "normalised to upper case"
    );
    assert_eq!(
        body["org_ids"],
        json!(["GB-CHC-1012345", "GB-COH-SC123456"])
    );
    assert_eq!(body["contact_name"], "Sam Patel");
    assert_eq!(body["contact_email"], "sam@rubicon.example.org");
    assert!(body["created_at"].is_string());
    assert_eq!(body["created_at"], body["updated_at"]);

    // It reads back exactly as created, by commissioner and finance alike.
    let read = app
        .get(&format!("providers/{id}"), &app.commissioner())
        .await
        .expect(200);
    assert_eq!(read.body, created.body);
    let by_finance = app
        .get(&format!("providers/{id}"), &app.finance())
        .await
        .expect(200);
    assert_eq!(by_finance.body, created.body);
}

async fn registered_numbers_are_normalised_into_org_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let scottish = create_provider(
        &app,
        json!({"name": "Scottish charity", "kind": "charity", "charity_number": " sc 012345 "}),
    )
    .await;
    assert_eq!(scottish["charity_number"], "SC012345");
    assert_eq!(scottish["company_number"], Value::Null);
    assert_eq!(scottish["org_ids"], json!(["GB-SC-SC012345"]));

    let northern_irish = create_provider(
        &app,
        json!({"name": "NI charity", "kind": "charity", "charity_number": "nic100001"}),
    )
    .await;
    assert_eq!(northern_irish["charity_number"], "NIC100001");
    assert_eq!(northern_irish["org_ids"], json!(["GB-NIC-100001"]));

    let company = create_provider(
        &app,
        json!({"name": "Kent Housing Ltd", "kind": "company", "company_number": "01234567"}),
    )
    .await;
    assert_eq!(company["org_ids"], json!(["GB-COH-01234567"]));

    let council = create_provider(
        &app,
        json!({"name": "Kent County Council", "kind": "local_authority"}),
    )
    .await;
    assert_eq!(council["org_ids"], json!([]));
    assert_eq!(council["charity_number"], Value::Null);
    assert_eq!(council["contact_name"], Value::Null);
    assert_eq!(council["contact_email"], Value::Null);
}

async fn providers_are_listed_in_creation_order_a_page_at_a_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let names = ["Echo", "Delta", "Alpha", "Charlie", "Bravo"];
    for name in names {
        app.provider(name).await;
    }

    let first = app.get("providers?limit=2", &token).await.expect(200);
    assert_eq!(first.body["total"], 5);
    assert_eq!(first.body["limit"], 2);
    assert_eq!(first.body["offset"], 0);
    let mut seen: Vec<String> = Vec::new();
    for offset in [0, 2, 4] {
        let page = app
            .get(&format!("providers?limit=2&offset={offset}"), &token)
            .await
            .expect(200);
        assert_eq!(page.body["total"], 5, "the total counts every page");
        assert_eq!(page.body["offset"], offset);
        let items = page.get("items").as_array().expect("items");
        assert_eq!(items.len(), if offset == 4 { 1 } else { 2 });
        seen.extend(items.iter().map(|p| p["name"].as_str().unwrap().to_owned()));
    }
    assert_eq!(seen, names, "creation order, not alphabetical");

    // Without paging parameters: everything, default limit 50.
    let all = app.get("providers", &token).await.expect(200);
    assert_eq!(all.body["limit"], 50);
    assert_eq!(all.body["offset"], 0);
    assert_eq!(all.get("items").as_array().unwrap().len(), 5);

    // Past the end: no items, same total.
    let beyond = app
        .get("providers?limit=2&offset=10", &token)
        .await
        .expect(200);
    assert_eq!(beyond.body["total"], 5);
    assert_eq!(beyond.body["items"], json!([]));
}

async fn providers_are_filtered_by_kind_name_and_registered_number(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    create_provider(
        &app,
        json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1012345"}),
    )
    .await;
    create_provider(
        &app,
        json!({"name": "Kent County Council", "kind": "local_authority"}),
    )
    .await;
    create_provider(
        &app,
        json!({"name": "Dads Unlimited", "kind": "charity", "charity_number": "SC012345"}),
    )
    .await;
    create_provider(
        &app,
        json!({"name": "Rubicon Housing Ltd", "kind": "company", "company_number": "01234567"}),
    )
    .await;

    // Names match ignoring case, alike on both backends.
    let cases: [(&str, &[&str]); 10] = [
        ("kind=charity", &["Rubicon Cares", "Dads Unlimited"]),
        ("kind=local_authority", &["Kent County Council"]),
        ("kind=nhs_body", &[]),
        ("name=rubicon", &["Rubicon Cares", "Rubicon Housing Ltd"]),
        ("name=s%20Unl", &["Dads Unlimited"]),
        ("kind=company&name=Rubicon", &["Rubicon Housing Ltd"]),
        ("charity_number=1012345", &["Rubicon Cares"]),
        ("charity_number=sc012345", &["Dads Unlimited"]),
        ("company_number=01234567", &["Rubicon Housing Ltd"]),
        // `%` and `_` are matched literally, not as wildcards.
        ("name=%25", &[]),
    ];
    for (query, expected) in cases {
        let (total, names) = listed(&app, query, &token).await;
        assert_eq!(names, expected, "?{query}");
        assert_eq!(total, expected.len() as i64, "?{query}");
    }
    let (total, names) = listed(&app, "name=_", &token).await;
    assert_eq!((total, names.len()), (0, 0), "?name=_ is literal");
    let (total, _) = listed(&app, "name=Nobody", &token).await;
    assert_eq!(total, 0);
}

async fn patching_a_provider_changes_only_the_fields_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let created = create_provider(
        &app,
        json!({
            "name": "Choices Support",
            "kind": "charity",
            "charity_number": "1012345",
            "company_number": "01234567",
            "contact_name": "Ann Lee",
            "contact_email": "ann@choices.example.org"
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let patched = app
        .patch(
            &format!("providers/{id}"),
            &token,
            json!({"name": "Choices Domestic Abuse Service", "kind": "other", "contact_email": "team@choices.example.org"}),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["name"], "Choices Domestic Abuse Service");
    assert_eq!(patched.body["kind"], "other");
    assert_eq!(patched.body["contact_email"], "team@choices.example.org");
    // Fields not named keep their values.
    assert_eq!(patched.body["charity_number"], "1012345");
    assert_eq!(patched.body["company_number"], "01234567");
    assert_eq!(patched.body["contact_name"], "Ann Lee");
    assert_eq!(patched.body["created_at"], created["created_at"]);
    let created_at = chrono::DateTime::parse_from_rfc3339(created["created_at"].as_str().unwrap())
        .expect("a timestamp");
    let updated_at = chrono::DateTime::parse_from_rfc3339(patched.str("updated_at").as_str())
        .expect("a timestamp");
    assert!(updated_at >= created_at);

    let read = app
        .get(&format!("providers/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body, patched.body, "the change persisted");
}

async fn an_empty_string_clears_an_optional_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let created = create_provider(
        &app,
        json!({
            "name": "Dandelion Time",
            "kind": "charity",
            "charity_number": "1012345",
            "company_number": "01234567",
            "contact_name": "Jo Smith",
            "contact_email": "jo@dandelion.example.org"
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let cleared = app
        .patch(
            &format!("providers/{id}"),
            &token,
            json!({"company_number": "", "contact_name": "", "contact_email": " "}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["company_number"], Value::Null);
    assert_eq!(cleared.body["contact_name"], Value::Null);
    assert_eq!(cleared.body["contact_email"], Value::Null);
    assert_eq!(cleared.body["org_ids"], json!(["GB-CHC-1012345"]));
    assert_eq!(cleared.body["charity_number"], "1012345");
    assert_eq!(cleared.body["name"], "Dandelion Time");

    let read = app
        .get(&format!("providers/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body, cleared.body);

    // The cleared company number is free for another provider.
    create_provider(
        &app,
        json!({"name": "Other Ltd", "kind": "company", "company_number": "01234567"}),
    )
    .await;
}

async fn refused_patches_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    create_provider(
        &app,
        json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1012345"}),
    )
    .await;
    let other = create_provider(
        &app,
        json!({"name": "East Kent Rape Crisis Centre", "kind": "charity", "charity_number": "1099999", "contact_email": "hello@ekrcc.example.org"}),
    )
    .await;
    let id = other["id"].as_str().unwrap().to_owned();
    let path = format!("providers/{id}");

    let refusals = [
        (json!({"name": ""}), "name"),
        (json!({"kind": "bank"}), "kind"),
        (json!({"charity_number": "12"}), "charity_number"),
        (json!({"company_number": "ABC"}), "company_number"),
        (json!({"contact_email": "not-an-email"}), "contact_email"),
        (json!({"colour": "red"}), "colour"),
        (json!({"name": 7}), "name"),
    ];
    for (body, field) in refusals {
        app.patch(&path, &token, body)
            .await
            .expect_problem(422, Some(field));
    }
    // Another provider's charity number is taken.
    let taken = app
        .patch(&path, &token, json!({"charity_number": "1012345"}))
        .await
        .expect_problem(409, None);
    assert_eq!(taken.body["type"], "/problems/duplicate-charity-number");

    let read = app.get(&path, &token).await.expect(200);
    assert_eq!(read.body, other, "every refused patch left it as it was");

    app.patch(
        "providers/01000000-0000-7000-8000-000000000000",
        &token,
        json!({"name": "Nobody"}),
    )
    .await
    .expect_problem(404, None);
}

async fn a_deleted_provider_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let keep = app.provider("Keep").await;
    let id = app.provider("Delete me").await;

    let deleted = app
        .delete(&format!("providers/{id}"), &token)
        .await
        .expect(204);
    assert_eq!(deleted.body, Value::Null, "204 has no body");

    let missing = app
        .get(&format!("providers/{id}"), &token)
        .await
        .expect_problem(404, None);
    assert_eq!(missing.body["type"], "/problems/not-found");
    app.delete(&format!("providers/{id}"), &token)
        .await
        .expect_problem(404, None);
    let (total, names) = listed(&app, "", &token).await;
    assert_eq!((total, names), (1, vec!["Keep".to_owned()]));
    app.get(&format!("providers/{keep}"), &token)
        .await
        .expect(200);
}

async fn a_provider_holding_a_contract_cannot_be_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let stream = app.stream("VSS", "2022-23", "100000.00").await;
    let provider = app.provider("Rubicon Cares").await;
    app.grant(&provider, &stream, "30000.00").await;

    let refused = app
        .delete(&format!("providers/{provider}"), &token)
        .await
        .expect_problem(409, None);
    assert_eq!(refused.body["type"], "/problems/provider-has-contracts");
    let read = app
        .get(&format!("providers/{provider}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["name"], "Rubicon Cares");
    assert_eq!(provider_count(&app).await, 1);
}

async fn bad_provider_input_is_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    app.provider("Already here").await;

    let refusals = [
        (json!({"name": "   ", "kind": "charity"}), "name"),
        (json!({"name": "A", "kind": "bank"}), "kind"),
        (
            json!({"name": "A", "kind": "charity", "charity_number": "12"}),
            "charity_number",
        ),
        (
            json!({"name": "A", "kind": "charity", "charity_number": "SC12345"}),
            "charity_number",
        ),
        (
            json!({"name": "A", "kind": "company", "company_number": "ABC"}),
            "company_number",
        ),
        (
            json!({"name": "A", "kind": "company", "company_number": "1234567X"}),
            "company_number",
        ),
        (
            json!({"name": "A", "kind": "charity", "contact_email": "nobody"}),
            "contact_email",
        ),
        (
            json!({"name": "A", "kind": "charity", "contact_email": "a@localhost"}),
            "contact_email",
        ),
        (
            json!({"name": "A", "kind": "charity", "colour": "red"}),
            "colour",
        ),
        (json!({"kind": "charity"}), "name"),
        (json!({"name": "A"}), "kind"),
        (json!({"name": "A".repeat(301), "kind": "charity"}), "name"),
    ];
    for (body, field) in refusals {
        let problem = app
            .post("providers", &token, body.clone())
            .await
            .expect_problem(422, Some(field));
        assert_eq!(problem.body["type"], "/problems/validation", "{body}");
    }

    // Every bad field is reported at once.
    let several = app
        .post(
            "providers",
            &token,
            json!({"name": "", "kind": "charity", "charity_number": "12", "contact_email": "x"}),
        )
        .await
        .expect_problem(422, Some("name"));
    let mut fields: Vec<&str> = several.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    // Whatever order the parse meets them in.
    fields.sort_unstable();
    assert_eq!(fields, ["charity_number", "contact_email", "name"]);

    // Not JSON, or not declared as JSON.
    let body = r#"{"name": "A", "kind": "charity"}"#;
    app.send_raw("POST", "providers", &token, "text/plain", body)
        .await
        .expect_problem(422, Some("body"));
    app.send_raw("POST", "providers", &token, "application/json", "not json")
        .await
        .expect_problem(422, Some("body"));
    app.send_raw("POST", "providers", &token, "application/json", "[")
        .await
        .expect_problem(422, Some("body"));
    for broken in ["{name: A, kind", r#"{"name": "A","#] {
        app.send_raw("POST", "providers", &token, "application/json", broken)
            .await
            .expect_problem(422, Some("body"));
    }
    app.send_raw("POST", "providers", &token, "application/json", "")
        .await
        .expect_problem(422, Some("body"));
    app.send_raw(
        "POST",
        "providers",
        &token,
        "application/json",
        r#"{"name": "A", "kind": "charity"} trailing"#,
    )
    .await
    .expect_problem(422, Some("body"));

    let (total, names) = listed(&app, "", &token).await;
    assert_eq!(
        (total, names),
        (1, vec!["Already here".to_owned()]),
        "nothing was created"
    );
}

async fn a_registered_number_already_held_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    create_provider(
        &app,
        json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1012345", "company_number": "SC123456"}),
    )
    .await;

    let charity = app
        .post(
            "providers",
            &token,
            json!({"name": "Copy", "kind": "charity", "charity_number": " 1012345 "}),
        )
        .await
        .expect_problem(409, None);
    assert_eq!(charity.body["type"], "/problems/duplicate-charity-number");
    assert!(
        charity.body["detail"].as_str().unwrap().contains("1012345"),
        "{}",
        charity.body
    );
    app.post(
        "providers",
        &token,
        json!({"name": "Copy", "kind": "company", "company_number": "sc123456"}),
    )
    .await
    .expect_problem(409, None);

    let (total, names) = listed(&app, "", &token).await;
    assert_eq!((total, names), (1, vec!["Rubicon Cares".to_owned()]));
}

async fn bad_list_parameters_are_refused_naming_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    app.provider("Rubicon Cares").await;

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("limit=1&limit=2", "limit"),
    ] {
        app.get(&format!("providers?{query}"), &token)
            .await
            .expect_problem(422, Some(field));
    }
    // Values that do not parse, and parameters no list knows, are named.
    for (query, field) in [
        ("limit=abc", "limit"),
        ("offset=x", "offset"),
        ("limit=", "limit"),
        ("kind=bank", "kind"),
        ("colour=red", "colour"),
    ] {
        app.get(&format!("providers?{query}"), &token)
            .await
            .expect_problem(422, Some(field));
    }
    // The limits themselves are accepted.
    let (total, names) = listed(&app, "limit=1", &token).await;
    assert_eq!((total, names.len()), (1, 1));
    app.get("providers?limit=500", &token).await.expect(200);
}

async fn finance_reads_providers_but_cannot_change_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let finance = app.finance();
    let id = app.provider("Rubicon Cares").await;
    let before = app
        .get(&format!("providers/{id}"), &app.commissioner())
        .await
        .expect(200);

    let (total, _) = listed(&app, "", &finance).await;
    assert_eq!(total, 1);
    app.get(&format!("providers/{id}"), &finance)
        .await
        .expect(200);

    let forbidden = app
        .post(
            "providers",
            &finance,
            json!({"name": "Finance's own", "kind": "charity"}),
        )
        .await
        .expect_problem(403, None);
    assert_eq!(forbidden.body["type"], "/problems/forbidden");
    app.patch(
        &format!("providers/{id}"),
        &finance,
        json!({"name": "Renamed"}),
    )
    .await
    .expect_problem(403, None);
    app.delete(&format!("providers/{id}"), &finance)
        .await
        .expect_problem(403, None);

    let after = app
        .get(&format!("providers/{id}"), &app.commissioner())
        .await
        .expect(200);
    assert_eq!(after.body, before.body);
    assert_eq!(provider_count(&app).await, 1);
}

async fn a_request_without_a_valid_token_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.provider("Rubicon Cares").await;

    let body = json!({"name": "Anonymous", "kind": "charity"});
    for (method, path, body) in [
        ("GET", "providers".to_owned(), None),
        ("GET", format!("providers/{id}"), None),
        ("POST", "providers".to_owned(), Some(&body)),
        ("DELETE", format!("providers/{id}"), None),
    ] {
        let refused = app
            .send(method, &path, None, body)
            .await
            .expect_problem(401, None);
        assert_eq!(refused.body["type"], "/problems/unauthorized");
        app.send(method, &path, Some("not-a-token"), body)
            .await
            .expect_problem(401, None);
    }
    let (total, names) = listed(&app, "", &app.commissioner()).await;
    assert_eq!((total, names), (1, vec!["Rubicon Cares".to_owned()]));
}

async fn a_provider_token_sees_only_its_own_provider(backend: Backend) {
    let app = spawn_app(backend).await;
    let own = app.provider("Rubicon Cares").await;
    let other = app.provider("Dads Unlimited").await;
    let token = app.provider_token(&own);

    let page = app.get("providers", &token).await.expect(200);
    assert_eq!(page.body["total"], 1);
    assert_eq!(page.body["items"][0]["id"], own.as_str());
    let (total, _) = listed(&app, "name=Dads", &token).await;
    assert_eq!(total, 0, "a filter cannot reach past the scope");

    let read = app
        .get(&format!("providers/{own}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["name"], "Rubicon Cares");
    app.get(&format!("providers/{other}"), &token)
        .await
        .expect_problem(404, None);

    // A provider cannot change providers, not even itself.
    app.post(
        "providers",
        &token,
        json!({"name": "New", "kind": "charity"}),
    )
    .await
    .expect_problem(403, None);
    app.patch(
        &format!("providers/{own}"),
        &token,
        json!({"name": "Renamed"}),
    )
    .await
    .expect_problem(403, None);
    app.delete(&format!("providers/{other}"), &token)
        .await
        .expect_problem(403, None);
    assert_eq!(provider_count(&app).await, 2);
}

async fn another_organisation_cannot_see_or_change_these_providers(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let created = create_provider(
        &app,
        json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1012345"}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let other_org = crate::helpers::create_organisation(&app.database_url, "Other");
    let outsider = app.token_for(&other_org, Role::Commissioner);

    app.get(&format!("providers/{id}"), &outsider)
        .await
        .expect_problem(404, None);
    let page = app.get("providers", &outsider).await.expect(200);
    assert_eq!(page.body["total"], 0);
    assert_eq!(page.body["items"], json!([]));
    app.patch(
        &format!("providers/{id}"),
        &outsider,
        json!({"name": "Hijacked"}),
    )
    .await
    .expect_problem(404, None);
    app.delete(&format!("providers/{id}"), &outsider)
        .await
        .expect_problem(404, None);

    // Registered numbers are unique within an organisation, not across them.
    let theirs = app
        .post(
            "providers",
            &outsider,
            json!({"name": "Rubicon Cares", "kind": "charity", "charity_number": "1012345"}),
        )
        .await
        .expect(201);
    assert_ne!(theirs.str("id"), id);

    let read = app
        .get(&format!("providers/{id}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body, created);
    let (total, _) = listed(&app, "", &token).await;
    assert_eq!(total, 1, "the other organisation's provider is not ours");
}

/// A loader re-run, or two people entering the same charity, must not
/// silently make two providers: a name matching an existing provider's (case
/// and spacing ignored) is a 409 naming it, unless the duplicate is meant.
async fn a_provider_of_the_same_name_is_refused_naming_the_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let first = app.provider("Rubicon Cares").await;
    let again = app
        .post(
            "providers",
            &token,
            json!({"name": "  rubicon   CARES", "kind": "charity"}),
        )
        .await
        .expect_problem(409, None);
    let detail = again.str("detail");
    assert!(
        detail.contains("Rubicon Cares") && detail.contains(&first),
        "{detail}"
    );
    // Meant: a second branch that happens to share the name.
    app.post(
        "providers",
        &token,
        json!({"name": "Rubicon Cares", "kind": "charity", "allow_duplicate": true}),
    )
    .await
    .expect(201);
    // A renamed provider is found by its new name.
    app.patch(
        &format!("providers/{first}"),
        &token,
        json!({"name": "Rubicon Cares North"}),
    )
    .await
    .expect(200);
    app.post(
        "providers",
        &token,
        json!({"name": "RUBICON cares north", "kind": "charity"}),
    )
    .await
    .expect_problem(409, None);
    let listed = app.get("providers?limit=100", &token).await.expect(200);
    assert_eq!(listed.body["total"], 2);
}

/// Eight creations of one name at once (each with its own key, as eight
/// people would send them) make exactly one provider. On PostgreSQL this
/// holds only because creations queue on the organisation row: without the
/// lock they all pass the check together.
async fn racing_creations_of_one_name_make_one_provider(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.commissioner();
    let racers = (0..8)
        .map(|i| {
            crate::helpers::Racer::new("POST", "providers", &token)
                .key(&format!("entry-{i}"))
                .body(json!({"name": "Safe Lives Example", "kind": "charity"}))
        })
        .collect();
    let replies = app.race(racers).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    let listed = app.get("providers?limit=100", &token).await.expect(200);
    assert_eq!(listed.body["total"], 1);
}

crate::on_both_backends!(
    a_provider_of_the_same_name_is_refused_naming_the_first,
    racing_creations_of_one_name_make_one_provider,
    a_new_provider_is_returned_with_its_location_and_org_ids,
    registered_numbers_are_normalised_into_org_ids,
    providers_are_listed_in_creation_order_a_page_at_a_time,
    providers_are_filtered_by_kind_name_and_registered_number,
    patching_a_provider_changes_only_the_fields_named,
    an_empty_string_clears_an_optional_field,
    refused_patches_change_nothing,
    a_deleted_provider_is_gone,
    a_provider_holding_a_contract_cannot_be_deleted,
    bad_provider_input_is_refused_naming_the_field,
    a_registered_number_already_held_is_a_conflict,
    bad_list_parameters_are_refused_naming_them,
    finance_reads_providers_but_cannot_change_them,
    a_request_without_a_valid_token_is_unauthorized,
    a_provider_token_sees_only_its_own_provider,
    another_organisation_cannot_see_or_change_these_providers,
);
