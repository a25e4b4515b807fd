//! Contracts and grants, their funding lines, history and payments: each
//! handler parses the request, calls its use case in `ops::contracts` and
//! renders the answer.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Json, Reply};
use super::pagination::{self, Page, PageParams};
use super::paths::{ContractPath, FundingLinePath, PaymentPath};
use super::preconditions::{ok_with_etag, send, IdempotentJson, IfMatch, Keyed};
use super::query::{ListQuery, PeriodParams, WithPeriod};
use super::responses::Errors;
use crate::db::contracts::ContractFilter;
use crate::domain::contract::{
    Contract, ContractChanges, ContractKind, ContractSortKey, ContractStatus, FundingLine,
    FundingLineInput, NewContract, NewPayment, NewReversal, NewVariation, Payment, StatusChange,
    Variation,
};
use crate::domain::id::{FundingStreamId, ProviderId};
use crate::domain::sort::Sort;
use crate::money::Money;
use crate::ops::contracts::{self, lifecycle, lines, payments};
use crate::ops::outcomes::measures;
use crate::ops::Caller;
use crate::ops::{self, ReadRecord};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(delete)
        .service(change_status)
        .service(list_lines)
        .service(add_line)
        .service(update_line)
        .service(delete_line)
        .service(list_variations)
        .service(vary)
        .service(list_payments)
        .service(record_payment)
        .service(reverse_payment)
        .service(list_measures);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    pub status: Option<ContractStatus>,
    pub kind: Option<ContractKind>,
    /// Contracts with a funding line on this stream.
    #[serde(default)]
    pub funding_stream_id: Option<FundingStreamId>,
    /// The order of the list.
    #[param(schema_with = Sort::<ContractSortKey>::schema)]
    pub sort: Option<Sort<ContractSortKey>>,
}

/// Body of `PATCH /contracts/{id}/funding-lines/{line_id}`.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "35000.00"}))]
pub struct FundingLineChange {
    pub amount: Money,
}

/// Create a contract
///
/// Creates a contract or grant, optionally with its funding lines: a draft,
/// or with `"status": "active"` awarded in the same request under the same
/// rules as activation. The 201 carries the `ETag` for the next change.
#[utoipa::path(
    params(Keyed),
    request_body = NewContract,
    responses((status = 201, body = Contract), Errors<contracts::CreateContract>)
)]
#[post("/contracts")]
pub async fn create(caller: Caller, request: IdempotentJson<NewContract>) -> Reply {
    let (input, once) = request.split();
    Ok(send(contracts::create(&caller, once, input).await?))
}

/// List contracts
///
/// Contracts and grants with their funding lines, funded and paid totals; a
/// provider token sees only its own.
#[utoipa::path(
    params(PageParams, PeriodParams, ContractQuery),
    responses((status = 200, body = Page<Contract>), Errors<contracts::ListContracts>)
)]
#[get("/contracts")]
pub async fn list(caller: Caller, query: ListQuery<WithPeriod<ContractQuery>>) -> Reply {
    let (WithPeriod { period, filter }, page) = (query.filter, query.page);
    let filter = ContractFilter {
        provider_id: filter.provider_id,
        status: filter.status,
        kind: filter.kind,
        funding_stream_id: filter.funding_stream_id,
        period: period.0,
        sort: filter.sort.unwrap_or_default(),
    };
    let (items, total) = contracts::list(&caller, filter, page.page()).await?;
    Ok(pagination::respond(items, total, page))
}

/// Read a contract
///
/// A contract with its funding lines, funded and paid totals, and its ETag.
#[utoipa::path(
    params(ContractPath),
    responses((status = 200, body = Contract), Errors<ReadRecord>)
)]
#[get("/contracts/{id}")]
pub async fn read(caller: Caller, path: web::Path<ContractPath>) -> Reply {
    ok_with_etag(&ops::read::<Contract>(&caller, path.id).await?)
}

