use crate::domain::id::{FundingStreamId, ProviderId};
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Json, ListQuery};
use super::pagination::{self, Page, PageParams};
use super::paths::*;
use super::preconditions::{created_response, ok_with_etag, IdempotentJson, IfMatch};
use super::responses::{
    AwardErrors, CreateAwardErrors, DeleteErrors, IdempotencyKeyHeader, IfMatchHeader, ListErrors,
    NestedCreateErrors, ReadErrors, WriteErrors,
};
use super::writes::{Created, Creation, Guarded};
use super::{location, AppState};
use crate::auth::{Actor, Permission};
use crate::db::audit;
use crate::db::contracts::{self, ContractFilter};
use crate::domain::audit::AuditAction;
use crate::domain::contract::{
    Contract, ContractChanges, ContractKind, ContractStatus, FundingLine, FundingLineInput,
    NewContract, NewPayment, NewReversal, NewVariation, Payment, StatusChange, Variation,
};
use crate::error::AppError;
use crate::fiscal::FinancialYear;
use crate::money::Money;
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
    /// Contracts whose period overlaps this financial year, e.g. 2022-23.
    #[param(value_type = Option<crate::fiscal::FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    /// Order by `reference`, `title`, `start_date`, `end_date`, `value`, `status`, `created_at`, comma-separated, `-` first for descending
    /// (`-created_at`); ties, and lists with no `sort`, go by id: creation order.
    #[param(value_type = Option<String>, pattern = "^-?(reference|title|start_date|end_date|value|status|created_at)(,-?(reference|title|start_date|end_date|value|status|created_at)){0,3}$")]
    pub sort: Option<crate::domain::sort::Sort<crate::domain::contract::ContractSortKey>>,
}

/// Body of `PATCH /contracts/{id}/funding-lines/{line_id}`.
#[derive(Debug, Deserialize, ToSchema)]
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
    tag = "contracts",
    params(IdempotencyKeyHeader),
    request_body = NewContract,
    responses(
        (status = 201, body = Contract),
        CreateAwardErrors,
    )
)]
#[post("/contracts")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    request: IdempotentJson<NewContract>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let request = request.validated(NewContract::validate)?;
    Creation::new(actor, request)
        .create(&state.db, |conn, actor, input| {
            let awards = input.awards();
            let contract = contracts::create(conn, actor.organisation_id, input)?;
            match awards {
                true => {
                    contracts::change_status(conn, actor, contract.id, StatusChange::activation())
                }
                false => Ok(contract),
            }
        })
        .await
}

/// List contracts
///
/// Contracts and grants with their funding lines, funded and paid totals; a
/// provider token sees only its own.
#[utoipa::path(
    tag = "contracts",
    params(PageParams, ContractQuery),
    responses(
        (status = 200, body = Page<Contract>),
        ListErrors,
    )
)]
#[get("/contracts")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    query: ListQuery<ContractQuery>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadContracts)?;
    let page = query.page;
    let query = query.filter;
    let filter = ContractFilter {
        provider_id: query.provider_id,
        status: query.status,
        kind: query.kind,
        funding_stream_id: query.funding_stream_id,
        financial_year: query.financial_year,
        sort: query.sort.unwrap_or_default(),
    };
    let scope = actor.scope();
    let (items, total) = state
        .db
        .read(move |conn| contracts::list(conn, &scope, &filter, page.limit, page.offset))
        .await?;
    Ok(pagination::respond(items, total, page))
}

/// Read a contract
///
/// A contract with its funding lines, funded and paid totals, and its ETag.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath),
    responses(
        (status = 200, body = Contract, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        ReadErrors,
    )
)]
#[get("/contracts/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadContracts)?;
    let id = path.id;
    let scope = actor.scope();
    let contract = state
        .db
        .read(move |conn| contracts::get(conn, &scope, id))
        .await?;
    ok_with_etag(&contract)
}

