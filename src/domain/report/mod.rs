//! Reports for finance and commissioners. The database sums the figures
//! (see `db::reports`); these types put the sums together, derive what
//! follows from them (uncommitted, unpaid, shares) and render them as JSON
//! or CSV. No SQL and no HTTP here.

pub mod budget;
pub mod outcomes;
pub mod providers;

use crate::domain::error::DomainError;
use crate::domain::id::FundingStreamId;
use crate::money::{Money, MoneyError};

pub use budget::{BudgetFilter, BudgetReport};
pub use outcomes::{OutcomeFilter, OutcomeGrouping, OutcomesReport};
pub use providers::{ProviderFilter, ProviderReport};

/// A funding stream as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamName {
    pub id: FundingStreamId,
    pub code: String,
    pub name: String,
}

fn add(a: Money, b: Money) -> Result<Money, DomainError> {
    a.checked_add(b).map_err(too_large)
}

fn sub(a: Money, b: Money) -> Result<Money, DomainError> {
    a.checked_sub(b).map_err(too_large)
}

fn too_large(error: MoneyError) -> DomainError {
    crate::domain::error::overflow(error)
}
