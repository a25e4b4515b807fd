//! The outcomes report: what accepted returns say the money achieved —
//! referrals, people supported, spend and every outcome measure — summed per
//! stream, provider or contract, by quarter and year.
//!
//! A return counts towards each stream that funds its contract in the
//! return's financial year, so a contract part-funded by two streams shows
//! under both; the totals count every return once.

use crate::domain::id::{ContractId, FundingStreamId, ProviderId, RecordId};
use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::csv::{Cell, Csv};
use crate::domain::error::DomainError;
use crate::domain::outcome::MeasureUnit;
use crate::fiscal::{FinancialYear, Quarter, YearRange};
use crate::money::Money;

/// What each line of the outcomes report is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeGrouping {
    #[default]
    Stream,
    Provider,
    Contract,
}

impl OutcomeGrouping {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeGrouping::Stream => "stream",
            OutcomeGrouping::Provider => "provider",
            OutcomeGrouping::Contract => "contract",
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutcomeFilter {
    pub years: YearRange,
    pub group_by: OutcomeGrouping,
    pub funding_stream_id: Option<FundingStreamId>,
    pub provider_id: Option<ProviderId>,
    pub contract_id: Option<ContractId>,
}

/// A stream, provider or contract as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName {
    pub id: RecordId,
    /// Stream code or contract reference.
    pub code: Option<String>,
    pub name: String,
}

/// Sums of one quarter's accepted returns for a group (`None`: all returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodSum {
    pub group: Option<RecordId>,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    pub returns: i64,
    /// Sum over the returns that report referrals.
    pub referrals: i64,
    pub referrals_reported: i64,
    /// Sum over the returns that report people supported.
    pub people_supported: i64,
    pub people_reported: i64,
    pub spend: Money,
}

/// Sum of one measure over one quarter's accepted returns for a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureSum {
    pub group: Option<RecordId>,
    pub financial_year: FinancialYear,
    pub quarter: Quarter,
    pub code: String,
    pub unit: MeasureUnit,
    pub label: String,
    /// Sum over the returns that report the measure.
    pub value: i64,
    /// Returns that report the measure.
    pub returns: i64,
    /// The measure and people supported summed over only the returns that
    /// report both, which is what a share may rest on.
    pub paired_value: i64,
    pub paired_people: i64,
    pub paired_returns: i64,
}

