//! `commissioning demo`: an invented but realistic commissioning year for an
//! "Example" Police and Crime Commissioner, loaded into the configured
//! database so /docs and every report have something to show.
//!
//! The year is the five import files beside this module — the same files a
//! team would load with `commissioning import` — and then what a year does
//! that a spreadsheet does not: a contract ended early with its commitment
//! released and closed down, a payment made twice and reversed, a return
//! queried. Running it again changes nothing: the imports find their
//! records, and each step checks whether it was done.

use serde_json::json;

use crate::auth::{Actor, Role, Scope};
use crate::db::outcomes::{MeasureFilter, ReturnFilter};
use crate::db::{self, Db, DbConn};
use crate::domain::contract::{
    Contract, ContractStatus, FundingLineInput, NewReversal, NewVariation,
};
use crate::domain::due::{DueRule, DueRuleKind};
use crate::domain::field::{Field, ShortText};
use crate::domain::id::{ContractId, OrganisationId, ProviderId};
use crate::domain::outcome::{NewOutcomeMeasure, NewOutcomeReturn, OutcomeReturn, ReturnStatus};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, FiscalQuarter, Period, Quarter};
use crate::import::{self, table::Format, ImportKind};
use crate::ops::contracts::{lifecycle, payments};
use crate::ops::organisations;
use crate::ops::outcomes::{measures, returns};
use crate::ops::version::{Once, Seen};
use crate::ops::{Caller, Page};

/// The demo organisation's name; a second run finds it by name.
pub const ORGANISATION: &str = "Example Police and Crime Commissioner";

/// The provider whose token the demo prints.
const PROVIDER: &str = "Harbour Light Advocacy";

const FILES: [(ImportKind, &str); 5] = [
    (
        ImportKind::FundingStreams,
        include_str!("funding-streams.csv"),
    ),
    (ImportKind::Providers, include_str!("providers.csv")),
    (ImportKind::Awards, include_str!("awards.csv")),
    (ImportKind::Payments, include_str!("payments.csv")),
    (
        ImportKind::OutcomeReturns,
        include_str!("outcome-returns.csv"),
    ),
];

/// What the demo loaded, for the command line to print.
#[derive(Debug)]
pub struct Loaded {
    pub organisation_id: OrganisationId,
    pub provider_id: ProviderId,
    pub provider_name: &'static str,
    /// (kind, rows created, rows unchanged)
    pub imports: Vec<(ImportKind, usize, usize)>,
}

/// Loads the year through the same use cases the API runs, each step in
/// its own transaction; a run stopped half way is finished by the next.
pub async fn load(store: &Db) -> Result<Loaded, AppError> {
    let found = organisations::all(store)
        .await?
        .into_iter()
        .find(|o| o.name == ORGANISATION);
    let organisation_id = match found {
        Some(found) => found.id,
        None => {
            let name = ShortText::parse(ORGANISATION)
                .map_err(|e| AppError::internal("demo organisation name", e))?;
            organisations::create(store, name).await?.id
        }
    };
    let actor = |role| Actor {
        subject: "demo".to_owned(),
        organisation_id,
        role,
        provider_id: None,
    };
    let admin = Caller::new(store.clone(), actor(Role::Admin));
    let commissioner = Caller::new(store.clone(), actor(Role::Commissioner));
    let finance = Caller::new(store.clone(), actor(Role::Finance));
    set_up_organisation(&admin).await?;
    let mut imports = Vec::new();
    for (kind, csv) in FILES {
        if kind == ImportKind::OutcomeReturns {
            define_measures(&commissioner).await?;
        }
        let table = import::read(csv.as_bytes(), Format::Csv, kind)?;
        let summary = crate::ops::imports::import(&admin, kind, table, false, |_| {}).await?;
        imports.push((kind, summary.created, summary.unchanged));
    }
    end_early_and_close(&commissioner, &finance).await?;
    reverse_the_double_payment(&finance).await?;
    query_a_return(&commissioner).await?;
    let provider_id = store
        .read(move |conn| provider_named(conn, organisation_id))
        .await?;
    Ok(Loaded {
        organisation_id,
        provider_id,
        provider_name: PROVIDER,
        imports,
    })
}

