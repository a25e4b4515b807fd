//! Every rule answers a conflict of its own: a walk through the API that
//! breaks each rule the domain has, once, and checks the answer is a 409
//! whose `type` is `/problems/{code}` and whose `code` is the rule's — so a
//! client can tell "budget exceeded" from "not a draft" without reading the
//! English. The walk must reach every code there is: a new rule fails this
//! test until the walk breaks it too. (Each answer is also checked against
//! the operation's documented 409, which lists the codes it can raise.)

use std::collections::BTreeSet;

use commissioning::domain::error::ConflictCode::{self, *};
use serde_json::json;

use crate::helpers::{spawn_app, Backend, Reply, TestApp};

/// Asserts `reply` is the conflict `code` and notes it as walked.
fn refused(reply: Reply, code: ConflictCode, walked: &mut BTreeSet<ConflictCode>) {
    let reply = reply.expect_problem(409, None);
    assert_eq!(
        reply.body["type"],
        format!("/problems/{}", code.as_str().replace('_', "-")),
        "{}",
        reply.body
    );
    assert_eq!(reply.body["code"], code.as_str(), "{}", reply.body);
    assert!(walked.insert(code), "{} walked twice", code.as_str());
}

async fn create(app: &TestApp, path: &str, body: serde_json::Value) -> String {
    app.post(path, &app.commissioner(), body)
        .await
        .expect(201)
        .str("id")
}

