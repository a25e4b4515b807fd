//! What an awarded contract commits, quarter by quarter: each funding line
//! (stream × financial year × amount) spread over the quarters of its year
//! that the contract period covers. The year split is the one the funding
//! lines state; only the split within a year is derived, pro rata by days,
//! with largest-remainder rounding so the quarters add back to the line to
//! the penny.

use crate::domain::contract::FundingLine;
use crate::fiscal::{profile_by_quarter, DateRange, FinancialYear, Quarter};
use crate::money::Money;

/// One funding line's share in one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentQuarter {
    pub funding_line_id: String,
    pub funding_stream_id: String,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    pub amount: Money,
}

/// Profiles every line of a contract running over `period`.
pub fn profile_lines(period: DateRange, lines: &[FundingLine]) -> Vec<CommitmentQuarter> {
    lines
        .iter()
        .flat_map(|line| {
            let year = line.financial_year.date_range();
            // Validation keeps every line's year within the period; should a
            // stored line fall outside it, spread it over its whole year
            // rather than drop the money.
            let covered = period.intersect(&year).unwrap_or(year);
            profile_by_quarter(line.amount, covered)
                .into_iter()
                .map(move |part| CommitmentQuarter {
                    funding_line_id: line.id.clone(),
                    funding_stream_id: line.funding_stream_id.clone(),
                    financial_year: part.period.year,
                    quarter: part.period.quarter,
                    amount: part.amount,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn line(id: &str, year: &str, amount: &str) -> FundingLine {
        FundingLine {
            id: id.to_owned(),
            funding_stream_id: "stream".to_owned(),
            financial_year: FinancialYear::parse(year).unwrap(),
            amount: Money::parse(amount).unwrap(),
        }
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
}
