//! What an awarded contract commits, quarter by quarter: each funding line
//! (stream × financial year × amount) spread over the quarters of its year
//! that the contract period covers. The year split is the one the funding
//! lines state; only the split within a year is derived, pro rata by days,
//! with largest-remainder rounding so the quarters add back to the line to
//! the penny.

use crate::domain::contract::FundingLine;
use crate::domain::id::{FundingLineId, FundingStreamId};
use chrono::NaiveDate;

use crate::fiscal::{profile_by_quarter, DateRange, FinancialYear, FiscalQuarter, Quarter};
use crate::money::{apportion, Money, MoneyError};

/// One funding line's share in one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentQuarter {
    pub funding_line_id: FundingLineId,
    pub funding_stream_id: FundingStreamId,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    pub amount: Money,
}

/// Profiles every line of a contract running over `period`. A line that
/// states its own quarterly schedule commits it as given.
pub fn profile_lines(period: DateRange, lines: &[FundingLine]) -> Vec<CommitmentQuarter> {
    lines
        .iter()
        .flat_map(|line| -> Vec<CommitmentQuarter> {
            if let Some(quarters) = &line.quarters {
                return quarters
                    .iter()
                    .filter(|share| share.amount.is_positive())
                    .map(|share| CommitmentQuarter {
                        funding_line_id: line.id,
                        funding_stream_id: line.funding_stream_id,
                        financial_year: line.financial_year,
                        quarter: share.quarter,
                        amount: share.amount,
                    })
                    .collect();
            }
            let year = line.financial_year.date_range();
            // Validation keeps every line's year within the period; should a
            // stored line fall outside it, spread it over its whole year
            // rather than drop the money.
            let covered = period.intersect(&year).unwrap_or(year);
            profile_by_quarter(line.amount, covered)
                .into_iter()
                .map(move |part| CommitmentQuarter {
                    funding_line_id: line.id,
                    funding_stream_id: line.funding_stream_id,
                    financial_year: part.period.year,
                    quarter: part.period.quarter,
                    amount: part.amount,
                })
                .collect()
        })
        .collect()
}

/// What each funding line keeps when the contract ends early on `last_day`
/// and the commitment after that day is released: every profiled quarter
/// that ends by then, and of the quarter it falls in the share of its days
/// up to and including it (largest remainder, so kept and released add back
/// to the quarter's amount). Ending on a quarter end therefore releases
/// exactly what the reports show committed to the quarters after it.
/// `parts` is the contract's commitment as [`profile_lines`] gives it over
/// `period`; the result has one entry per line in `parts`, some perhaps zero.
pub fn kept_until(
    parts: &[CommitmentQuarter],
    period: DateRange,
    last_day: NaiveDate,
) -> Result<Vec<(FundingLineId, Money)>, MoneyError> {
    let mut kept: Vec<(FundingLineId, Money)> = Vec::new();
    for part in kept_parts(parts, period, last_day)? {
        match kept.iter_mut().find(|(id, _)| *id == part.funding_line_id) {
            Some((_, total)) => *total = total.checked_add(part.amount)?,
            None => kept.push((part.funding_line_id, part.amount)),
        }
    }
    Ok(kept)
}

