//! A contract's funding lines: stream × financial year × amount, as given
//! and as planned, and the rules they keep.

use super::*;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundingLine {
    pub id: FundingLineId,
    pub funding_stream_id: FundingStreamId,
    pub financial_year: FinancialYear,
    pub amount: Money,
    /// The line's own quarterly schedule, which the reports use as given;
    /// null when the year is profiled over its quarters by days.
    pub quarters: Option<Vec<QuarterShare>>,
    /// Whether the service spread this stream's amount over the contract's
    /// years (the line was given without a financial year).
    pub profiled: bool,
}

#[derive(Debug, Clone, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"funding_stream_id": "0193a4f2-6c1e-7b3d-9e5f-1a2b3c4d5e6f", "financial_year": "2022-23", "amount": "35000.00"}))]
pub struct FundingLineInput {
    pub funding_stream_id: FundingStreamId,
    /// The year this amount funds. Left out, the stream funds `amount` over
    /// the contract's whole period: the service spreads it over the years
    /// by days (largest remainder, placing pennies so every year fits its
    /// budget when the totals do), one stored line per year.
    #[serde(default)]
    pub financial_year: Option<FinancialYear>,
    pub amount: Money,
    /// The line's own quarterly schedule, summing exactly to `amount`, for
    /// a line with a financial year; quarters left out are zero. Without
    /// it, the year is profiled over its quarters by days.
    #[serde(default)]
    pub quarters: Option<Vec<QuarterShare>>,
}

impl FundingLineInput {
    /// A line for one year, with no schedule of its own.
    pub fn for_year(
        stream_id: FundingStreamId,
        year: FinancialYear,
        amount: Money,
    ) -> FundingLineInput {
        FundingLineInput {
            funding_stream_id: stream_id.to_owned(),
            financial_year: Some(year),
            amount,
            quarters: None,
        }
    }
}

/// A contract becomes active only when its funding lines sum exactly to its value.
pub fn check_fully_funded(value: Money, lines: &[Money]) -> Result<(), DomainError> {
    let funded = Money::sum(lines.iter().copied()).map_err(overflow)?;
    if funded != value {
        return Err(DomainError::field(
            "funding_lines",
            format!("the funding lines sum to {funded} but the contract value is {value}; they must be equal to activate"),
        ));
    }
    Ok(())
}

pub(super) fn check_lines_sum(
    checks: &mut Checks,
    lines: &[FundingLineInput],
    value: Money,
) -> Result<(), DomainError> {
    let funded = Money::sum(lines.iter().map(|l| l.amount)).map_err(overflow)?;
    checks.require(
        funded == value,
        "funding_lines",
        &format!("the funding lines sum to {funded} but the contract value would be {value}"),
    );
    Ok(())
}

/// The lines to store for `inputs` on a contract running over `period`
/// (see [`crate::domain::profile`]). `headroom(stream, year)` is what the
/// stream's budget has left that year, for placing a profiled line's pennies.
pub fn plan_lines(
    period: DateRange,
    inputs: &[FundingLineInput],
    headroom: impl Fn(FundingStreamId, FinancialYear) -> Option<Headroom>,
) -> Result<Vec<PlannedLine>, DomainError> {
    let mut planned = Vec::new();
    for input in inputs {
        match input.financial_year {
            Some(year) => planned.push(PlannedLine {
                funding_stream_id: input.funding_stream_id,
                financial_year: year,
                amount: input.amount,
                quarters: input.quarters.clone(),
                profiled: false,
            }),
            None => {
                let stream = input.funding_stream_id;
                let years = across_years(input.amount, period, |year| headroom(stream, year))
                    .map_err(overflow)?;
                // A year the period touches by too few days to earn a penny
                // gets no line.
                planned.extend(years.into_iter().filter(|(_, a)| a.is_positive()).map(
                    |(year, amount)| PlannedLine {
                        funding_stream_id: input.funding_stream_id,
                        financial_year: year,
                        amount,
                        quarters: None,
                        profiled: true,
                    },
                ));
            }
        }
    }
    Ok(planned)
}

/// A funding line added to a contract: a positive amount, in a financial
/// year the contract's period touches.
pub fn check_new_line(line: &FundingLineInput, period: DateRange) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    check_positive(&mut checks, "amount", line.amount);
    match line.financial_year {
        Some(year) => {
            check_line_year(&mut checks, "financial_year", year, period);
            check_quarters(&mut checks, "quarters", year, line, period);
        }
        None => checks.fail(
            "financial_year",
            "is required when adding one line; to spread a stream over the contract's years, \
             give the line without a year in the contract's funding_lines",
        ),
    }
    checks.finish(())
}

