//! The budget report: per funding stream and financial year, budget
//! (indicative and confirmed), committed, paid, uncommitted and unpaid
//! commitment, with the quarterly profile of commitment and payments.

use crate::domain::id::FundingStreamId;
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{add, sub, StreamName};
use crate::csv::{Cell, Csv};
use crate::domain::error::DomainError;
use crate::domain::funding_stream::BudgetStatus;
use crate::fiscal::{FinancialYear, Quarter, YearRange};
use crate::money::Money;

#[derive(Debug, Clone)]
pub struct BudgetFilter {
    pub years: YearRange,
    pub funding_stream_id: Option<FundingStreamId>,
}

/// What the database sums for the budget report.
#[derive(Debug, Clone, Default)]
pub struct BudgetSums {
    pub streams: Vec<StreamName>,
    /// (stream id, year, status, amount) for each budget set.
    pub budgets: Vec<(FundingStreamId, FinancialYear, BudgetStatus, Money)>,
    /// (stream id, year, quarter, amount) committed by awarded contracts.
    pub committed: Vec<(FundingStreamId, FinancialYear, Quarter, Money)>,
    /// (stream id, year, quarter, amount) paid.
    pub paid: Vec<(FundingStreamId, FinancialYear, Quarter, Money)>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetReport {
    pub from: FinancialYear,
    pub to: FinancialYear,
    /// One line per stream and year with a budget, commitment or payment,
    /// in stream code then year order.
    pub streams: Vec<StreamBudgetLine>,
    /// All streams together, per year.
    pub years: Vec<YearBudgetLine>,
    /// All streams over the whole range.
    pub total: BudgetFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StreamBudgetLine {
    pub funding_stream_id: FundingStreamId,
    pub funding_stream_code: String,
    pub funding_stream_name: String,
    pub financial_year: FinancialYear,
    /// Whether the year's budget is confirmed or only indicative; null
    /// when no budget is set.
    pub budget_status: Option<BudgetStatus>,
    #[serde(flatten)]
    pub figures: BudgetFigures,
    pub quarters: Vec<QuarterFigures>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearBudgetLine {
    pub financial_year: FinancialYear,
    #[serde(flatten)]
    pub figures: BudgetFigures,
    /// How many streams commit more than their budget this year.
    pub over_committed_streams: u32,
    pub quarters: Vec<QuarterFigures>,
}

/// The money figures of a report line. Negative `uncommitted` means over-committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct BudgetFigures {
    /// Budget not yet confirmed by the funder.
    pub budget_indicative: Money,
    pub budget_confirmed: Money,
    /// Indicative plus confirmed.
    pub budget: Money,
    /// Sum of the funding lines of awarded (not draft) contracts.
    pub committed: Money,
    /// Sum of payments made in the year.
    pub paid: Money,
    /// Budget minus committed.
    pub uncommitted: Money,
    /// Committed minus paid.
    pub unpaid_commitment: Money,
    /// Committed exceeds budget.
    pub over_committed: bool,
}

/// Commitment profiled into a quarter, and payments made in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuarterFigures {
    pub quarter: Quarter,
    pub committed: Money,
    pub paid: Money,
}

#[derive(Debug, Clone, Copy, Default)]
struct Accumulator {
    indicative: Money,
    confirmed: Money,
    status: Option<BudgetStatus>,
    committed: [Money; 4],
    paid: [Money; 4],
}

impl Accumulator {
    fn is_empty(&self) -> bool {
        self.status.is_none() && self.committed.iter().chain(&self.paid).all(|m| m.is_zero())
    }

    fn absorb(&mut self, other: &Accumulator) -> Result<(), DomainError> {
        self.indicative = add(self.indicative, other.indicative)?;
        self.confirmed = add(self.confirmed, other.confirmed)?;
        for q in 0..4 {
            self.committed[q] = add(self.committed[q], other.committed[q])?;
            self.paid[q] = add(self.paid[q], other.paid[q])?;
        }
        Ok(())
    }

    fn figures(&self) -> Result<BudgetFigures, DomainError> {
        let budget = add(self.indicative, self.confirmed)?;
        let committed = Money::sum(self.committed).map_err(super::too_large)?;
        let paid = Money::sum(self.paid).map_err(super::too_large)?;
        Ok(BudgetFigures {
            budget_indicative: self.indicative,
            budget_confirmed: self.confirmed,
            budget,
            committed,
            paid,
            uncommitted: sub(budget, committed)?,
            unpaid_commitment: sub(committed, paid)?,
            over_committed: committed > budget,
        })
    }