/// Change a draft contract
///
/// Changes a draft contract. An awarded contract changes by variation instead.
#[utoipa::path(
    tag = "contracts",
    params(
        ContractPath,
        IfMatchHeader,
    ),
    request_body = ContractChanges,
    responses(
        (status = 200, body = Contract, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[patch("/contracts/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    if_match: IfMatch,
    body: Json<ContractChanges>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let changes = body.0.validate()?;
    let id = path.id;
    let contract = Guarded::<Contract>::new(actor, if_match, id)
        .change(&state.db, AuditAction::Update, move |conn, actor, id| {
            contracts::update(conn, actor.organisation_id, id, changes)
        })
        .await?;
    ok_with_etag(&contract)
}

/// Delete a draft contract
///
/// Deletes a draft contract. Awarded contracts are ended or terminated instead.
#[utoipa::path(
    tag = "contracts",
    params(
        ContractPath,
        IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted"),
        DeleteErrors,
    )
)]
#[delete("/contracts/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let id = path.id;
    Guarded::<Contract>::new(actor, if_match, id)
        .delete(&state.db, move |conn, actor, id| {
            contracts::delete(conn, actor.organisation_id, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Award, end or terminate a contract
///
/// Activates (awards), ends or terminates a contract. Activation needs funding
/// lines that sum exactly to the value and fit every stream's budget (else 422
/// / 409 with the budget figures); ending or terminating needs a reason,
/// terminating a decision reference.
#[utoipa::path(
    tag = "contracts",
    params(
        ContractPath,
        IfMatchHeader,
        IdempotencyKeyHeader,
    ),
    request_body = StatusChange,
    responses(
        (status = 200, body = Contract, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        AwardErrors,
    )
)]
#[post("/contracts/{id}/status")]
pub async fn change_status(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    if_match: IfMatch,
    request: IdempotentJson<StatusChange>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let id = path.id;
    let (change, once) = request.split();
    Guarded::<Contract>::new(actor, if_match, id)
        .act(
            &state.db,
            AuditAction::StatusChange,
            once,
            move |conn, actor, id| contracts::change_status(conn, actor, id, change),
        )
        .await
}

/// List a contract's funding lines
///
/// Each funding line: the stream, financial year and amount it funds.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath),
    responses(
        (status = 200, body = Vec<FundingLine>),
        ReadErrors,
    )
)]
#[get("/contracts/{id}/funding-lines")]
pub async fn list_lines(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadContracts)?;
    let id = path.id;
    let scope = actor.scope();
    let lines = state
        .db
        .read(move |conn| contracts::list_lines(conn, &scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(lines))
}

/// Add a funding line
///
/// Adds a funding line (stream × financial year × amount) to a draft contract.
#[utoipa::path(
    tag = "contracts",
    params(
        ContractPath,
        IdempotencyKeyHeader,
    ),
    request_body = FundingLineInput,
    responses(
        (status = 201, body = FundingLine),
        NestedCreateErrors,
    )
)]
#[post("/contracts/{id}/funding-lines")]
pub async fn add_line(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    request: IdempotentJson<FundingLineInput>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let id = path.id;
    Creation::new(actor, request)
        .under(id)
        .run(&state.db, move |conn, actor, line| {
            let before = contracts::get(conn, &actor.scope(), id)?;
            let line = contracts::add_line(conn, actor.organisation_id, id, line)?;
            let after = contracts::get(conn, &actor.scope(), id)?;
            audit::record(
                conn,
                actor,
                AuditAction::Update,
                id,
                Some(&before),
                Some(&after),
            )?;
            created_response(location(&format!("contracts/{id}/funding-lines")), &line)
        })
        .await
}

/// Change a funding line
///
/// Changes the amount of a draft contract's funding line; answers with the
/// contract.
#[utoipa::path(
    tag = "contracts",
    params(
        FundingLinePath,
        IfMatchHeader,
    ),
    request_body = FundingLineChange,
    responses(
        (status = 200, body = Contract, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        WriteErrors,
    )
)]
#[patch("/contracts/{id}/funding-lines/{line_id}")]
pub async fn update_line(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<FundingLinePath>,
    if_match: IfMatch,
    body: Json<FundingLineChange>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let FundingLinePath { id, line_id } = path.into_inner();
    let amount = body.0.amount;
    let contract = Guarded::<Contract>::new(actor, if_match, id)
        .change_then_read(&state.db, AuditAction::Update, move |conn, actor, id| {
            contracts::update_line(conn, actor.organisation_id, id, line_id, amount)?;
            Ok(())
        })
        .await?;
    ok_with_etag(&contract)
}

/// Remove a funding line
///
/// Removes a funding line from a draft contract.
#[utoipa::path(
    tag = "contracts",
    params(
        FundingLinePath,
        IfMatchHeader,
    ),
    responses(
        (status = 204, description = "Deleted"),
        DeleteErrors,
    )
)]
#[delete("/contracts/{id}/funding-lines/{line_id}")]
pub async fn delete_line(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<FundingLinePath>,
    if_match: IfMatch,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let FundingLinePath { id, line_id } = path.into_inner();
    let contract = Guarded::<Contract>::new(actor, if_match, id)
        .change_then_read(&state.db, AuditAction::Update, move |conn, actor, id| {
            contracts::delete_line(conn, actor.organisation_id, id, line_id)?;
            Ok(())
        })
        .await?;
    drop(contract);
    Ok(HttpResponse::NoContent().finish())
}

