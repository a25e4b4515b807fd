//! Funding lines as the service stores them, from the lines a request
//! gives. A line with a financial year is kept as given (with its own
//! quarterly schedule, if it states one). A line without one means "this
//! stream funds `amount` over the contract's whole period": the service
//! spreads it over the financial years the period touches, by days, with
//! largest-remainder rounding — and then, where a year's share would take a
//! stream past what its budget has left while another year has room, it
//! rounds that year down and the other up instead. A year moves from its
//! exact share by at most a penny, plus one for each award the service
//! already profiled on that stream and year (each of which may have taken
//! its penny of rounding): so awards that together equal a budget fit it
//! to the penny, and a real overrun is never hidden by moving pounds.

use crate::domain::id::FundingStreamId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::fiscal::{DateRange, FinancialYear, Quarter};
use crate::money::{apportion, Money, MoneyError};

/// One quarter's amount of a line's stated schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarterShare {
    pub quarter: Quarter,
    pub amount: Money,
}

/// A funding line ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    pub funding_stream_id: FundingStreamId,
    pub financial_year: FinancialYear,
    pub amount: Money,
    /// The line's stated quarterly schedule, used as given.
    pub quarters: Option<Vec<QuarterShare>>,
    /// Spread over the years by the service (its pennies may be re-placed).
    pub profiled: bool,
}

/// What a stream's budget leaves for a year, as profiling places pennies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headroom {
    /// Budget less what other awards commit.
    pub left: Money,
    /// Lines the service already profiled on the stream and year.
    pub profiled: u32,
}

/// Spreads `amount` over the financial years `period` touches, by days.
/// `headroom(year)` is what the stream's budget leaves that year, or `None`
/// when there is no budget to respect. Returns one (year, amount) per
/// year, in order.
pub fn across_years(
    amount: Money,
    period: DateRange,
    headroom: impl Fn(FinancialYear) -> Option<Headroom>,
) -> Result<Vec<(FinancialYear, Money)>, MoneyError> {
    let years = period.financial_years();
    let weights: Vec<u64> = years
        .iter()
        .map(|year| period.days_within(&year.date_range()))
        .collect();
    let mut parts: Vec<i64> = apportion(amount, &weights)?
        .into_iter()
        .map(Money::pence)
        .collect();
    let total_weight: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    let rooms: Vec<Option<Headroom>> = years.iter().map(|y| headroom(*y)).collect();
    // Each year stays within [floor - extra, floor + 1 + extra] of its exact
    // share, `extra` being the pennies earlier profiled awards may have taken.
    let bounds: Vec<(i64, i64)> = (0..parts.len())
        .map(|i| {
            let exact = u128::from(amount.pence().unsigned_abs()) * u128::from(weights[i]);
            let floor = i64::try_from(exact / total_weight.max(1)).unwrap_or(i64::MAX);
            let extra = rooms[i].map_or(0, |h| i64::from(h.profiled));
            (
                floor.saturating_sub(extra).max(0),
                floor.saturating_add(1 + extra),
            )
        })
        .collect();
    let room = |i: usize, parts: &[i64]| -> Option<i64> {
        rooms[i].map(|h| h.left.pence().saturating_sub(parts[i]))
    };
    // One penny at a time, from a year over its budget to the year with the
    // most room, while both stay within their bounds. Bounded by the total
    // slack, so it ends.
    loop {
        let over = (0..parts.len())
            .find(|&i| room(i, &parts).is_some_and(|r| r < 0) && parts[i] > bounds[i].0);
        let Some(over) = over else { break };
        let receiver = (0..parts.len())
            .filter(|&j| j != over && weights[j] > 0 && parts[j] < bounds[j].1)
            .filter_map(|j| match room(j, &parts) {
                None => Some((j, i64::MAX)),
                Some(r) if r >= 1 => Some((j, r)),
                Some(_) => None,
            })
            .max_by_key(|&(j, r)| (r, std::cmp::Reverse(j)))
            .map(|(j, _)| j);
        let Some(j) = receiver else { break };
        parts[over] -= 1;
        parts[j] += 1;
    }
    Ok(years
        .into_iter()
        .zip(parts.into_iter().map(Money::from_pence))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn period(start: &str, end: &str) -> DateRange {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        DateRange::new(d(start), d(end)).unwrap()
    }

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn fy(s: &str) -> FinancialYear {
        FinancialYear::parse(s).unwrap()
    }

    fn room(left: &str, profiled: u32) -> Headroom {
        Headroom {
            left: m(left),
            profiled,
        }
    }

    #[test]
    fn a_value_is_spread_over_the_years_by_days() {
        // 1 October 2022 to 30 September 2024: 182 days of 2022-23, all 366
        // of 2023-24, 183 of 2024-25: 731 days at 100.00 a day.
        let range = period("2022-10-01", "2024-09-30");
        let parts = across_years(m("73100.00"), range, |_| None).unwrap();
        assert_eq!(
            parts,
            vec![
                (fy("2022-23"), m("18200.00")),
                (fy("2023-24"), m("36600.00")),
                (fy("2024-25"), m("18300.00")),
            ]
        );
        // A penny more goes to the year with the largest remainder.
        let parts = across_years(m("73100.01"), range, |_| None).unwrap();
        let sum = Money::sum(parts.iter().map(|(_, a)| *a)).unwrap();
        assert_eq!(sum, m("73100.01"));
        assert_eq!(parts[1], (fy("2023-24"), m("36600.01")));
    }

    #[test]
    fn pennies_move_to_a_year_with_room_when_a_budget_would_be_exceeded() {
        // 100.00 over 2 days of one year and 1 of the next: 66.666… and
        // 33.333…: largest remainder gives 66.67 + 33.33.
        let range = period("2023-03-30", "2023-04-01");
        let plain = across_years(m("100.00"), range, |_| None).unwrap();
        assert_eq!(
            plain,
            vec![(fy("2022-23"), m("66.67")), (fy("2023-24"), m("33.33"))]
        );
        // With only 66.66 left in 2022-23, that year rounds down instead.
        let fitted = across_years(m("100.00"), range, |y| {
            Some(room(
                if y == fy("2022-23") {
                    "66.66"
                } else {
                    "1000.00"
                },
                0,
            ))
        })
        .unwrap();
        assert_eq!(
            fitted,
            vec![(fy("2022-23"), m("66.66")), (fy("2023-24"), m("33.34"))]
        );
        // When no year has room, nothing moves: the budget check will say so.
        let stuck = across_years(m("100.00"), range, |_| Some(room("10.00", 0))).unwrap();
        assert_eq!(stuck, plain);
        // With two awards already profiled there, up to three pennies move.
        let deeper = across_years(m("100.00"), range, |y| {
            Some(if y == fy("2022-23") {
                room("66.64", 2)
            } else {
                room("1000.00", 2)
            })
        })
        .unwrap();
        assert_eq!(
            deeper,
            vec![(fy("2022-23"), m("66.64")), (fy("2023-24"), m("33.36"))]
        );
    }

    #[test]
    fn only_pennies_ever_move() {
        // A real overrun is not hidden by shifting pounds between years.
        let range = period("2022-04-01", "2024-03-31");
        let parts = across_years(m("1000.00"), range, |y| {
            Some(room(
                if y == fy("2022-23") {
                    "100.00"
                } else {
                    "10000.00"
                },
                0,
            ))
        })
        .unwrap();
        let plain = across_years(m("1000.00"), range, |_| None).unwrap();
        for ((_, a), (_, b)) in parts.iter().zip(&plain) {
            assert!((a.pence() - b.pence()).abs() <= 1);
        }
    }
}