    fn quarters(&self) -> Vec<QuarterFigures> {
        Quarter::ALL
            .iter()
            .enumerate()
            .map(|(i, &quarter)| QuarterFigures {
                quarter,
                committed: self.committed[i],
                paid: self.paid[i],
            })
            .collect()
    }
}

fn quarter_index(quarter: Quarter) -> usize {
    usize::from(quarter.number() - 1)
}

impl BudgetReport {
    /// Puts the database's sums together into report lines and totals.
    pub fn assemble(years: YearRange, sums: BudgetSums) -> Result<BudgetReport, DomainError> {
        let mut cells: BTreeMap<(FundingStreamId, FinancialYear), Accumulator> = BTreeMap::new();
        for (stream, year, status, amount) in sums.budgets {
            let cell = cells.entry((stream, year)).or_default();
            cell.status = Some(status);
            match status {
                BudgetStatus::Indicative => cell.indicative = amount,
                BudgetStatus::Confirmed => cell.confirmed = amount,
            }
        }
        for (stream, year, quarter, amount) in sums.committed {
            let cell = cells.entry((stream, year)).or_default();
            cell.committed[quarter_index(quarter)] = amount;
        }
        for (stream, year, quarter, amount) in sums.paid {
            let cell = cells.entry((stream, year)).or_default();
            cell.paid[quarter_index(quarter)] = amount;
        }

        let mut streams = sums.streams;
        streams.sort_by(|a, b| a.code.cmp(&b.code));
        let mut lines = Vec::new();
        let mut by_year: BTreeMap<FinancialYear, (Accumulator, u32)> = years
            .years()
            .into_iter()
            .map(|y| (y, (Accumulator::default(), 0)))
            .collect();
        for stream in &streams {
            for year in years.years() {
                let Some(cell) = cells.get(&(stream.id, year)) else {
                    continue;
                };
                if cell.is_empty() {
                    continue;
                }
                let figures = cell.figures()?;
                if let Some((total, over)) = by_year.get_mut(&year) {
                    total.absorb(cell)?;
                    *over += u32::from(figures.over_committed);
                }
                lines.push(StreamBudgetLine {
                    funding_stream_id: stream.id,
                    funding_stream_code: stream.code.clone(),
                    funding_stream_name: stream.name.clone(),
                    financial_year: year,
                    budget_status: cell.status,
                    figures,
                    quarters: cell.quarters(),
                });
            }
        }

        let mut overall = Accumulator::default();
        let mut year_lines = Vec::new();
        for (year, (total, over)) in by_year {
            overall.absorb(&total)?;
            year_lines.push(YearBudgetLine {
                financial_year: year,
                figures: total.figures()?,
                over_committed_streams: over,
                quarters: total.quarters(),
            });
        }
        Ok(BudgetReport {
            from: years.from(),
            to: years.to(),
            streams: lines,
            years: year_lines,
            total: overall.figures()?,
        })
    }