/// A stated quarterly schedule: each quarter once, none negative, summing
/// exactly to the line, and only in quarters the contract period touches.
pub(super) fn check_quarters(
    checks: &mut Checks,
    field: &str,
    year: FinancialYear,
    line: &FundingLineInput,
    period: DateRange,
) {
    let Some(quarters) = &line.quarters else {
        return;
    };
    for (i, share) in quarters.iter().enumerate() {
        let repeated = quarters[..i].iter().any(|q| q.quarter == share.quarter);
        checks.require(
            !repeated,
            &format!("{field}[{i}].quarter"),
            "each quarter may appear only once",
        );
        checks.require(
            !share.amount.is_negative(),
            &format!("{field}[{i}].amount"),
            "must not be negative",
        );
        let covered = FiscalQuarter {
            year,
            quarter: share.quarter,
        }
        .date_range()
        .intersect(&period)
        .is_some();
        checks.require(
            covered || !share.amount.is_positive(),
            &format!("{field}[{i}].quarter"),
            &format!("{year} {} is outside the contract period", share.quarter),
        );
    }
    match Money::sum(quarters.iter().map(|q| q.amount)) {
        Ok(sum) if sum == line.amount => {}
        Ok(sum) => checks.fail(
            field,
            format!("the quarters sum to {sum} but the line is {}", line.amount),
        ),
        Err(_) => checks.fail(field, "the quarters are too large"),
    }
}

/// A contract funds each stream × financial year by one line: a second is
/// refused, and the first's amount changed instead.
pub fn check_line_is_new(
    lines: &[FundingLine],
    line: &FundingLineInput,
) -> Result<(), DomainError> {
    let duplicate = lines.iter().find(|existing| {
        existing.funding_stream_id == line.funding_stream_id
            && line
                .financial_year
                .is_none_or(|y| y == existing.financial_year)
    });
    if let Some(existing) = duplicate {
        return Err(DomainError::conflict(
            ConflictCode::DuplicateFundingLine,
            format!(
                "the contract already has a line for this stream in {}; change its amount instead",
                existing.financial_year
            ),
        ));
    }
    Ok(())
}

/// A funding line's new amount.
pub fn check_line_amount(amount: Money) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    check_positive(&mut checks, "amount", amount);
    checks.finish(())
}

/// Every funding line a contract has must lie in a financial year its
/// (changed) period touches.
pub fn check_lines_within(lines: &[FundingLine], period: DateRange) -> Result<(), DomainError> {
    let mut checks = Checks::new();
    for (i, line) in lines.iter().enumerate() {
        check_line_year(
            &mut checks,
            &format!("funding_lines[{i}].financial_year"),
            line.financial_year,
            period,
        );
    }
    checks.finish(())
}

/// Each line must be positive, fall in a financial year the contract period
/// touches, and name each stream × year once.
pub fn check_funding_lines(
    checks: &mut Checks,
    field: &str,
    lines: &[FundingLineInput],
    period: Option<DateRange>,
) {
    for (i, line) in lines.iter().enumerate() {
        check_positive(checks, &format!("{field}[{i}].amount"), line.amount);
        match (line.financial_year, period) {
            (Some(year), Some(period)) => {
                check_line_year(
                    checks,
                    &format!("{field}[{i}].financial_year"),
                    year,
                    period,
                );
                check_quarters(
                    checks,
                    &format!("{field}[{i}].quarters"),
                    year,
                    line,
                    period,
                );
            }
            (None, _) if line.quarters.is_some() => checks.fail(
                format!("{field}[{i}].quarters"),
                "a line spread over the contract's years cannot state quarters; \
                 give each year its own line",
            ),
            _ => {}
        }
        // A line without a year covers every year of its stream.
        let repeated = lines[..i].iter().any(|other| {
            other.funding_stream_id == line.funding_stream_id
                && (other.financial_year.is_none()
                    || line.financial_year.is_none()
                    || other.financial_year == line.financial_year)
        });
        checks.require(
            !repeated,
            &format!("{field}[{i}]"),
            "each funding stream and financial year may appear only once",
        );
    }
}

pub fn check_line_year(checks: &mut Checks, field: &str, year: FinancialYear, period: DateRange) {
    let touches = period.financial_years().contains(&year);
    checks.require(
        touches,
        field,
        &format!(
            "{year} is outside the contract period {} to {}",
            period.start(),
            period.end()
        ),
    );
}
