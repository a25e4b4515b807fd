//! When a quarter's outcome returns are due. A rule may be set on an
//! organisation, a funding stream or a contract: `N days after quarter end`
//! or `end of the following month`. A contract's own rule wins; else the
//! rules of the streams funding it (the earliest date among them, so no
//! funder's deadline is missed); else its organisation's; else one calendar
//! month after the quarter ends.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text::Checks;
use super::text_enum::text_enum;
use crate::fiscal::FiscalQuarter;

/// How a due date is worked out from the end of a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueRuleKind {
    /// `return_due_days` days after the quarter ends.
    DaysAfterQuarterEnd,
    /// The last day of the month after the quarter ends (Q1: 31 July).
    EndOfFollowingMonth,
}

text_enum!(DueRuleKind {
    DaysAfterQuarterEnd => "days_after_quarter_end",
    EndOfFollowingMonth => "end_of_following_month",
});

eserde::impl_edeserialize_compat!(DueRuleKind);

/// A due rule as set on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueRule {
    DaysAfterQuarterEnd(i32),
    EndOfFollowingMonth,
}

impl DueRule {
    /// The rule a record's two stored fields describe, if any. Days alone
    /// (as written before rules had kinds) are a days rule.
    pub fn from_fields(kind: Option<DueRuleKind>, days: Option<i32>) -> Option<DueRule> {
        match (kind, days) {
            (Some(DueRuleKind::EndOfFollowingMonth), _) => Some(DueRule::EndOfFollowingMonth),
            (_, Some(days)) => Some(DueRule::DaysAfterQuarterEnd(days)),
            (_, None) => None,
        }
    }

    /// The two stored fields of the rule.
    pub fn fields(rule: Option<DueRule>) -> (Option<DueRuleKind>, Option<i32>) {
        match rule {
            None => (None, None),
            Some(DueRule::EndOfFollowingMonth) => (Some(DueRuleKind::EndOfFollowingMonth), None),
            Some(DueRule::DaysAfterQuarterEnd(days)) => {
                (Some(DueRuleKind::DaysAfterQuarterEnd), Some(days))
            }
        }
    }

    pub fn due_date(self, period: FiscalQuarter) -> NaiveDate {
        let end = period.end_date();
        let due = match self {
            DueRule::DaysAfterQuarterEnd(days) => {
                end.checked_add_signed(chrono::Duration::days(i64::from(days)))
            }
            DueRule::EndOfFollowingMonth => end
                .with_day(1)
                .and_then(|first| first.checked_add_months(Months::new(2)))
                .and_then(|first| first.pred_opt()),
        };
        due.unwrap_or(end)
    }
}

/// The rules that decide a contract's due dates, from most to least specific.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueRules {
    pub contract: Option<DueRule>,
    pub streams: Vec<DueRule>,
    pub organisation: Option<DueRule>,
}

impl DueRules {
    /// When a quarter's return is due under these rules.
    pub fn due_date(&self, period: FiscalQuarter) -> NaiveDate {
        if let Some(rule) = self.contract {
            return rule.due_date(period);
        }
        if let Some(earliest) = self.streams.iter().map(|r| r.due_date(period)).min() {
            return earliest;
        }
        match self.organisation {
            Some(rule) => rule.due_date(period),
            None => {
                let end = period.end_date();
                end.checked_add_months(Months::new(1)).unwrap_or(end)
            }
        }
    }
}

/// Checks a rule as written (`return_due_rule`, `return_due_days`) and
/// gives the rule it sets, or `None` when neither field is given.
pub fn check_rule(
    checks: &mut Checks,
    kind: Option<DueRuleKind>,
    days: Option<i32>,
) -> Option<DueRule> {
    if let Some(days) = days {
        checks.require(
            (1..=366).contains(&days),
            "return_due_days",
            "must be between 1 and 366",
        );
    }
    match (kind, days) {
        (Some(DueRuleKind::EndOfFollowingMonth), Some(_)) => {
            checks.fail(
                "return_due_days",
                "applies only to the days_after_quarter_end rule",
            );
            None
        }
        (Some(DueRuleKind::DaysAfterQuarterEnd), None) => {
            checks.fail(
                "return_due_days",
                "is required for the days_after_quarter_end rule",
            );
            None
        }
        (kind, days) => DueRule::from_fields(kind, days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fiscal::{FinancialYear, Quarter};

    fn q(year: &str, quarter: Quarter) -> FiscalQuarter {
        FiscalQuarter {
            year: FinancialYear::parse(year).unwrap(),
            quarter,
        }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn end_of_following_month_is_the_last_day_of_the_next_month() {
        let rule = DueRule::EndOfFollowingMonth;
        assert_eq!(rule.due_date(q("2022-23", Quarter::Q1)), date("2022-07-31"));
        assert_eq!(rule.due_date(q("2022-23", Quarter::Q2)), date("2022-10-31"));
        assert_eq!(rule.due_date(q("2022-23", Quarter::Q3)), date("2023-01-31"));
        assert_eq!(rule.due_date(q("2022-23", Quarter::Q4)), date("2023-04-30"));
    }

    #[test]
    fn days_count_from_the_quarter_end() {
        let rule = DueRule::DaysAfterQuarterEnd(30);
        assert_eq!(rule.due_date(q("2022-23", Quarter::Q1)), date("2022-07-30"));
        assert_eq!(rule.due_date(q("2022-23", Quarter::Q4)), date("2023-04-30"));
    }

    #[test]
    fn the_contract_wins_then_the_earliest_stream_then_the_organisation() {
        let q1 = q("2022-23", Quarter::Q1);
        let mut rules = DueRules {
            contract: Some(DueRule::DaysAfterQuarterEnd(10)),
            streams: vec![
                DueRule::EndOfFollowingMonth,
                DueRule::DaysAfterQuarterEnd(20),
            ],
            organisation: Some(DueRule::EndOfFollowingMonth),
        };
        assert_eq!(rules.due_date(q1), date("2022-07-10"));
        rules.contract = None;
        assert_eq!(rules.due_date(q1), date("2022-07-20"));
        rules.streams.clear();
        assert_eq!(rules.due_date(q1), date("2022-07-31"));
        rules.organisation = None;
        assert_eq!(rules.due_date(q1), date("2022-07-30"), "one calendar month");
    }

    #[test]
    fn a_rule_is_checked_as_written() {
        let mut checks = Checks::new();
        assert_eq!(
            check_rule(&mut checks, None, Some(14)),
            Some(DueRule::DaysAfterQuarterEnd(14))
        );
        assert_eq!(
            check_rule(&mut checks, Some(DueRuleKind::EndOfFollowingMonth), None),
            Some(DueRule::EndOfFollowingMonth)
        );
        assert_eq!(check_rule(&mut checks, None, None), None);
        assert!(checks.is_ok());
        for (kind, days) in [
            (Some(DueRuleKind::EndOfFollowingMonth), Some(3)),
            (Some(DueRuleKind::DaysAfterQuarterEnd), None),
            (None, Some(0)),
            (None, Some(367)),
        ] {
            let mut checks = Checks::new();
            check_rule(&mut checks, kind, days);
            assert!(!checks.is_ok(), "{kind:?} {days:?}");
        }
    }
}