/// List a contract's history
///
/// The contract's history: activation, variations, ending or termination, each
/// with its reason and decision reference.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath),
    responses(
        (status = 200, body = Vec<Variation>),
        ReadErrors,
    )
)]
#[get("/contracts/{id}/variations")]
pub async fn list_variations(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadContracts)?;
    let id = path.id;
    let scope = actor.scope();
    let history = state
        .db
        .read(move |conn| contracts::list_variations(conn, &scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(history))
}

/// Vary an active contract
///
/// Varies an active contract: a new value (with the new funding lines that sum
/// to it), a new end date, or a new funding split, with a reason and decision
/// reference. Budgets are re-checked. An ended or terminated contract takes
/// one more: its closing adjustment, bringing the value down to what was
/// spent (never below what was paid).
#[utoipa::path(
    tag = "contracts",
    params(
        ContractPath,
        IfMatchHeader,
        IdempotencyKeyHeader,
    ),
    request_body = NewVariation,
    responses(
        (status = 200, body = Contract, headers(("ETag" = String, description = "Send it back as If-Match to update"))),
        AwardErrors,
    )
)]
#[post("/contracts/{id}/variations")]
pub async fn vary(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    if_match: IfMatch,
    request: IdempotentJson<NewVariation>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ManageContracts)?;
    let id = path.id;
    let (variation, once) = request.split();
    Guarded::<Contract>::new(actor, if_match, id)
        .act(
            &state.db,
            AuditAction::Update,
            once,
            move |conn, actor, id| contracts::vary(conn, actor, id, variation),
        )
        .await
}

/// List a contract's payments
///
/// Payments recorded against the contract, oldest first.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath),
    responses(
        (status = 200, body = Vec<Payment>),
        ReadErrors,
    )
)]
#[get("/contracts/{id}/payments")]
pub async fn list_payments(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadContracts)?;
    let id = path.id;
    let scope = actor.scope();
    let payments = state
        .db
        .read(move |conn| contracts::list_payments(conn, &scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(payments))
}

/// Record a payment
///
/// Records a payment (finance). Total payments may not exceed the contract's
/// value.
#[utoipa::path(
    tag = "contracts",
    params(
        ContractPath,
        IdempotencyKeyHeader,
    ),
    request_body = NewPayment,
    responses(
        (status = 201, body = Payment),
        NestedCreateErrors,
    )
)]
#[post("/contracts/{id}/payments")]
pub async fn record_payment(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
    request: IdempotentJson<NewPayment>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::RecordPayments)?;
    let id = path.id;
    let request = request.validated(NewPayment::validate)?;
    Creation::new(actor, request)
        .under(id)
        .create_at(&state.db, move |conn, actor, payment| {
            let payment = contracts::record_payment(conn, actor, id, payment)?;
            Ok(Created {
                id: payment.id,
                path: format!("contracts/{id}/payments"),
                record: payment,
            })
        })
        .await
}

/// Reverse a payment
///
/// Reverses a payment recorded in error (finance): a new entry of the
/// opposite amount that names the payment, in the quarter of `reversed_on`.
/// The payment itself is never edited, and can be reversed once.
#[utoipa::path(
    tag = "contracts",
    params(
        PaymentPath,
        IdempotencyKeyHeader,
    ),
    request_body = NewReversal,
    responses(
        (status = 201, body = Payment),
        NestedCreateErrors,
    )
)]
#[post("/contracts/{id}/payments/{payment_id}/reversal")]
pub async fn reverse_payment(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<PaymentPath>,
    request: IdempotentJson<NewReversal>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::RecordPayments)?;
    let PaymentPath { id, payment_id } = path.into_inner();
    let request = request.validated(NewReversal::validate)?;
    Creation::new(actor, request)
        .under(id)
        .create_at(&state.db, move |conn, actor, reversal| {
            let payment = contracts::reverse_payment(conn, actor, id, payment_id, reversal)?;
            Ok(Created {
                id: payment.id,
                path: format!("contracts/{id}/payments"),
                record: payment,
            })
        })
        .await
}

/// List a contract's outcome measures
///
/// The measures the contract reports each quarter: its funding streams'
/// measures and its own.
#[utoipa::path(
    tag = "contracts",
    params(ContractPath),
    responses(
        (status = 200, body = Vec<crate::domain::outcome::OutcomeMeasure>),
        ReadErrors,
    )
)]
#[get("/contracts/{id}/outcome-measures")]
pub async fn list_measures(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ContractPath>,
) -> Result<HttpResponse, AppError> {
    actor.require(Permission::ReadMeasures)?;
    let id = path.id;
    let scope = actor.scope();
    let measures = state
        .db
        .read(move |conn| crate::db::outcomes::contract_measures(conn, &scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(measures))
}