/// The organisation's return due rule and (illustrative) publication
/// identifiers; publication stays off. Set once: a second run finds them.
async fn set_up_organisation(admin: &Caller) -> Result<(), AppError> {
    const ORG_ID: &str = "GB-GOR-PC000000";
    const GRANT_PREFIX: &str = "360G-demo-opcc";
    const OCID_PREFIX: &str = "ocds-demo00";
    let current = crate::ops::read::<crate::domain::organisation::Organisation>(
        admin,
        admin.organisation_id(),
    )
    .await?;
    let settings = &current.publication;
    let done = current.details().return_due == Some(DueRule::EndOfFollowingMonth)
        && settings.org_id.as_deref() == Some(ORG_ID)
        && settings.grant_prefix.as_deref() == Some(GRANT_PREFIX)
        && settings.ocid_prefix.as_deref() == Some(OCID_PREFIX);
    if done {
        return Ok(());
    }
    organisations::change(
        admin,
        admin.organisation_id(),
        Seen::Any,
        body(json!({
            // Many funders ask for returns by the end of the following month.
            "return_due_rule": DueRuleKind::EndOfFollowingMonth,
            "publication": {
                "org_id": ORG_ID,
                "grant_prefix": GRANT_PREFIX,
                "ocid_prefix": OCID_PREFIX,
            },
        }))?,
    )
    .await?;
    Ok(())
}

/// The provider whose token the demo prints.
fn provider_named(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
) -> Result<ProviderId, AppError> {
    db::providers::list(
        conn,
        &Scope::organisation(organisation_id),
        &db::providers::ProviderFilter {
            name: Some(PROVIDER.to_owned()),
            ..Default::default()
        },
        1,
        0,
    )?
    .0
    .into_iter()
    .next()
    .map(|p| p.id)
    .ok_or(AppError::NotFound("provider"))
}

/// "Better able to cope", reported for the victims' streams.
async fn define_measures(commissioner: &Caller) -> Result<(), AppError> {
    let organisation_id = commissioner.organisation_id();
    let codes = ["VSS", "CORE"];
    let streams = commissioner
        .db()
        .read(move |conn| {
            db::imports::stream_ids_by_code(conn, organisation_id, &codes.map(str::to_owned))
        })
        .await?;
    for code in codes {
        let stream = *streams
            .get(code)
            .ok_or(AppError::NotFound("funding stream"))?;
        let filter = MeasureFilter {
            funding_stream_id: Some(stream),
            contract_id: None,
        };
        let (defined, _) = measures::list(
            commissioner,
            filter,
            Page {
                limit: 10,
                offset: 0,
            },
        )
        .await?;
        if defined.iter().any(|m| m.code == "better_cope") {
            continue;
        }
        let measure: NewOutcomeMeasure = body(json!({
            "funding_stream_id": stream,
            "code": "better_cope",
            "label": "Feel better able to cope and recover",
            "unit": "people",
        }))?;
        measures::define(commissioner, Once::unkeyed(), measure).await?;
    }
    Ok(())
}

/// The id of the demo's contract with this reference.
async fn contract_id(caller: &Caller, reference: &'static str) -> Result<ContractId, AppError> {
    let organisation_id = caller.organisation_id();
    caller
        .db()
        .read(move |conn| {
            db::imports::contracts_by_reference(conn, organisation_id, &[reference.to_owned()])
        })
        .await?
        .remove(reference)
        .and_then(|found| found.into_iter().next())
        .map(|c| c.id)
        .ok_or(AppError::NotFound("contract"))
}

