//! The SQL behind the reports: every figure is a `SUM` or `COUNT` grouped in
//! the database, read back as a few hundred rows at most per stream, and put
//! together by `domain::report` (in `ops::reports`). The statements are plain SQL shared by both
//! backends (only the placeholder style differs), so both give the same
//! figures.

use crate::domain::id::{EntityId, FundingStreamId, OrganisationId, ProviderId, RecordId};
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{pg::Pg, sqlite::Sqlite};

use super::DbConn;
use crate::domain::funding_stream::BudgetStatus;
use crate::domain::outcome::MeasureUnit;
use crate::domain::report::budget::BudgetSums;
use crate::domain::report::outcomes::{GroupName, MeasureSum, OutcomeSums, PeriodSum};
use crate::domain::report::providers::ProviderSums;
use crate::domain::report::{
    BudgetFilter, OutcomeFilter, OutcomeGrouping, ProviderFilter, StreamName,
};
use crate::error::AppError;
use crate::fiscal::{FinancialYear, Quarter, YearRange};
use crate::money::Money;

/// A statement built from SQL text and text parameters. Written with `?`
/// placeholders; PostgreSQL gets them numbered.
struct Statement {
    text: String,
    binds: Vec<String>,
}

impl Statement {
    /// A statement for one organisation: `text` holds its `?`.
    fn for_organisation(text: &str, organisation_id: OrganisationId) -> Statement {
        Statement {
            text: text.to_owned(),
            binds: vec![organisation_id.to_string()],
        }
    }

    fn sql(mut self, text: &str) -> Statement {
        self.text.push(' ');
        self.text.push_str(text);
        self
    }

    /// Appends `text`, whose one `?` takes `value`.
    fn bind(mut self, text: &str, value: &str) -> Statement {
        self.binds.push(value.to_owned());
        self.sql(text)
    }

    /// Appends `text` with a `?` when the id is present.
    fn bind_opt<I: EntityId>(self, text: &str, id: Option<I>) -> Statement {
        match id {
            Some(id) => self.bind(text, id.as_str()),
            None => self,
        }
    }

    /// Appends `column IN (?, ?, …)` for the years of the range.
    fn in_years(mut self, column: &str, years: YearRange) -> Statement {
        let years: Vec<String> = years.years().iter().map(ToString::to_string).collect();
        let marks = vec!["?"; years.len()].join(", ");
        self.binds.extend(years);
        self.sql(&format!("AND {column} IN ({marks})"))
    }

    fn load<T>(self, conn: &mut DbConn) -> Result<Vec<T>, AppError>
    where
        T: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
    {
        Ok(match conn {
            DbConn::Postgres(pg) => {
                let mut text = String::with_capacity(self.text.len() + 16);
                for (n, part) in self.text.split('?').enumerate() {
                    if n > 0 {
                        text.push_str(&format!("${n}"));
                    }
                    text.push_str(part);
                }
                bind_all(diesel::sql_query(text).into_boxed(), self.binds).load(pg)?
            }
            DbConn::Sqlite(lite) => {
                bind_all(diesel::sql_query(self.text).into_boxed(), self.binds).load(lite)?
            }
        })
    }
}

fn bind_all<DB>(
    mut query: BoxedSqlQuery<'static, DB, diesel::query_builder::SqlQuery>,
    binds: Vec<String>,
) -> BoxedSqlQuery<'static, DB, diesel::query_builder::SqlQuery>
where
    String: diesel::serialize::ToSql<Text, DB>,
    DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<Text>,
{
    for value in binds {
        query = query.bind::<Text, _>(value);
    }
    query
}

fn count(stored: i64) -> Result<u32, AppError> {
    u32::try_from(stored).map_err(|e| AppError::internal(format!("count {stored}"), e))
}

#[derive(QueryableByName)]
struct NameRow<I> {
    #[diesel(sql_type = Text)]
    id: I,
    #[diesel(sql_type = Nullable<Text>)]
    code: Option<String>,
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct BudgetRow {
    #[diesel(sql_type = Text)]
    stream: FundingStreamId,
    #[diesel(sql_type = Text)]
    year: FinancialYear,
    #[diesel(sql_type = Text)]
    status: BudgetStatus,
    #[diesel(sql_type = BigInt)]
    pence: i64,
}

#[derive(QueryableByName)]
struct QuarterRow {
    #[diesel(sql_type = Text)]
    stream: FundingStreamId,
    #[diesel(sql_type = Text)]
    year: FinancialYear,
    #[diesel(sql_type = Text)]
    quarter: Quarter,
    #[diesel(sql_type = BigInt)]
    pence: i64,
}

fn streams(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    stream_id: Option<FundingStreamId>,
) -> Result<Vec<StreamName>, AppError> {
    let rows: Vec<NameRow<FundingStreamId>> = Statement::for_organisation(
        "SELECT id, code, name FROM funding_streams WHERE organisation_id = ?",
        organisation_id,
    )
    .bind_opt("AND id = ?", stream_id)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| StreamName {
            id: r.id,
            code: r.code.unwrap_or_default(),
            name: r.name,
        })
        .collect())
}

