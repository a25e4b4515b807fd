//! `SUM` of a pence column as a `BIGINT` on both backends, as a typed
//! expression. PostgreSQL sums `bigint` into `numeric`, so the sum is cast
//! back; written as a typed expression (not an `sql` literal) it keeps the
//! query's prepared statement cacheable, which a literal does not.

use diesel::backend::Backend;
use diesel::expression::ValidGrouping;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable};
use diesel::QueryResult;

/// `CAST(SUM(column) AS BIGINT)`: null when there are no rows.
#[derive(Debug, Clone, Copy, QueryId)]
pub struct SumPence<E>(E);

pub fn sum_pence<E: Expression<SqlType = BigInt>>(column: E) -> SumPence<E> {
    SumPence(column)
}

impl<E: Expression<SqlType = BigInt>> Expression for SumPence<E> {
    type SqlType = Nullable<BigInt>;
}

impl<E, GB> ValidGrouping<GB> for SumPence<E> {
    type IsAggregate = is_aggregate::Yes;
}

impl<E: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for SumPence<E> where SumPence<E>: Expression {}

impl<E: SelectableExpression<QS>, QS> SelectableExpression<QS> for SumPence<E> where
    SumPence<E>: AppearsOnTable<QS>
{
}

impl<E: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for SumPence<E> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("CAST(SUM(");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS BIGINT)");
        Ok(())
    }
}