/// The family mediation service closed at the end of September 2022: its
/// commitment after that is released, and once its final invoice was paid
/// its value is brought down to what was spent.
async fn end_early_and_close(commissioner: &Caller, finance: &Caller) -> Result<(), AppError> {
    let id = contract_id(commissioner, "CSF-22-02").await?;
    let before = crate::ops::read::<Contract>(finance, id).await?;
    if before.status != ContractStatus::Active {
        return Ok(());
    }
    lifecycle::change_status(
        commissioner,
        id,
        Seen::Any,
        Once::unkeyed(),
        body(json!({
            "status": "ended",
            "reason": "The provider closed the service when its lead mediator left",
            "decision_reference": "OPCC.D.071.22",
            "effective_date": "2022-09-30",
            "release_commitment": true,
        }))?,
    )
    .await?;
    let ended = crate::ops::read::<Contract>(finance, id).await?;
    let stream = ended
        .funding_lines
        .first()
        .map(|l| l.funding_stream_id)
        .ok_or(AppError::NotFound("funding line"))?;
    let spent = ended.paid;
    let year = FinancialYear::parse("2022-23").map_err(|e| AppError::internal("demo year", e))?;
    lifecycle::vary(
        commissioner,
        id,
        Seen::Any,
        Once::unkeyed(),
        NewVariation {
            funding_lines: Some(vec![FundingLineInput::for_year(stream, year, spent)]),
            ..body(json!({
                "value": spent,
                "reason": "Closing adjustment to the final spend",
                "decision_reference": "OPCC.D.071.22",
            }))?
        },
    )
    .await?;
    Ok(())
}

/// Brightwater Dads' first half-year was paid twice in May 2022; finance
/// reversed the second in June.
/// A request body read as the API reads one: the demo's inputs pass the
/// same parse as any caller's.
fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| AppError::internal("demo request body", e))
}

async fn reverse_the_double_payment(finance: &Caller) -> Result<(), AppError> {
    let id = contract_id(finance, "VSS-22-04").await?;
    let recorded = payments::list(finance, id).await?;
    let Some(twice) = recorded
        .iter()
        .find(|p| p.reference.as_deref() == Some("REM-1004-DUP"))
    else {
        return Ok(());
    };
    if twice.reversed_by_payment_id.is_some() {
        return Ok(());
    }
    payments::reverse(
        finance,
        id,
        twice.id,
        Once::unkeyed(),
        body::<NewReversal>(json!({
            "reversed_on": "2022-06-02",
            "reason": "Paid twice: REM-1004 had already been paid the day before",
            "reference": "CN-0042",
        }))?,
    )
    .await?;
    Ok(())
}

/// Brightwater Dads' Q2 return came in on paper without its referrals;
/// the commissioner entered it, submitted it and queried it, each step
/// done once. (Not in the returns file, which would submit it again on
/// every load.)
async fn query_a_return(commissioner: &Caller) -> Result<(), AppError> {
    let id = contract_id(commissioner, "VSS-22-04").await?;
    let year = FinancialYear::parse("2022-23").map_err(|e| AppError::internal("demo year", e))?;
    let q2 = FiscalQuarter {
        year,
        quarter: Quarter::Q2,
    };
    let entered = match return_for(commissioner, id, q2).await? {
        Some(entered) => entered,
        None => {
            let input: NewOutcomeReturn = body(json!({
                "contract_id": id,
                "financial_year": year.to_string(),
                "quarter": "Q2",
                "people_supported": 14,
                "spend": "6300.00",
                "received_on": "2022-10-28",
                "values": [{"code": "better_cope", "value": 10}]
            }))?;
            returns::create(commissioner, Once::unkeyed(), input).await?;
            return_for(commissioner, id, q2)
                .await?
                .ok_or(AppError::NotFound("outcome return"))?
        }
    };
    if entered.status == ReturnStatus::Draft {
        returns::submit(commissioner, entered.id, Seen::Any, Once::unkeyed()).await?;
    }
    let submitted = crate::ops::read::<OutcomeReturn>(commissioner, entered.id).await?;
    if submitted.status == ReturnStatus::Submitted {
        returns::query(
            commissioner,
            entered.id,
            Seen::Any,
            Once::unkeyed(),
            body(json!({
                "comment": "Referrals are missing for Q2: how many did the project receive?",
            }))?,
        )
        .await?;
    }
    Ok(())
}

/// The contract's return for the quarter, if it has one.
async fn return_for(
    actor: &Caller,
    contract_id: ContractId,
    quarter: FiscalQuarter,
) -> Result<Option<OutcomeReturn>, AppError> {
    let filter = ReturnFilter {
        contract_id: Some(contract_id),
        period: Some(Period::Quarter(quarter)),
        ..Default::default()
    };
    let (found, _) = returns::list(
        actor,
        filter,
        Page {
            limit: 1,
            offset: 0,
        },
    )
    .await?;
    Ok(found.into_iter().next())
}
