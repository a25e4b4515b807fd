//! What the publications read: whether the organisation publishes, its
//! awarded contracts and grants with their lines, history and payments, and
//! the payments of a period, for a publisher `ops::publication` has checked.
//! Withheld records are counted here and never leave.

use crate::domain::id::{
    ContractId, FundingStreamId, OrganisationId, PaymentId, ProviderId, VariationId,
};
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::contracts::lines;
use super::schema::{
    contract_publication as cp, contract_variations as cv, contracts as c, funding_streams as fs,
    organisations, payments as p, providers as pr,
};
use super::sum::sum_pence;
use super::{now, DbConn};
use crate::domain::checked::Checked;
use crate::domain::contract::{ContractKind, ContractStatus, VariationKind};
use crate::domain::provider::org_ids;
use crate::domain::publication::details::{award_date, ProcurementRoute, PublicationDetails};
use crate::domain::publication::source::{
    Change, Line, Paid, Period, Publisher, Recipient, Record, Source, Spend, SpendItem, Stream,
};
use crate::error::AppError;
use crate::money::Money;

/// How much of each record a document shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Its terms, funding lines and what has been paid.
    Terms,
    /// Those, its history of changes and each payment (OCDS).
    History,
}

/// Which contracts a document takes from its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Those awarded in it (360Giving, OCDS, the grants register).
    AwardedIn,
    /// Those running at any time in it (the contracts register).
    RunningIn,
}

/// The organisation as publisher, and when its settings last changed: the
/// oldest a document's last change can be.
#[derive(Debug, Clone)]
pub struct Publishing {
    pub organisation_id: OrganisationId,
    pub publisher: Publisher,
    pub settings_changed: DateTime<Utc>,
}

/// Whether the organisation has switched publication on (false when it
/// does not exist).
pub fn is_public(conn: &mut DbConn, organisation_id: OrganisationId) -> Result<bool, AppError> {
    let enabled: Option<bool> = organisations::table
        .find(organisation_id)
        .select(organisations::publication_enabled)
        .first(conn)
        .optional()?;
    Ok(enabled == Some(true))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = cp)]
struct DetailsRow {
    description: Option<String>,
    procurement_route: Option<ProcurementRoute>,
    sme: Option<bool>,
    vcse: Option<bool>,
    beneficiary_locations: String,
    grant_conditions: Option<String>,
    grant_reasons: Option<String>,
    awarded_on: Option<NaiveDate>,
    review_date: Option<NaiveDate>,
    withheld: bool,
    withheld_reason: Option<String>,
    updated_at: NaiveDateTime,
}

impl DetailsRow {
    fn details(self) -> Result<PublicationDetails, AppError> {
        let beneficiary_locations = serde_json::from_str(&self.beneficiary_locations)
            .map_err(|e| AppError::internal("stored beneficiary locations", e))?;
        Ok(PublicationDetails {
            description: self.description,
            procurement_route: self.procurement_route,
            sme: self.sme,
            vcse: self.vcse,
            beneficiary_locations,
            grant_conditions: self.grant_conditions,
            grant_reasons: self.grant_reasons,
            awarded_on: self.awarded_on,
            review_date: self.review_date,
            withheld: self.withheld,
            withheld_reason: self.withheld_reason,
        })
    }
}

/// A contract's publication details and when they last changed; the
/// defaults (nothing recorded, not withheld) when none are recorded.
pub fn details(
    conn: &mut DbConn,
    contract_id: ContractId,
) -> Result<(PublicationDetails, Option<DateTime<Utc>>), AppError> {
    let row: Option<DetailsRow> = cp::table
        .find(contract_id)
        .select(DetailsRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => {
            let at = row.updated_at.and_utc();
            Ok((row.details()?, Some(at)))
        }
        None => Ok((PublicationDetails::default(), None)),
    }
}

