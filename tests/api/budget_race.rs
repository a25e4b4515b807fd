//! Two awards racing for the last of a budget: exactly one may win.

use crate::helpers::{spawn_app, Backend};

async fn two_awards_racing_for_the_last_of_a_budget(backend: Backend) {
    let app = spawn_app(backend).await;
    let provider = app.provider("Racing charity").await;
    for round in 0..5 {
        // Each grant wants 60% of the budget: both cannot fit.
        let stream = app
            .stream(&format!("RACE{round}"), "2022-23", "100000.00")
            .await;
        let first = app.grant(&provider, &stream, "60000.00").await;
        let second = app.grant(&provider, &stream, "60000.00").await;

        let address = app.address.clone();
        let token = app.commissioner();
        let mut tagged = Vec::new();
        for id in [first, second] {
            let tag = app
                .etag(&format!("contracts/{id}"), &token)
                .await
                .expect("an ETag");
            tagged.push((id, tag));
        }
        let racers: Vec<_> = tagged
            .into_iter()
            .map(|(id, tag)| {
                let url = format!("{address}/api/v1/contracts/{id}/status");
                let token = token.clone();
                actix_web::rt::spawn(async move {
                    let response = awc::Client::default()
                        .post(url)
                        .insert_header(("Authorization", format!("Bearer {token}")))
                        .insert_header(("If-Match", tag))
                        .send_json(&serde_json::json!({"status": "active"}))
                        .await
                        .expect("the request reaches the server");
                    response.status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            statuses.push(racer.await.expect("the racer finishes"));
        }
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: exactly one award wins"
        );

        let read = app
            .get(&format!("funding-streams/{stream}"), &app.finance())
            .await
            .expect(200);
        assert_eq!(read.get("budgets")[0]["committed"], "60000.00");
        assert_eq!(read.get("budgets")[0]["uncommitted"], "40000.00");
    }
}

crate::on_both_backends!(two_awards_racing_for_the_last_of_a_budget);