    /// One row per stream and year, then one `total` row per year; amounts
    /// as plain decimals.
    pub fn to_csv(&self) -> String {
        let mut header = vec![
            "row",
            "financial_year",
            "funding_stream_id",
            "funding_stream_code",
            "funding_stream_name",
            "budget_status",
            "budget_indicative",
            "budget_confirmed",
            "budget",
            "committed",
            "paid",
            "uncommitted",
            "unpaid_commitment",
            "over_committed",
        ];
        header.extend([
            "committed_q1",
            "committed_q2",
            "committed_q3",
            "committed_q4",
            "paid_q1",
            "paid_q2",
            "paid_q3",
            "paid_q4",
        ]);
        let mut csv = Csv::new(&header);
        for line in &self.streams {
            let mut cells = vec![
                Cell::text("stream"),
                Cell::text(line.financial_year.to_string()),
                Cell::text(line.funding_stream_id.as_str()),
                Cell::text(&line.funding_stream_code),
                Cell::text(&line.funding_stream_name),
                Cell::optional_text(line.budget_status.map(BudgetStatus::as_str)),
            ];
            cells.extend(figure_cells(&line.figures, &line.quarters));
            csv.row(cells);
        }
        for line in &self.years {
            let mut cells = vec![
                Cell::text("total"),
                Cell::text(line.financial_year.to_string()),
                Cell::Empty,
                Cell::Empty,
                Cell::text("All streams"),
                Cell::Empty,
            ];
            cells.extend(figure_cells(&line.figures, &line.quarters));
            csv.row(cells);
        }
        csv.finish()
    }
}

fn figure_cells(figures: &BudgetFigures, quarters: &[QuarterFigures]) -> Vec<Cell> {
    let mut cells = vec![
        Cell::number(figures.budget_indicative),
        Cell::number(figures.budget_confirmed),
        Cell::number(figures.budget),
        Cell::number(figures.committed),
        Cell::number(figures.paid),
        Cell::number(figures.uncommitted),
        Cell::number(figures.unpaid_commitment),
        Cell::text(figures.over_committed.to_string()),
    ];
    cells.extend(quarters.iter().map(|q| Cell::number(q.committed)));
    cells.extend(quarters.iter().map(|q| Cell::number(q.paid)));
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn fy(s: &str) -> FinancialYear {
        FinancialYear::parse(s).unwrap()
    }

    fn stream(id: &str, code: &str) -> StreamName {
        StreamName {
            id: id.into(),
            code: code.to_owned(),
            name: format!("Stream {code}"),
        }
    }

    #[test]
    fn lines_derive_uncommitted_unpaid_and_the_over_committed_flag() {
        let year = fy("2022-23");
        let sums = BudgetSums {
            streams: vec![stream("s2", "SS"), stream("s1", "DA"), stream("s3", "IDLE")],
            budgets: vec![
                ("s1".into(), year, BudgetStatus::Confirmed, m("100.00")),
                ("s2".into(), year, BudgetStatus::Indicative, m("40.00")),
            ],
            committed: vec![
                ("s1".into(), year, Quarter::Q1, m("30.00")),
                ("s1".into(), year, Quarter::Q4, m("20.01")),
                ("s2".into(), year, Quarter::Q3, m("45.00")),
            ],
            paid: vec![("s2".into(), year, Quarter::Q4, m("22.50"))],
        };
        let report = BudgetReport::assemble(YearRange::single(year), sums).unwrap();
        let codes: Vec<&str> = report
            .streams
            .iter()
            .map(|l| l.funding_stream_code.as_str())
            .collect();
        assert_eq!(
            codes,
            ["DA", "SS"],
            "by code; a stream with nothing is left out"
        );

        let da = &report.streams[0].figures;
        assert_eq!(da.committed, m("50.01"));
        assert_eq!(da.uncommitted, m("49.99"));
        assert_eq!(da.unpaid_commitment, m("50.01"));
        assert!(!da.over_committed);

        let ss = &report.streams[1];
        assert_eq!(ss.budget_status, Some(BudgetStatus::Indicative));
        assert_eq!(ss.figures.budget_indicative, m("40.00"));
        assert_eq!(ss.figures.budget_confirmed, Money::ZERO);
        assert_eq!(ss.figures.uncommitted, m("-5.00"));
        assert!(ss.figures.over_committed);
        assert_eq!(ss.quarters[2].committed, m("45.00"));
        assert_eq!(ss.quarters[3].paid, m("22.50"));

        let total = &report.years[0];
        assert_eq!(total.figures.budget, m("140.00"));
        assert_eq!(total.figures.committed, m("95.01"));
        assert_eq!(total.over_committed_streams, 1);
        assert!(!total.figures.over_committed);
        assert_eq!(report.total, total.figures);
    }

    #[test]
    fn csv_has_a_row_per_line_and_per_year_total() {
        let year = fy("2022-23");
        let sums = BudgetSums {
            streams: vec![stream("s1", "VSS")],
            budgets: vec![("s1".into(), year, BudgetStatus::Confirmed, m("213940.00"))],
            committed: vec![("s1".into(), year, Quarter::Q2, m("35000.00"))],
            paid: vec![],
        };
        let csv = BudgetReport::assemble(YearRange::single(year), sums)
            .unwrap()
            .to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines.len(),
            4,
            "header, stream, total, and the final line end"
        );
        assert!(lines[0].starts_with("row,financial_year,funding_stream_id,funding_stream_code,"));
        assert_eq!(
            lines[1],
            format!(
                "stream,2022-23,{},VSS,Stream VSS,confirmed,0.00,213940.00,213940.00,35000.00,0.00,\
                 178940.00,35000.00,false,0.00,35000.00,0.00,0.00,0.00,0.00,0.00,0.00",
                FundingStreamId::from("s1")
            )
        );
        assert!(lines[2].starts_with("total,2022-23,,,All streams,,0.00,213940.00,"));
    }
}