/// Replaces a contract's publication details (the caller holds its lock).
pub fn set_details(
    conn: &mut DbConn,
    contract_id: ContractId,
    details: &Checked<PublicationDetails>,
) -> Result<(), AppError> {
    let locations = serde_json::to_string(&details.beneficiary_locations)
        .map_err(|e| AppError::internal("beneficiary locations", e))?;
    let values = (
        cp::description.eq(&details.description),
        cp::procurement_route.eq(details.procurement_route),
        cp::sme.eq(details.sme),
        cp::vcse.eq(details.vcse),
        cp::beneficiary_locations.eq(&locations),
        cp::grant_conditions.eq(&details.grant_conditions),
        cp::grant_reasons.eq(&details.grant_reasons),
        cp::awarded_on.eq(details.awarded_on),
        cp::review_date.eq(details.review_date),
        cp::withheld.eq(details.withheld),
        cp::withheld_reason.eq(&details.withheld_reason),
        cp::updated_at.eq(now()),
    );
    let updated = diesel::update(cp::table.find(contract_id))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(cp::table)
            .values((cp::contract_id.eq(contract_id), values))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = c)]
struct ContractPart {
    id: ContractId,
    reference: Option<String>,
    title: String,
    purpose: Option<String>,
    start_date: NaiveDate,
    end_date: NaiveDate,
    value_pence: i64,
    status: ContractStatus,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = pr)]
struct ProviderPart {
    id: ProviderId,
    name: String,
    org_id: Option<String>,
    charity_number: Option<String>,
    company_number: Option<String>,
    updated_at: NaiveDateTime,
}

impl ProviderPart {
    /// The recorded org-id, else one from its numbers, else one under the
    /// publisher's 360Giving prefix (as 360Giving asks for an organisation
    /// with no registered identifier).
    fn recipient(&self, publisher: &Publisher) -> Recipient {
        let org_id = org_ids(
            self.org_id.as_deref(),
            self.charity_number.as_deref(),
            self.company_number.as_deref(),
        )
        .into_iter()
        .next()
        .unwrap_or_else(|| format!("{}-{}", publisher.ids.grant_prefix, self.id));
        Recipient {
            name: self.name.clone(),
            org_id,
            charity_number: self.charity_number.clone(),
            company_number: self.company_number.clone(),
        }
    }
}

/// The organisation's funding streams by id.
fn streams(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
) -> Result<HashMap<FundingStreamId, Stream>, AppError> {
    let rows: Vec<(FundingStreamId, String, String, String)> = fs::table
        .filter(fs::organisation_id.eq(organisation_id))
        .select((fs::id, fs::code, fs::name, fs::funder))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, name, funder)| (id, Stream { code, name, funder }))
        .collect())
}

fn stream(
    streams: &HashMap<FundingStreamId, Stream>,
    id: FundingStreamId,
) -> Result<Stream, AppError> {
    streams
        .get(&id)
        .cloned()
        .ok_or_else(|| AppError::internal("a funding line's stream", MissingStream))
}

#[derive(Debug, thiserror::Error)]
#[error("a funding stream of the organisation was not found")]
struct MissingStream;