/// Sums `amount_pence` of `table` (commitment_quarters or payments) per
/// stream, year and quarter for the organisation's streams.
fn quarter_sums(
    conn: &mut DbConn,
    table: &str,
    organisation_id: OrganisationId,
    filter: &BudgetFilter,
) -> Result<Vec<(FundingStreamId, FinancialYear, Quarter, Money)>, AppError> {
    let rows: Vec<QuarterRow> = Statement::for_organisation(
        &format!(
        "SELECT t.funding_stream_id AS stream, t.financial_year AS year, t.quarter AS quarter, \
         CAST(SUM(t.amount_pence) AS BIGINT) AS pence \
         FROM {table} t JOIN funding_streams s ON s.id = t.funding_stream_id \
         WHERE s.organisation_id = ?"
    ),
        organisation_id,
    )
    .in_years("t.financial_year", filter.years)
    .bind_opt("AND s.id = ?", filter.funding_stream_id)
    .sql("GROUP BY t.funding_stream_id, t.financial_year, t.quarter")
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.stream, r.year, r.quarter, Money::from_pence(r.pence)))
        .collect())
}

/// The figures of the budget report, summed in the database.
pub fn budget_sums(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &BudgetFilter,
) -> Result<BudgetSums, AppError> {
    let streams = streams(conn, organisation_id, filter.funding_stream_id)?;
    let budgets: Vec<BudgetRow> = Statement::for_organisation(
        "SELECT b.funding_stream_id AS stream, b.financial_year AS year, b.status AS status, \
         b.amount_pence AS pence \
         FROM stream_budgets b JOIN funding_streams s ON s.id = b.funding_stream_id \
         WHERE s.organisation_id = ?",
        organisation_id,
    )
    .in_years("b.financial_year", filter.years)
    .bind_opt("AND s.id = ?", filter.funding_stream_id)
    .load(conn)?;
    let budgets = budgets
        .into_iter()
        .map(|r| (r.stream, r.year, r.status, Money::from_pence(r.pence)))
        .collect();
    Ok(BudgetSums {
        streams,
        budgets,
        committed: quarter_sums(conn, "commitment_quarters", organisation_id, filter)?,
        paid: quarter_sums(conn, "payments", organisation_id, filter)?,
    })
}

#[derive(QueryableByName)]
struct AwardRow {
    #[diesel(sql_type = Text)]
    provider: ProviderId,
    #[diesel(sql_type = Text)]
    stream: FundingStreamId,
    #[diesel(sql_type = BigInt)]
    contracts: i64,
    #[diesel(sql_type = BigInt)]
    pence: i64,
}

#[derive(QueryableByName)]
struct ContractCountRow {
    #[diesel(sql_type = Text)]
    provider: ProviderId,
    #[diesel(sql_type = BigInt)]
    contracts: i64,
}

#[derive(QueryableByName)]
struct PaidRow {
    #[diesel(sql_type = Text)]
    provider: ProviderId,
    #[diesel(sql_type = Text)]
    stream: FundingStreamId,
    #[diesel(sql_type = BigInt)]
    pence: i64,
}

/// Awarded commitment of the organisation's providers in the years.
fn commitments_of(
    organisation_id: OrganisationId,
    filter: &ProviderFilter,
    select: &str,
) -> Statement {
    Statement::for_organisation(
        &format!(
            "SELECT {select} FROM commitment_quarters q JOIN providers p ON p.id = q.provider_id \
         WHERE p.organisation_id = ?"
        ),
        organisation_id,
    )
    .in_years("q.financial_year", filter.years)
    .bind_opt("AND q.provider_id = ?", filter.provider_id)
    .bind_opt("AND q.funding_stream_id = ?", filter.funding_stream_id)
}

