//! The returns missing or late: those due and not in, and those that came
//! in after their due date, for every awarded contract the caller may see.

use chrono::NaiveDate;

use crate::auth::Permission;
use crate::db::outcomes::{self as stored, DueFilter};
use crate::domain::outcome::{missing_and_late as judged, ReturnDue};
use crate::error::AppError;
use crate::fiscal::{FiscalQuarter, Period};
use crate::ops::raises::{operations, Raises};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    MissingAndLate => Raises::list();
}

/// A page of the returns due by `as_of` and not in (missing), and of those
/// in after their due date (late), for a quarter `period` holds (any, when
/// none is given); in contract then quarter order, with how many there are.
pub async fn missing_and_late(
    caller: &Caller,
    filter: DueFilter,
    period: Option<Period>,
    as_of: NaiveDate,
    page: Page,
) -> Result<Listed<ReturnDue>, AppError> {
    caller
        .read(Permission::ReadReturns, move |conn, actor| {
            let due: Vec<ReturnDue> = stored::contracts_due(conn, &actor.scope(), &filter)?
                .iter()
                .flat_map(|contract| judged(contract, as_of))
                .filter(|due| {
                    period.is_none_or(|period| {
                        period.holds(FiscalQuarter {
                            year: due.financial_year,
                            quarter: due.quarter,
                        })
                    })
                })
                .collect();
            // Derived from every contract's periods rather than stored rows, so
            // the page is cut from the whole list.
            let total = i64::try_from(due.len()).unwrap_or(i64::MAX);
            let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
            let take = usize::try_from(page.limit).unwrap_or(0);
            Ok((due.into_iter().skip(skip).take(take).collect(), total))
        })
        .await
}