/// Change a draft contract
///
/// Changes a draft contract. An awarded contract changes by variation instead.
#[utoipa::path(
    params(ContractPath, IfMatch),
    request_body = ContractChanges,
    responses((status = 200, body = Contract), Errors<contracts::ChangeDraft>)
)]
#[patch("/contracts/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<ContractPath>,
    seen: IfMatch,
    body: Json<ContractChanges>,
) -> Reply {
    let changes = body.0;
    let contract = contracts::change_draft(&caller, path.id, seen.into(), changes).await?;
    ok_with_etag(&contract)
}

/// Delete a draft contract
///
/// Deletes a draft contract. Awarded contracts are ended or terminated instead.
#[utoipa::path(
    params(ContractPath, IfMatch),
    responses((status = 204, description = "Deleted"), Errors<contracts::DeleteDraft>)
)]
#[delete("/contracts/{id}")]
pub async fn delete(caller: Caller, path: web::Path<ContractPath>, seen: IfMatch) -> Reply {
    contracts::delete_draft(&caller, path.id, seen.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Award, end or terminate a contract
///
/// Activates (awards), ends or terminates a contract. Activation needs funding
/// lines that sum exactly to the value and fit every stream's budget (else 422
/// / 409 with the budget figures); ending or terminating needs a reason,
/// terminating a decision reference.
#[utoipa::path(
    params(ContractPath, IfMatch, Keyed),
    request_body = StatusChange,
    responses((status = 200, body = Contract), Errors<lifecycle::ChangeStatus>)
)]
#[post("/contracts/{id}/status")]
pub async fn change_status(
    caller: Caller,
    path: web::Path<ContractPath>,
    seen: IfMatch,
    request: IdempotentJson<StatusChange>,
) -> Reply {
    let (change, once) = request.split();
    let answer = lifecycle::change_status(&caller, path.id, seen.into(), once, change).await?;
    Ok(send(answer))
}

/// List a contract's funding lines
///
/// Each funding line: the stream, financial year and amount it funds.
#[utoipa::path(
    params(ContractPath),
    responses((status = 200, body = Vec<FundingLine>), Errors<lines::ListLines>)
)]
#[get("/contracts/{id}/funding-lines")]
pub async fn list_lines(caller: Caller, path: web::Path<ContractPath>) -> Reply {
    Ok(HttpResponse::Ok().json(lines::list(&caller, path.id).await?))
}

/// Add a funding line
///
/// Adds a funding line (stream × financial year × amount) to a draft contract.
#[utoipa::path(
    params(ContractPath, Keyed),
    request_body = FundingLineInput,
    responses((status = 201, body = FundingLine), Errors<lines::AddLine>)
)]
#[post("/contracts/{id}/funding-lines")]
pub async fn add_line(
    caller: Caller,
    path: web::Path<ContractPath>,
    request: IdempotentJson<FundingLineInput>,
) -> Reply {
    let (line, once) = request.split();
    Ok(send(lines::add(&caller, path.id, once, line).await?))
}

/// Change a funding line
///
/// Changes the amount of a draft contract's funding line; answers with the
/// contract.
#[utoipa::path(
    params(FundingLinePath, IfMatch),
    request_body = FundingLineChange,
    responses((status = 200, body = Contract), Errors<lines::ChangeLine>)
)]
#[patch("/contracts/{id}/funding-lines/{line_id}")]
pub async fn update_line(
    caller: Caller,
    path: web::Path<FundingLinePath>,
    seen: IfMatch,
    body: Json<FundingLineChange>,
) -> Reply {
    let FundingLinePath { id, line_id } = path.into_inner();
    let contract = lines::change(&caller, id, line_id, seen.into(), body.0.amount).await?;
    ok_with_etag(&contract)
}