/// The figures of the provider report, summed in the database.
pub fn provider_sums(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &ProviderFilter,
) -> Result<ProviderSums, AppError> {
    let awarded: Vec<AwardRow> = commitments_of(
        organisation_id,
        filter,
        "q.provider_id AS provider, q.funding_stream_id AS stream, \
         COUNT(DISTINCT q.contract_id) AS contracts, CAST(SUM(q.amount_pence) AS BIGINT) AS pence",
    )
    .sql("GROUP BY q.provider_id, q.funding_stream_id")
    .load(conn)?;
    let contracts: Vec<ContractCountRow> = commitments_of(
        organisation_id,
        filter,
        "q.provider_id AS provider, COUNT(DISTINCT q.contract_id) AS contracts",
    )
    .sql("GROUP BY q.provider_id")
    .load(conn)?;
    let paid: Vec<PaidRow> = Statement::for_organisation(
        "SELECT c.provider_id AS provider, pay.funding_stream_id AS stream, \
         CAST(SUM(pay.amount_pence) AS BIGINT) AS pence \
         FROM payments pay JOIN contracts c ON c.id = pay.contract_id \
         WHERE c.organisation_id = ?",
        organisation_id,
    )
    .in_years("pay.financial_year", filter.years)
    .bind_opt("AND c.provider_id = ?", filter.provider_id)
    .bind_opt("AND pay.funding_stream_id = ?", filter.funding_stream_id)
    .sql("GROUP BY c.provider_id, pay.funding_stream_id")
    .load(conn)?;
    let providers: Vec<NameRow<ProviderId>> = Statement::for_organisation(
        "SELECT id, CAST(NULL AS TEXT) AS code, name FROM providers WHERE organisation_id = ?",
        organisation_id,
    )
    .bind_opt("AND id = ?", filter.provider_id)
    .load(conn)?;
    Ok(ProviderSums {
        providers: providers.into_iter().map(|p| (p.id, p.name)).collect(),
        streams: streams(conn, organisation_id, filter.funding_stream_id)?,
        awarded: awarded
            .into_iter()
            .map(|r| {
                Ok((
                    r.provider,
                    r.stream,
                    count(r.contracts)?,
                    Money::from_pence(r.pence),
                ))
            })
            .collect::<Result<_, AppError>>()?,
        contracts: contracts
            .into_iter()
            .map(|r| Ok((r.provider, count(r.contracts)?)))
            .collect::<Result<_, AppError>>()?,
        paid: paid
            .into_iter()
            .map(|r| (r.provider, r.stream, Money::from_pence(r.pence)))
            .collect(),
    })
}

/// The columns [`accepted_returns`] begins every row with: the group (none
/// for the totals), the year and the quarter.
#[derive(QueryableByName)]
struct ReturnsKey {
    #[diesel(sql_type = Nullable<Text>)]
    grp: Option<RecordId>,
    #[diesel(sql_type = Text)]
    year: FinancialYear,
    #[diesel(sql_type = Text)]
    quarter: Quarter,
}

#[derive(QueryableByName)]
struct PeriodRow {
    #[diesel(embed)]
    key: ReturnsKey,
    #[diesel(sql_type = BigInt)]
    returns: i64,
    #[diesel(sql_type = BigInt)]
    referrals: i64,
    #[diesel(sql_type = BigInt)]
    referrals_reported: i64,
    #[diesel(sql_type = BigInt)]
    people: i64,
    #[diesel(sql_type = BigInt)]
    people_reported: i64,
    #[diesel(sql_type = BigInt)]
    spend: i64,
}

#[derive(QueryableByName)]
struct MeasureRow {
    #[diesel(embed)]
    key: ReturnsKey,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    unit: MeasureUnit,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
    #[diesel(sql_type = BigInt)]
    returns: i64,
    #[diesel(sql_type = BigInt)]
    paired_value: i64,
    #[diesel(sql_type = BigInt)]
    paired_people: i64,
    #[diesel(sql_type = BigInt)]
    paired_returns: i64,
}

/// Accepted returns of the organisation in the years, filtered, joined as
/// the grouping needs. `None` groups nothing: every return counts once.
fn accepted_returns(
    organisation_id: OrganisationId,
    filter: &OutcomeFilter,
    grouping: Option<OutcomeGrouping>,
    select: &str,
    extra_join: &str,
) -> Statement {
    let key = match grouping {
        Some(OutcomeGrouping::Stream) => "fl.funding_stream_id",
        Some(OutcomeGrouping::Provider) => "c.provider_id",
        Some(OutcomeGrouping::Contract) => "r.contract_id",
        None => "CAST(NULL AS TEXT)",
    };
    // Grouping by stream joins the lines funding the contract in the
    // return's year (one per stream); otherwise a stream filter only asks
    // that such a line exists, so each return counts once.
    let by_stream = grouping == Some(OutcomeGrouping::Stream);
    let lines_join = if by_stream {
        "JOIN funding_lines fl ON fl.contract_id = r.contract_id \
         AND fl.financial_year = r.financial_year"
    } else {
        ""
    };
    let statement = Statement::for_organisation(
        &format!(
            "SELECT {key} AS grp, r.financial_year AS year, r.quarter AS quarter, {select} \
         FROM outcome_returns r JOIN contracts c ON c.id = r.contract_id {lines_join} {extra_join} \
         WHERE r.organisation_id = ? AND r.status = 'accepted'"
        ),
        organisation_id,
    )
    .in_years("r.financial_year", filter.years)
    .bind_opt("AND c.provider_id = ?", filter.provider_id)
    .bind_opt("AND r.contract_id = ?", filter.contract_id);
    let stream = filter.funding_stream_id;
    let statement = if by_stream {
        statement.bind_opt("AND fl.funding_stream_id = ?", stream)
    } else {
        statement.bind_opt(
            "AND EXISTS (SELECT 1 FROM funding_lines f WHERE f.contract_id = r.contract_id \
             AND f.financial_year = r.financial_year AND f.funding_stream_id = ?)",
            stream,
        )
    };
    let group = if grouping.is_some() {
        format!("{key}, ")
    } else {
        String::new()
    };
    statement.sql(&format!("GROUP BY {group}r.financial_year, r.quarter"))
}