/// What the database sums for the outcomes report.
#[derive(Debug, Clone, Default)]
pub struct OutcomeSums {
    pub groups: Vec<GroupName>,
    pub periods: Vec<PeriodSum>,
    pub measures: Vec<MeasureSum>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomesReport {
    pub from: FinancialYear,
    pub to: FinancialYear,
    pub group_by: OutcomeGrouping,
    /// One entry per stream, provider or contract with accepted returns.
    pub groups: Vec<OutcomeGroup>,
    /// Every accepted return once, whatever the grouping.
    pub total: Vec<OutcomePeriod>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeGroup {
    pub id: RecordId,
    /// The stream's code or the contract's reference.
    pub code: Option<String>,
    pub name: String,
    /// Each year in order, followed by its quarters.
    pub periods: Vec<OutcomePeriod>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OutcomePeriod {
    pub financial_year: FinancialYear,
    /// The quarter, or null for the whole year.
    pub quarter: Option<Quarter>,
    /// Accepted returns counted.
    pub returns: i64,
    /// Sum over the returns that report referrals (not reported is not zero).
    pub referrals: i64,
    /// How many returns report referrals.
    pub returns_reporting_referrals: i64,
    /// Sum over the returns that report people supported.
    pub people_supported: i64,
    /// How many returns report people supported.
    pub returns_reporting_people_supported: i64,
    pub spend: Money,
    pub measures: Vec<MeasureTotal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MeasureTotal {
    pub code: String,
    pub label: String,
    pub unit: MeasureUnit,
    /// A whole number for `count` and `people` measures, a decimal string for `money`.
    #[schema(schema_with = crate::domain::outcome::measure_value_schema)]
    pub value: Value,
    /// How many returns report the measure (its `value` sums those).
    pub returns: i64,
    /// For a `people` measure: the share of people supported who reported
    /// the outcome, to four decimal places ("0.7619" is 76.19%), over only
    /// the returns that report both the measure and people supported. Null
    /// for other units or when no such return supported anyone.
    #[schema(pattern = r"^[0-9]+\.[0-9]{4}$", example = "0.7619")]
    pub share_of_people_supported: Option<String>,
    /// How many returns the share rests on: those reporting both the
    /// measure and people supported.
    pub share_returns: i64,
}

/// Running sums of one measure.
#[derive(Debug, Clone)]
struct MeasureTally {
    label: String,
    unit: MeasureUnit,
    value: i64,
    returns: i64,
    paired_value: i64,
    paired_people: i64,
    paired_returns: i64,
}

impl MeasureTally {
    fn new(label: &str, unit: MeasureUnit) -> MeasureTally {
        MeasureTally {
            label: label.to_owned(),
            unit,
            value: 0,
            returns: 0,
            paired_value: 0,
            paired_people: 0,
            paired_returns: 0,
        }
    }

    fn add(&mut self, value: i64, returns: i64, paired: [i64; 3]) -> Result<(), DomainError> {
        self.value = checked(self.value, value)?;
        self.returns = checked(self.returns, returns)?;
        self.paired_value = checked(self.paired_value, paired[0])?;
        self.paired_people = checked(self.paired_people, paired[1])?;
        self.paired_returns = checked(self.paired_returns, paired[2])?;
        Ok(())
    }
}

/// Running sums for one group and one period.
#[derive(Debug, Clone, Default)]
struct Tally {
    returns: i64,
    referrals: i64,
    referrals_reported: i64,
    people_supported: i64,
    people_reported: i64,
    spend: Money,
    /// (code, unit) → sums
    measures: BTreeMap<(String, &'static str), MeasureTally>,
}

impl Tally {
    fn add_period(&mut self, sum: &PeriodSum) -> Result<(), DomainError> {
        self.returns = checked(self.returns, sum.returns)?;
        self.referrals = checked(self.referrals, sum.referrals)?;
        self.referrals_reported = checked(self.referrals_reported, sum.referrals_reported)?;
        self.people_supported = checked(self.people_supported, sum.people_supported)?;
        self.people_reported = checked(self.people_reported, sum.people_reported)?;
        self.spend = super::add(self.spend, sum.spend)?;
        Ok(())
    }

    fn add_measure(&mut self, sum: &MeasureSum) -> Result<(), DomainError> {
        self.measures
            .entry((sum.code.clone(), sum.unit.as_str()))
            .or_insert_with(|| MeasureTally::new(&sum.label, sum.unit))
            .add(
                sum.value,
                sum.returns,
                [sum.paired_value, sum.paired_people, sum.paired_returns],
            )
    }

    fn absorb(&mut self, other: &Tally) -> Result<(), DomainError> {
        self.returns = checked(self.returns, other.returns)?;
        self.referrals = checked(self.referrals, other.referrals)?;
        self.referrals_reported = checked(self.referrals_reported, other.referrals_reported)?;
        self.people_supported = checked(self.people_supported, other.people_supported)?;
        self.people_reported = checked(self.people_reported, other.people_reported)?;
        self.spend = super::add(self.spend, other.spend)?;
        for (key, m) in &other.measures {
            self.measures
                .entry(key.clone())
                .or_insert_with(|| MeasureTally::new(&m.label, m.unit))
                .add(
                    m.value,
                    m.returns,
                    [m.paired_value, m.paired_people, m.paired_returns],
                )?;
        }
        Ok(())
    }

    fn period(&self, financial_year: FinancialYear, quarter: Option<Quarter>) -> OutcomePeriod {
        OutcomePeriod {
            financial_year,
            quarter,
            returns: self.returns,
            referrals: self.referrals,
            returns_reporting_referrals: self.referrals_reported,
            people_supported: self.people_supported,
            returns_reporting_people_supported: self.people_reported,
            spend: self.spend,
            measures: self
                .measures
                .iter()
                .map(|((code, _), m)| MeasureTotal {
                    code: code.clone(),
                    label: m.label.clone(),
                    unit: m.unit,
                    value: m.unit.format_value(m.value),
                    returns: m.returns,
                    share_of_people_supported: share(m.unit, m.paired_value, m.paired_people),
                    share_returns: m.paired_returns,
                })
                .collect(),
        }
    }
}

fn checked(a: i64, b: i64) -> Result<i64, DomainError> {
    a.checked_add(b).ok_or(crate::domain::error::overflow(
        crate::money::MoneyError::Overflow,
    ))
}

/// `value / people_supported` to four places, for `people` measures.
pub fn share(unit: MeasureUnit, value: i64, people_supported: i64) -> Option<String> {
    if unit != MeasureUnit::People || people_supported <= 0 {
        return None;
    }
    let ratio = Decimal::from(value).checked_div(Decimal::from(people_supported))?;
    let rounded = ratio.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    Some(format!("{rounded:.4}"))
}

type Key = (FinancialYear, Quarter);

/// Each year of the data (in order) as a whole, followed by its quarters.
fn periods(tallies: &BTreeMap<Key, Tally>) -> Result<Vec<OutcomePeriod>, DomainError> {
    let mut out = Vec::new();
    let mut years: BTreeMap<FinancialYear, Vec<(Quarter, &Tally)>> = BTreeMap::new();
    for ((year, quarter), tally) in tallies {
        years.entry(*year).or_default().push((*quarter, tally));
    }
    for (year, quarters) in years {
        let mut whole = Tally::default();
        for (_, tally) in &quarters {
            whole.absorb(tally)?;
        }
        out.push(whole.period(year, None));
        out.extend(quarters.iter().map(|(q, t)| t.period(year, Some(*q))));
    }
    Ok(out)
}

impl OutcomesReport {
    pub fn assemble(
        filter: &OutcomeFilter,
        sums: OutcomeSums,
    ) -> Result<OutcomesReport, DomainError> {
        let mut by_group: BTreeMap<Option<RecordId>, BTreeMap<Key, Tally>> = BTreeMap::new();
        for sum in &sums.periods {
            by_group
                .entry(sum.group)
                .or_default()
                .entry((sum.financial_year, sum.quarter))
                .or_default()
                .add_period(sum)?;
        }
        for sum in &sums.measures {
            by_group
                .entry(sum.group)
                .or_default()
                .entry((sum.financial_year, sum.quarter))
                .or_default()
                .add_measure(sum)?;
        }
        let total = match by_group.remove(&None) {
            Some(tallies) => periods(&tallies)?,
            None => Vec::new(),
        };
        let mut names = sums.groups;
        names.sort_by(|a, b| {
            (a.code.as_deref(), &a.name, &a.id).cmp(&(b.code.as_deref(), &b.name, &b.id))
        });
        let mut groups = Vec::new();
        for name in names {
            let Some(tallies) = by_group.get(&Some(name.id)) else {
                continue;
            };
            groups.push(OutcomeGroup {
                id: name.id,
                code: name.code,
                name: name.name,
                periods: periods(tallies)?,
            });
        }
        Ok(OutcomesReport {
            from: filter.years.from(),
            to: filter.years.to(),
            group_by: filter.group_by,
            groups,
            total,
        })
    }

    /// One row per group and period (the year, then its quarters), then the
    /// `total` rows; a value and a share column for each measure reported.
    pub fn to_csv(&self) -> String {
        let mut measures: Vec<(String, MeasureUnit)> = Vec::new();
        for period in self
            .groups
            .iter()
            .flat_map(|g| &g.periods)
            .chain(&self.total)
        {
            for m in &period.measures {
                if !measures.iter().any(|(c, u)| *c == m.code && *u == m.unit) {
                    measures.push((m.code.clone(), m.unit));
                }
            }
        }
        measures.sort_by(|a, b| (&a.0, a.1.as_str()).cmp(&(&b.0, b.1.as_str())));
        let column = |code: &str, unit: MeasureUnit| {
            let ambiguous = measures.iter().filter(|(c, _)| c == code).count() > 1;
            if ambiguous {
                format!("{code}_{}", unit.as_str())
            } else {
                code.to_owned()
            }
        };
        let mut header: Vec<String> = [
            "row",
            "group_by",
            "id",
            "code",
            "name",
            "financial_year",
            "quarter",
            "returns",
            "referrals",
            "returns_reporting_referrals",
            "people_supported",
            "returns_reporting_people_supported",
            "spend",
        ]
        .map(str::to_owned)
        .to_vec();
        for (code, unit) in &measures {
            let name = column(code, *unit);
            header.push(format!("measure_{name}"));
            header.push(format!("returns_{name}"));
            header.push(format!("share_{name}"));
            header.push(format!("share_returns_{name}"));
        }
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut csv = Csv::new(&header);
        let mut write = |row: &str, group: Option<&OutcomeGroup>, period: &OutcomePeriod| {
            let mut cells = vec![
                Cell::text(row),
                Cell::text(self.group_by.as_str()),
                Cell::optional_text(group.map(|g| g.id.as_str())),
                Cell::optional_text(group.and_then(|g| g.code.as_deref())),
                Cell::text(group.map_or("All returns", |g| g.name.as_str())),
                Cell::text(period.financial_year.to_string()),
                Cell::optional_text(period.quarter.map(|q| q.to_string())),
                Cell::number(period.returns),
                Cell::number(period.referrals),
                Cell::number(period.returns_reporting_referrals),
                Cell::number(period.people_supported),
                Cell::number(period.returns_reporting_people_supported),
                Cell::number(period.spend),
            ];
            for (code, unit) in &measures {
                match period
                    .measures
                    .iter()
                    .find(|m| m.code == *code && m.unit == *unit)
                {
                    Some(m) => {
                        cells.push(measure_value_cell(&m.value));
                        cells.push(Cell::number(m.returns));
                        cells.push(
                            m.share_of_people_supported
                                .as_deref()
                                .map_or(Cell::Empty, decimal_cell),
                        );
                        cells.push(Cell::number(m.share_returns));
                    }
                    None => cells.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]),
                }
            }
            csv.row(cells);
        };
        for group in &self.groups {
            for period in &group.periods {
                write("group", Some(group), period);
            }
        }
        for period in &self.total {
            write("total", None, period);
        }
        csv.finish()
    }
}

/// A measure's total as a number cell: a whole number for `count` and
/// `people`, a decimal string for `money` (see [`MeasureUnit::format_value`]).
fn measure_value_cell(value: &Value) -> Cell {
    match value {
        Value::Number(n) => decimal_cell(&n.to_string()),
        Value::String(text) => decimal_cell(text),
        Value::Null => Cell::Empty,
        other => Cell::text(other.to_string()),
    }
}

/// Decimal text the report made (a money total, a share) as a number cell;
/// should it ever not be one, it is written as text, neutralised like any.
fn decimal_cell(text: &str) -> Cell {
    match text.parse::<Decimal>() {
        Ok(decimal) => Cell::number(decimal),
        Err(_) => Cell::text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_of_people_supported_to_four_places() {
        assert_eq!(
            share(MeasureUnit::People, 104, 148).as_deref(),
            Some("0.7027")
        );
        assert_eq!(
            share(MeasureUnit::People, 21, 30).as_deref(),
            Some("0.7000")
        );
        // 1/8 = 0.125 exactly; 1/16 = 0.0625; 1/32 = 0.03125 rounds half up.
        assert_eq!(share(MeasureUnit::People, 1, 32).as_deref(), Some("0.0313"));
        assert_eq!(share(MeasureUnit::People, 0, 5).as_deref(), Some("0.0000"));
        assert_eq!(share(MeasureUnit::People, 3, 0), None);
        assert_eq!(share(MeasureUnit::Count, 3, 5), None);
        assert_eq!(share(MeasureUnit::Money, 300, 5), None);
    }

    #[test]
    fn years_sum_their_quarters_and_totals_stand_apart() {
        let year = FinancialYear::parse("2022-23").unwrap();
        let period = |group: Option<&str>, quarter, returns, people| PeriodSum {
            group: group.map(RecordId::from),
            financial_year: year,
            quarter,
            returns,
            referrals: returns * 10,
            referrals_reported: returns,
            people_supported: people,
            people_reported: returns,
            spend: Money::from_pence(100),
        };
        // Every return here reports both the measure and people supported.
        let measure = |group: Option<&str>, quarter, value, people| MeasureSum {
            group: group.map(RecordId::from),
            financial_year: year,
            quarter,
            code: "better_cope".to_owned(),
            unit: MeasureUnit::People,
            label: "Better able to cope".to_owned(),
            value,
            returns: 1,
            paired_value: value,
            paired_people: people,
            paired_returns: 1,
        };
        let sums = OutcomeSums {
            groups: vec![GroupName {
                id: "s1".into(),
                code: Some("VSS".to_owned()),
                name: "Victims".to_owned(),
            }],
            periods: vec![
                period(Some("s1"), Quarter::Q1, 1, 30),
                period(Some("s1"), Quarter::Q2, 2, 118),
                period(None, Quarter::Q1, 1, 30),
                period(None, Quarter::Q2, 3, 126),
            ],
            measures: vec![
                measure(Some("s1"), Quarter::Q1, 21, 30),
                measure(Some("s1"), Quarter::Q2, 83, 118),
                measure(None, Quarter::Q2, 88, 126),
            ],
        };
        let filter = OutcomeFilter {
            years: YearRange::single(year),
            group_by: OutcomeGrouping::Stream,
            funding_stream_id: None,
            provider_id: None,
            contract_id: None,
        };
        let report = OutcomesReport::assemble(&filter, sums).unwrap();
        let periods = &report.groups[0].periods;
        assert_eq!(
            periods.iter().map(|p| p.quarter).collect::<Vec<_>>(),
            [None, Some(Quarter::Q1), Some(Quarter::Q2)]
        );
        let whole = &periods[0];
        assert_eq!((whole.returns, whole.people_supported), (3, 148));
        assert_eq!(whole.spend, Money::from_pence(200));
        assert_eq!(whole.measures[0].value, Value::from(104));
        assert_eq!(
            whole.measures[0].share_of_people_supported.as_deref(),
            Some("0.7027")
        );
        assert_eq!(report.total[0].returns, 4);
        assert_eq!(report.total[0].measures[0].value, Value::from(88));
    }

    #[test]
    fn a_share_rests_only_on_returns_reporting_both_figures() {
        // The case from a real year: 177 better able to cope over returns
        // where only some reported people supported (68 of them). The
        // returns that did not report people supported add nothing to
        // either side: 60 of the 177 came with the 68.
        let year = FinancialYear::parse("2022-23").unwrap();
        let sums = OutcomeSums {
            groups: Vec::new(),
            periods: vec![PeriodSum {
                group: None,
                financial_year: year,
                quarter: Quarter::Q1,
                returns: 3,
                referrals: 90,
                referrals_reported: 2,
                people_supported: 68,
                people_reported: 1,
                spend: Money::from_pence(0),
            }],
            measures: vec![MeasureSum {
                group: None,
                financial_year: year,
                quarter: Quarter::Q1,
                code: "better_cope".to_owned(),
                unit: MeasureUnit::People,
                label: "Better able to cope".to_owned(),
                value: 177,
                returns: 3,
                paired_value: 60,
                paired_people: 68,
                paired_returns: 1,
            }],
        };
        let filter = OutcomeFilter {
            years: YearRange::single(year),
            group_by: OutcomeGrouping::Provider,
            funding_stream_id: None,
            provider_id: None,
            contract_id: None,
        };
        let report = OutcomesReport::assemble(&filter, sums).unwrap();
        let whole = &report.total[0];
        assert_eq!(
            (
                whole.returns_reporting_referrals,
                whole.returns_reporting_people_supported
            ),
            (2, 1)
        );
        let m = &whole.measures[0];
        assert_eq!((m.value.clone(), m.returns), (Value::from(177), 3));
        assert_eq!(m.share_of_people_supported.as_deref(), Some("0.8824"));
        assert_eq!(m.share_returns, 1);
    }
}