async fn every_rule_answers_its_own_problem_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let (c, f) = (app.commissioner(), app.finance());
    let mut walked = BTreeSet::new();

    // Streams and providers.
    let stream = app.stream("VSS", "2022-23", "1000.00").await;
    let again = json!({"code": "VSS", "name": "Again", "funder": "MoJ"});
    refused(
        app.post("funding-streams", &c, again).await,
        DuplicateStreamCode,
        &mut walked,
    );
    let provider = create(
        &app,
        "providers",
        json!({"name": "Dandelion Time", "kind": "charity", "charity_number": "1150222"}),
    )
    .await;
    let same_charity = json!({"name": "Other", "kind": "charity", "charity_number": "1150222"});
    refused(
        app.post("providers", &c, same_charity).await,
        DuplicateCharityNumber,
        &mut walked,
    );
    let company =
        json!({"name": "Brightwater Ltd", "kind": "company", "company_number": "01234567"});
    create(&app, "providers", company).await;
    let same_company =
        json!({"name": "Other Ltd", "kind": "company", "company_number": "01234567"});
    refused(
        app.post("providers", &c, same_company).await,
        DuplicateCompanyNumber,
        &mut walked,
    );
    let same_name = json!({"name": "Dandelion Time", "kind": "charity"});
    refused(
        app.post("providers", &c, same_name).await,
        DuplicateProviderName,
        &mut walked,
    );

    // A draft: not payable, not varied, not ended, one line per stream and year.
    let draft = app.grant(&provider, &stream, "1000.00").await;
    let payment = json!({"amount": "10.00", "paid_on": "2022-05-01"});
    refused(
        app.post(&format!("contracts/{draft}/payments"), &f, payment)
            .await,
        DraftNotPayable,
        &mut walked,
    );
    let extension = json!({"end_date": "2023-03-31", "reason": "Extended"});
    refused(
        app.post(&format!("contracts/{draft}/variations"), &c, extension)
            .await,
        DraftNotVaried,
        &mut walked,
    );
    let ending = json!({"status": "ended", "reason": "Done"});
    refused(
        app.post(&format!("contracts/{draft}/status"), &c, ending)
            .await,
        InvalidStatusChange,
        &mut walked,
    );
    let line = json!({"funding_stream_id": stream, "financial_year": "2022-23", "amount": "10.00"});
    refused(
        app.post(&format!("contracts/{draft}/funding-lines"), &c, line)
            .await,
        DuplicateFundingLine,
        &mut walked,
    );

    // Awarded, it holds the whole budget.
    app.activate(&draft).await.expect(200);
    let renamed = json!({"title": "Renamed"});
    refused(
        app.patch(&format!("contracts/{draft}"), &c, renamed).await,
        NotDraft,
        &mut walked,
    );
    let one_more = app.grant(&provider, &stream, "1.00").await;
    refused(app.activate(&one_more).await, BudgetExceeded, &mut walked);
    let cut = json!({"amount": "500.00", "status": "confirmed"});
    refused(
        app.put(
            &format!("funding-streams/{stream}/budgets/2022-23"),
            &c,
            cut,
        )
        .await,
        BudgetBelowCommitted,
        &mut walked,
    );
    refused(
        app.delete(&format!("funding-streams/{stream}/budgets/2022-23"), &c)
            .await,
        BudgetCommitted,
        &mut walked,
    );
    refused(
        app.delete(&format!("funding-streams/{stream}"), &c).await,
        StreamInUse,
        &mut walked,
    );
    refused(
        app.delete(&format!("providers/{provider}"), &c).await,
        ProviderHasContracts,
        &mut walked,
    );

    // Payments: within the value, reversed once, a reversal never reversed.
    let payments = format!("contracts/{draft}/payments");
    let too_much = json!({"amount": "1000.01", "paid_on": "2022-05-01"});
    refused(
        app.post(&payments, &f, too_much).await,
        PaidExceedsValue,
        &mut walked,
    );
    let paid = json!({"amount": "100.00", "paid_on": "2022-05-01"});
    let paid = app.post(&payments, &f, paid).await.expect(201).str("id");
    let reversal = json!({"reversed_on": "2022-06-01", "reason": "Paid twice"});
    let reversed = app
        .post(&format!("{payments}/{paid}/reversal"), &f, reversal.clone())
        .await
        .expect(201)
        .str("id");
    refused(
        app.post(&format!("{payments}/{paid}/reversal"), &f, reversal.clone())
            .await,
        AlreadyReversed,
        &mut walked,
    );
    refused(
        app.post(&format!("{payments}/{reversed}/reversal"), &f, reversal)
            .await,
        ReversalOfReversal,
        &mut walked,
    );

    // Ending early may not release what is already paid; an ended contract
    // takes one closing adjustment.
    let paid_more = json!({"amount": "900.00", "paid_on": "2022-05-02"});
    app.post(&payments, &f, paid_more).await.expect(201);
    let early = json!({"status": "ended", "reason": "Closed", "effective_date": "2022-04-30",
                       "release_commitment": true});
    refused(
        app.post(&format!("contracts/{draft}/status"), &c, early)
            .await,
        PaidExceedsRelease,
        &mut walked,
    );
    let ended = json!({"status": "ended", "reason": "Completed"});
    app.post(&format!("contracts/{draft}/status"), &c, ended)
        .await
        .expect(200);
    let closing = json!({"value": "900.00", "reason": "Final spend",
                         "funding_lines": [{"funding_stream_id": stream,
                                            "financial_year": "2022-23", "amount": "900.00"}]});
    let variations = format!("contracts/{draft}/variations");
    app.post(&variations, &c, closing.clone()).await.expect(200);
    refused(
        app.post(&variations, &c, closing).await,
        AlreadyAdjusted,
        &mut walked,
    );

    // Amounts beyond what the service can add up.
    let other = app.stream("CORE", "2022-23", "1000.00").await;
    let huge = "999999999999.99";
    let overflowing = json!({"provider_id": provider, "kind": "grant", "title": "Huge",
        "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "1.00",
        "funding_lines": [
            {"funding_stream_id": stream, "financial_year": "2022-23", "amount": huge},
            {"funding_stream_id": other, "financial_year": "2022-23", "amount": huge}]});
    refused(
        app.post("contracts", &c, overflowing).await,
        AmountTooLarge,
        &mut walked,
    );

    // Measures and returns.
    let returns_stream = app.stream("RET", "2022-23", "100.00").await;
    let measure = json!({"funding_stream_id": returns_stream, "code": "better_cope",
                         "label": "Better able to cope", "unit": "count"});
    let measure_id = create(&app, "outcome-measures", measure.clone()).await;
    refused(
        app.post("outcome-measures", &c, measure).await,
        DuplicateMeasureCode,
        &mut walked,
    );
    let reported = app.grant(&provider, &returns_stream, "100.00").await;
    app.activate(&reported).await.expect(200);
    let figures = json!({"contract_id": reported, "financial_year": "2022-23", "quarter": "Q1",
                         "referrals": 3, "people_supported": 2, "spend": "10.00",
                         "values": [{"code": "better_cope", "value": 2}]});
    let submitted = create(&app, "outcome-returns", figures.clone()).await;
    refused(
        app.post("outcome-returns", &c, figures).await,
        DuplicateReturn,
        &mut walked,
    );
    let the_return = format!("outcome-returns/{submitted}");
    refused(
        app.post(&format!("{the_return}/accept"), &c, json!({}))
            .await,
        ReturnNotReviewable,
        &mut walked,
    );
    app.post(&format!("{the_return}/submit"), &c, json!({}))
        .await
        .expect(200);
    refused(
        app.post(&format!("{the_return}/submit"), &c, json!({}))
            .await,
        ReturnNotSubmittable,
        &mut walked,
    );
    refused(
        app.patch(&the_return, &c, json!({"narrative": "Amended"}))
            .await,
        ReturnNotEditable,
        &mut walked,
    );
    refused(
        app.patch(
            &format!("outcome-measures/{measure_id}"),
            &c,
            json!({"unit": "people"}),
        )
        .await,
        MeasureHasValues,
        &mut walked,
    );

    // Publishing needs the organisation's identifiers.
    refused(
        app.get("publish/360giving?financial_year=2022-23", &c)
            .await,
        PublicationNotConfigured,
        &mut walked,
    );

    let every: BTreeSet<ConflictCode> = ConflictCode::ALL.into_iter().collect();
    let missed: Vec<&str> = every
        .difference(&walked)
        .map(|code| code.as_str())
        .collect();
    assert!(missed.is_empty(), "the walk did not reach {missed:?}");
}

crate::on_both_backends!(every_rule_answers_its_own_problem_type);