/// The awarded contracts (or grants) of `kind` that `selection` takes from
/// the period, with withheld ones counted and left out.
pub fn source(
    conn: &mut DbConn,
    publishing: &Publishing,
    kind: ContractKind,
    selection: Selection,
    period: Period,
    depth: Depth,
) -> Result<Source, AppError> {
    let Publishing {
        organisation_id,
        publisher,
        settings_changed,
    } = publishing.clone();
    type Row = (ContractPart, ProviderPart, Option<DetailsRow>);
    let rows: Vec<Row> = c::table
        .inner_join(pr::table)
        .left_join(cp::table)
        .filter(c::organisation_id.eq(organisation_id))
        .filter(c::kind.eq(kind))
        .filter(c::status.eq_any(ContractStatus::AWARDED))
        .order(c::id)
        .select((
            ContractPart::as_select(),
            ProviderPart::as_select(),
            Option::<DetailsRow>::as_select(),
        ))
        .load(conn)?;
    let activations: HashMap<ContractId, NaiveDateTime> = cv::table
        .inner_join(c::table)
        .filter(c::organisation_id.eq(organisation_id))
        .filter(c::kind.eq(kind))
        .filter(cv::kind.eq(VariationKind::Activation))
        .select((cv::contract_id, cv::recorded_at))
        .load::<(ContractId, NaiveDateTime)>(conn)?
        .into_iter()
        .collect();
    let mut modified = settings_changed;
    let mut withheld = 0;
    let mut chosen = Vec::new();
    for (contract, provider, stored) in rows {
        let details_changed = stored.as_ref().map(|d| d.updated_at.and_utc());
        let details = stored
            .map(DetailsRow::details)
            .transpose()?
            .unwrap_or_default();
        let awarded_on = award_date(
            details.awarded_on,
            activations.get(&contract.id).map(NaiveDateTime::date),
            contract.start_date,
        );
        let in_period = match selection {
            Selection::AwardedIn => period.contains(awarded_on),
            Selection::RunningIn => period.overlaps(contract.start_date, contract.end_date),
        };
        if !in_period {
            continue;
        }
        let changed = [
            Some(contract.updated_at.and_utc()),
            Some(provider.updated_at.and_utc()),
            details_changed,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(settings_changed);
        modified = modified.max(changed);
        if details.withheld {
            withheld += 1;
            continue;
        }
        chosen.push(Record {
            recipient: provider.recipient(&publisher),
            id: contract.id,
            reference: contract.reference,
            title: contract.title,
            purpose: contract.purpose,
            start_date: contract.start_date,
            end_date: contract.end_date,
            value: Money::from_pence(contract.value_pence),
            status: contract.status,
            awarded_on,
            lines: Vec::new(),
            changes: Vec::new(),
            payments: Vec::new(),
            paid: Money::ZERO,
            details,
            modified: changed,
        });
    }
    fill_in(conn, organisation_id, &mut chosen, depth)?;
    for record in &chosen {
        modified = modified.max(record.modified);
    }
    Ok(Source {
        publisher,
        period,
        records: chosen,
        withheld,
        modified,
    })
}

/// Adds each record's funding lines and what has been paid (summed in the
/// database), and at `Depth::History` its changes and each payment.
fn fill_in(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    records: &mut [Record],
    depth: Depth,
) -> Result<(), AppError> {
    let streams = streams(conn, organisation_id)?;
    let index: HashMap<ContractId, usize> =
        records.iter().enumerate().map(|(n, r)| (r.id, n)).collect();
    let ids: Vec<ContractId> = records.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(500) {
        let at = |contract_id: ContractId| index.get(&contract_id).copied();
        for line in lines::rows_of(conn, chunk)? {
            if let Some(n) = at(line.contract_id) {
                records[n].lines.push(Line {
                    id: line.id,
                    stream: stream(&streams, line.funding_stream_id)?,
                    financial_year: line.financial_year,
                    amount: Money::from_pence(line.amount_pence),
                });
            }
        }
        let paid: Vec<(ContractId, Option<i64>, Option<NaiveDateTime>)> = p::table
            .filter(p::contract_id.eq_any(chunk))
            .group_by(p::contract_id)
            .select((
                p::contract_id,
                sum_pence(p::amount_pence),
                diesel::dsl::max(p::created_at),
            ))
            .load(conn)?;
        for (contract_id, pence, last) in paid {
            if let Some(n) = at(contract_id) {
                let record = &mut records[n];
                record.paid = Money::from_pence(pence.unwrap_or(0));
                if let Some(last) = last {
                    record.modified = record.modified.max(last.and_utc());
                }
            }
        }
        if depth == Depth::History {
            history(conn, chunk, &at, records)?;
        }
    }
    Ok(())
}

/// Adds the records' changes and payments, oldest first.
fn history(
    conn: &mut DbConn,
    chunk: &[ContractId],
    at: &impl Fn(ContractId) -> Option<usize>,
    records: &mut [Record],
) -> Result<(), AppError> {
    type ChangeRow = (
        ContractId,
        VariationId,
        VariationKind,
        i64,
        i64,
        NaiveDate,
        NaiveDate,
        String,
        Option<String>,
        NaiveDateTime,
    );
    let changes: Vec<ChangeRow> = cv::table
        .filter(cv::contract_id.eq_any(chunk))
        .order((cv::contract_id, cv::recorded_at, cv::id))
        .select((
            cv::contract_id,
            cv::id,
            cv::kind,
            cv::value_before_pence,
            cv::value_after_pence,
            cv::end_date_before,
            cv::end_date_after,
            cv::reason,
            cv::decision_reference,
            cv::recorded_at,
        ))
        .load(conn)?;
    for (contract_id, id, kind, before, after, end_before, end_after, reason, decision, at_time) in
        changes
    {
        if let Some(n) = at(contract_id) {
            records[n].changes.push(Change {
                id,
                kind,
                value_before: Money::from_pence(before),
                value_after: Money::from_pence(after),
                end_date_before: end_before,
                end_date_after: end_after,
                reason,
                decision_reference: decision,
                recorded_at: at_time.and_utc(),
            });
        }
    }
    let payments: Vec<(ContractId, PaymentId, NaiveDate, i64)> = p::table
        .filter(p::contract_id.eq_any(chunk))
        .order((p::contract_id, p::paid_on, p::created_at, p::id))
        .select((p::contract_id, p::id, p::paid_on, p::amount_pence))
        .load(conn)?;
    for (contract_id, id, paid_on, pence) in payments {
        if let Some(n) = at(contract_id) {
            records[n].payments.push(Paid {
                id,
                paid_on,
                amount: Money::from_pence(pence),
            });
        }
    }
    Ok(())
}

/// The payments of the period on published records: those over the
/// threshold either way listed, the rest counted and summed in the
/// database, and those on withheld records counted.
pub fn spend(
    conn: &mut DbConn,
    publishing: &Publishing,
    period: Period,
) -> Result<Spend, AppError> {
    let Publishing {
        organisation_id,
        publisher,
        settings_changed,
    } = publishing.clone();
    let threshold = publisher.spend_threshold.pence();
    // Every period lies within these (and both backends store them).
    let all = (
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default(),
    );
    let (start, end) = period
        .dates()
        .map_or(all, |range| (range.start(), range.end()));
    macro_rules! in_period {
        () => {
            p::table
                .inner_join(c::table.inner_join(pr::table).left_join(cp::table))
                .filter(c::organisation_id.eq(organisation_id))
                .filter(p::paid_on.ge(start))
                .filter(p::paid_on.le(end))
        };
    }
    let not_withheld = cp::withheld
        .nullable()
        .eq(false)
        .or(cp::withheld.nullable().is_null());
    let over = p::amount_pence
        .gt(threshold)
        .or(p::amount_pence.lt(-threshold));
    type ItemRow = (
        (
            PaymentId,
            NaiveDate,
            i64,
            Option<String>,
            FundingStreamId,
            NaiveDateTime,
        ),
        (
            ContractId,
            Option<String>,
            String,
            ContractKind,
            NaiveDateTime,
        ),
        ProviderPart,
    );
    let rows: Vec<ItemRow> = in_period!()
        .filter(not_withheld)
        .filter(over)
        .order((p::paid_on, p::id))
        .select((
            (
                p::id,
                p::paid_on,
                p::amount_pence,
                p::reference,
                p::funding_stream_id,
                p::created_at,
            ),
            (c::id, c::reference, c::title, c::kind, c::updated_at),
            ProviderPart::as_select(),
        ))
        .load(conn)?;
    let (under_count, under_pence): (i64, Option<i64>) = in_period!()
        .filter(not_withheld)
        .filter(p::amount_pence.le(threshold))
        .filter(p::amount_pence.ge(-threshold))
        .select((diesel::dsl::count_star(), sum_pence(p::amount_pence)))
        .first(conn)?;
    let withheld: i64 = in_period!()
        .filter(cp::withheld.nullable().eq(true))
        .count()
        .get_result(conn)?;
    let last_paid: Option<NaiveDateTime> = in_period!()
        .select(diesel::dsl::max(p::created_at))
        .first(conn)?;
    let streams = streams(conn, organisation_id)?;
    let mut modified = settings_changed.max(last_paid.map_or(settings_changed, |at| at.and_utc()));
    let mut items = Vec::with_capacity(rows.len());
    for ((id, paid_on, pence, reference, stream_id, _), contract, provider) in rows {
        let (contract_id, contract_reference, contract_title, contract_kind, contract_changed) =
            contract;
        modified = modified
            .max(contract_changed.and_utc())
            .max(provider.updated_at.and_utc());
        items.push(SpendItem {
            id,
            paid_on,
            amount: Money::from_pence(pence),
            reference,
            recipient: provider.recipient(&publisher),
            contract_id,
            contract_reference,
            contract_title,
            contract_kind,
            stream: stream(&streams, stream_id)?,
        });
    }
    Ok(Spend {
        publisher,
        period,
        items,
        under_threshold_count: usize::try_from(under_count).unwrap_or(0),
        under_threshold_amount: Money::from_pence(under_pence.unwrap_or(0)),
        withheld: usize::try_from(withheld).unwrap_or(0),
        modified,
    })
}