/// Remove a funding line
///
/// Removes a funding line from a draft contract.
#[utoipa::path(
    params(FundingLinePath, IfMatch),
    responses((status = 204, description = "Deleted"), Errors<lines::RemoveLine>)
)]
#[delete("/contracts/{id}/funding-lines/{line_id}")]
pub async fn delete_line(caller: Caller, path: web::Path<FundingLinePath>, seen: IfMatch) -> Reply {
    let FundingLinePath { id, line_id } = path.into_inner();
    lines::remove(&caller, id, line_id, seen.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a contract's history
///
/// The contract's history: activation, variations, ending or termination, each
/// with its reason and decision reference.
#[utoipa::path(
    params(ContractPath),
    responses((status = 200, body = Vec<Variation>), Errors<contracts::ReadHistory>)
)]
#[get("/contracts/{id}/variations")]
pub async fn list_variations(caller: Caller, path: web::Path<ContractPath>) -> Reply {
    Ok(HttpResponse::Ok().json(contracts::history(&caller, path.id).await?))
}

/// Vary an active contract
///
/// Varies an active contract: a new value (with the new funding lines that sum
/// to it), a new end date, or a new funding split, with a reason and decision
/// reference. Budgets are re-checked. An ended or terminated contract takes
/// one more: its closing adjustment, bringing the value down to what was
/// spent (never below what was paid).
#[utoipa::path(
    params(ContractPath, IfMatch, Keyed),
    request_body = NewVariation,
    responses((status = 200, body = Contract), Errors<lifecycle::Vary>)
)]
#[post("/contracts/{id}/variations")]
pub async fn vary(
    caller: Caller,
    path: web::Path<ContractPath>,
    seen: IfMatch,
    request: IdempotentJson<NewVariation>,
) -> Reply {
    let (variation, once) = request.split();
    let answer = lifecycle::vary(&caller, path.id, seen.into(), once, variation).await?;
    Ok(send(answer))
}

/// List a contract's payments
///
/// Payments recorded against the contract, oldest first.
#[utoipa::path(
    params(ContractPath),
    responses((status = 200, body = Vec<Payment>), Errors<payments::ListPayments>)
)]
#[get("/contracts/{id}/payments")]
pub async fn list_payments(caller: Caller, path: web::Path<ContractPath>) -> Reply {
    Ok(HttpResponse::Ok().json(payments::list(&caller, path.id).await?))
}

/// Record a payment
///
/// Records a payment (finance). Total payments may not exceed the contract's
/// value.
#[utoipa::path(
    params(ContractPath, Keyed),
    request_body = NewPayment,
    responses((status = 201, body = Payment), Errors<payments::RecordPayment>)
)]
#[post("/contracts/{id}/payments")]
pub async fn record_payment(
    caller: Caller,
    path: web::Path<ContractPath>,
    request: IdempotentJson<NewPayment>,
) -> Reply {
    let (payment, once) = request.split();
    Ok(send(
        payments::record(&caller, path.id, once, payment).await?,
    ))
}

/// Reverse a payment
///
/// Reverses a payment recorded in error (finance): a new entry of the
/// opposite amount that names the payment, in the quarter of `reversed_on`.
/// The payment itself is never edited, and can be reversed once.
#[utoipa::path(
    params(PaymentPath, Keyed),
    request_body = NewReversal,
    responses((status = 201, body = Payment), Errors<payments::ReversePayment>)
)]
#[post("/contracts/{id}/payments/{payment_id}/reversal")]
pub async fn reverse_payment(
    caller: Caller,
    path: web::Path<PaymentPath>,
    request: IdempotentJson<NewReversal>,
) -> Reply {
    let PaymentPath { id, payment_id } = path.into_inner();
    let (reversal, once) = request.split();
    let answer = payments::reverse(&caller, id, payment_id, once, reversal).await?;
    Ok(send(answer))
}

/// List a contract's outcome measures
///
/// The measures the contract reports each quarter: its funding streams'
/// measures and its own.
#[utoipa::path(
    params(ContractPath),
    responses(
        (status = 200, body = Vec<crate::domain::outcome::OutcomeMeasure>),
        Errors<measures::ContractMeasures>,
    )
)]
#[get("/contracts/{id}/outcome-measures")]
pub async fn list_measures(caller: Caller, path: web::Path<ContractPath>) -> Reply {
    Ok(HttpResponse::Ok().json(measures::of_contract(&caller, path.id).await?))
}