fn outcome_periods(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &OutcomeFilter,
    grouping: Option<OutcomeGrouping>,
) -> Result<(Vec<PeriodSum>, Vec<MeasureSum>), AppError> {
    let periods: Vec<PeriodRow> = accepted_returns(
        organisation_id,
        filter,
        grouping,
        "COUNT(*) AS returns, \
         CAST(COALESCE(SUM(r.referrals), 0) AS BIGINT) AS referrals, \
         COUNT(r.referrals) AS referrals_reported, \
         CAST(COALESCE(SUM(r.people_supported), 0) AS BIGINT) AS people, \
         COUNT(r.people_supported) AS people_reported, \
         CAST(SUM(r.spend_pence) AS BIGINT) AS spend",
        "",
    )
    .load(conn)?;
    let measures: Vec<MeasureRow> = accepted_returns(
        organisation_id,
        filter,
        grouping,
        // Not reported (NULL) is not zero: sums and counts skip it, and
        // a share pairs only returns that report both figures.
        "m.code AS code, m.unit AS unit, MIN(m.label) AS label, \
         CAST(COALESCE(SUM(v.value), 0) AS BIGINT) AS value, \
         COUNT(v.value) AS returns, \
         CAST(COALESCE(SUM(CASE WHEN r.people_supported IS NOT NULL THEN v.value END), 0) \
           AS BIGINT) AS paired_value, \
         CAST(COALESCE(SUM(CASE WHEN v.value IS NOT NULL THEN r.people_supported END), 0) \
           AS BIGINT) AS paired_people, \
         COUNT(CASE WHEN v.value IS NOT NULL AND r.people_supported IS NOT NULL THEN 1 END) \
           AS paired_returns",
        "JOIN outcome_return_values v ON v.outcome_return_id = r.id \
         JOIN outcome_measures m ON m.id = v.outcome_measure_id",
    )
    .sql(", m.code, m.unit")
    .load(conn)?;
    let periods = periods
        .into_iter()
        .map(|r| PeriodSum {
            group: r.key.grp,
            financial_year: r.key.year,
            quarter: r.key.quarter,
            returns: r.returns,
            referrals: r.referrals,
            referrals_reported: r.referrals_reported,
            people_supported: r.people,
            people_reported: r.people_reported,
            spend: Money::from_pence(r.spend),
        })
        .collect();
    let measures = measures
        .into_iter()
        .map(|r| MeasureSum {
            group: r.key.grp,
            financial_year: r.key.year,
            quarter: r.key.quarter,
            code: r.code,
            unit: r.unit,
            label: r.label,
            value: r.value,
            returns: r.returns,
            paired_value: r.paired_value,
            paired_people: r.paired_people,
            paired_returns: r.paired_returns,
        })
        .collect();
    Ok((periods, measures))
}

/// The figures of the outcomes report, summed in the database.
pub fn outcome_sums(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    filter: &OutcomeFilter,
) -> Result<OutcomeSums, AppError> {
    let (mut periods, mut measures) =
        outcome_periods(conn, organisation_id, filter, Some(filter.group_by))?;
    let (total_periods, total_measures) = outcome_periods(conn, organisation_id, filter, None)?;
    periods.extend(total_periods);
    measures.extend(total_measures);
    let names = match filter.group_by {
        OutcomeGrouping::Stream => {
            "SELECT id, code, name FROM funding_streams WHERE organisation_id = ?"
        }
        OutcomeGrouping::Provider => {
            "SELECT id, CAST(NULL AS TEXT) AS code, name FROM providers WHERE organisation_id = ?"
        }
        OutcomeGrouping::Contract => {
            "SELECT id, reference AS code, title AS name FROM contracts WHERE organisation_id = ?"
        }
    };
    let names: Vec<NameRow<RecordId>> =
        Statement::for_organisation(names, organisation_id).load(conn)?;
    Ok(OutcomeSums {
        groups: names
            .into_iter()
            .map(|n| GroupName {
                id: n.id,
                code: n.code,
                name: n.name,
            })
            .collect(),
        periods,
        measures,
    })
}
