//! What every list does: sorting by the keys a resource allows, with a
//! stable tiebreak, and RFC 8288 `Link` headers to the other pages that
//! repeat the request's filters and sort.

use serde_json::Value;

use crate::helpers::{spawn_app, Backend, TestApp};

fn codes(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The link with `rel`, as a path the test client can send.
fn link(header: Option<&str>, rel: &str) -> Option<String> {
    header?.split(", ").find_map(|part| {
        let (target, params) = part.split_once(">; ")?;
        (params == format!("rel=\"{rel}\"")).then(|| target.trim_start_matches('<').to_owned())
    })
}

async fn streams(app: &TestApp) {
    for (code, funder) in [
        ("VSS", "MoJ"),
        ("DA", "Home Office"),
        ("SAFE", "Home Office"),
        ("CJ", "MoJ"),
    ] {
        let body =
            serde_json::json!({"code": code, "name": format!("Stream {code}"), "funder": funder});
        app.post("funding-streams", &app.commissioner(), body)
            .await
            .expect(201);
    }
}

async fn lists_sort_by_the_keys_they_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    streams(&app).await;
    let token = app.commissioner();
    let by = |sort: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            codes(
                &app.get(&format!("funding-streams?sort={sort}"), &token)
                    .await
                    .expect(200)
                    .body,
            )
        }
    };
    assert_eq!(by("code").await, ["CJ", "DA", "SAFE", "VSS"]);
    assert_eq!(by("-code").await, ["VSS", "SAFE", "DA", "CJ"]);
    // Equal funders keep creation order (the id tiebreak), either direction of funder.
    assert_eq!(by("funder").await, ["DA", "SAFE", "VSS", "CJ"]);
    assert_eq!(by("-funder,-code").await, ["VSS", "CJ", "SAFE", "DA"]);
    assert_eq!(by("created_at").await, ["VSS", "DA", "SAFE", "CJ"]);
    for bad in [
        "colour",
        "code,code",
        "code,",
        "-",
        "code,name,funder,created_at,code",
    ] {
        app.get(&format!("funding-streams?sort={bad}"), &token)
            .await
            .expect_problem(422, Some("sort"));
    }
    // Every paged list takes its own keys.
    for (list, sort) in [
        ("providers", "-name"),
        ("contracts", "-value,start_date"),
        ("outcome-returns", "financial_year,-quarter"),
    ] {
        app.get(&format!("{list}?sort={sort}"), &token)
            .await
            .expect(200);
        app.get(&format!("{list}?sort=code_name"), &token)
            .await
            .expect_problem(422, Some("sort"));
    }
}

async fn pages_link_to_each_other_keeping_filters_and_sort(backend: Backend) {
    let app = spawn_app(backend).await;
    streams(&app).await;
    let token = app.commissioner();
    let first = app
        .get(
            "funding-streams?funder=Home%20Office&sort=-code&limit=1",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(codes(&first.body), ["SAFE"]);
    assert_eq!(first.body["total"], 2);
    let header = first.link.as_deref();
    assert_eq!(link(header, "prev"), None);
    let next = link(header, "next").expect("a next link");
    assert_eq!(
        next,
        "/api/v1/funding-streams?funder=Home+Office&sort=-code&limit=1&offset=1"
    );
    assert_eq!(link(header, "last").as_deref(), Some(next.as_str()));
    let second = app.get(&next, &token).await.expect(200);
    assert_eq!(codes(&second.body), ["DA"]);
    assert_eq!(link(second.link.as_deref(), "next"), None);
    let back = link(second.link.as_deref(), "prev").expect("a prev link");
    assert_eq!(
        codes(&app.get(&back, &token).await.expect(200).body),
        ["SAFE"]
    );
    // One page only: no links.
    let all = app.get("funding-streams", &token).await.expect(200);
    assert_eq!(all.link, None);
}

crate::on_both_backends!(
    lists_sort_by_the_keys_they_allow,
    pages_link_to_each_other_keeping_filters_and_sort,
);