/// Each part of the commitment as [`kept_until`] keeps it.
pub fn kept_parts(
    parts: &[CommitmentQuarter],
    period: DateRange,
    last_day: NaiveDate,
) -> Result<Vec<CommitmentQuarter>, MoneyError> {
    let mut kept = Vec::with_capacity(parts.len());
    for part in parts {
        let quarter = FiscalQuarter {
            year: part.financial_year,
            quarter: part.quarter,
        };
        let share = match period.intersect(&quarter.date_range()) {
            Some(covered) if covered.end() <= last_day => part.amount,
            Some(covered) if covered.start() <= last_day => {
                let kept_days = (last_day - covered.start()).num_days().unsigned_abs() + 1;
                let released_days = covered.days().saturating_sub(kept_days);
                apportion(part.amount, &[kept_days, released_days])?
                    .first()
                    .copied()
                    .unwrap_or(part.amount)
            }
            _ => Money::ZERO,
        };
        kept.push(CommitmentQuarter {
            amount: share,
            ..part.clone()
        });
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, year: &str, amount: &str) -> FundingLine {
        FundingLine {
            id: id.into(),
            funding_stream_id: "stream".into(),
            financial_year: FinancialYear::parse(year).unwrap(),
            amount: Money::parse(amount).unwrap(),
            quarters: None,
            profiled: false,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn period(start: &str, end: &str) -> DateRange {
        DateRange::new(
            NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap(),
            NaiveDate::parse_from_str(end, "%Y-%m-%d").unwrap(),
        )
        .unwrap()
    }

    fn amounts(parts: &[CommitmentQuarter]) -> Vec<(String, Quarter, String)> {
        parts
            .iter()
            .map(|p| {
                (
                    p.financial_year.to_string(),
                    p.quarter,
                    p.amount.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_full_year_line_is_spread_by_days_over_four_quarters() {
        // 2022-23: Q1 91 days, Q2 92, Q3 92, Q4 90; 365 in all.
        let parts = profile_lines(
            period("2022-04-01", "2023-03-31"),
            &[line("a", "2022-23", "36500.00")],
        );
        assert_eq!(
            amounts(&parts),
            vec![
                ("2022-23".into(), Quarter::Q1, "9100.00".into()),
                ("2022-23".into(), Quarter::Q2, "9200.00".into()),
                ("2022-23".into(), Quarter::Q3, "9200.00".into()),
                ("2022-23".into(), Quarter::Q4, "9000.00".into()),
            ]
        );
    }

    #[test]
    fn lines_keep_their_stated_year_and_cover_only_the_period() {
        // A contract from 1 October 2022 to 30 June 2023: the 2022-23 line
        // falls in Q3 and Q4 only, the 2023-24 line in Q1 only.
        let parts = profile_lines(
            period("2022-10-01", "2023-06-30"),
            &[
                line("a", "2022-23", "1000.00"),
                line("b", "2023-24", "250.01"),
            ],
        );
        assert_eq!(
            amounts(&parts),
            vec![
                ("2022-23".into(), Quarter::Q3, "505.49".into()),
                ("2022-23".into(), Quarter::Q4, "494.51".into()),
                ("2023-24".into(), Quarter::Q1, "250.01".into()),
            ]
        );
    }

    #[test]
    fn quarters_add_back_to_each_line_to_the_penny() {
        let lines = [
            line("a", "2022-23", "213940.00"),
            line("b", "2023-24", "0.03"),
        ];
        let parts = profile_lines(period("2022-05-17", "2024-02-09"), &lines);
        for l in &lines {
            let sum = Money::sum(
                parts
                    .iter()
                    .filter(|p| p.funding_line_id == l.id)
                    .map(|p| p.amount),
            )
            .unwrap();
            assert_eq!(sum, l.amount);
        }
    }

    #[test]
    fn an_early_end_keeps_the_quarters_served_and_the_days_of_the_last() {
        let contract = period("2022-04-01", "2024-03-31");
        let lines = [
            line("a", "2022-23", "36500.00"),
            line("b", "2023-24", "36600.00"),
        ];
        let parts = profile_lines(contract, &lines);
        // Ending on 30 September 2022 keeps Q1 and Q2 of the first year,
        // exactly the quarters the reports commit: 9100 + 9200.
        let kept = kept_until(&parts, contract, date("2022-09-30")).unwrap();
        assert_eq!(
            kept,
            vec![
                ("a".into(), Money::parse("18300.00").unwrap()),
                ("b".into(), Money::ZERO)
            ]
        );
        // Mid-quarter: 15 of Q3's 92 days are kept, 9200 * 15 / 92 = 1500.00 (1500.0000).
        let kept = kept_until(&parts, contract, date("2022-10-15")).unwrap();
        assert_eq!(kept[0].1, Money::parse("19800.00").unwrap());
        // The last day itself keeps everything.
        let kept = kept_until(&parts, contract, date("2024-03-31")).unwrap();
        assert_eq!(kept[1].1, Money::parse("36600.00").unwrap());
    }
}
