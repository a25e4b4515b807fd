//! Domain values kept in TEXT columns, read and written as themselves.
//!
//! A column is read through the type's `FromStr`, so a stored text the type
//! does not know — written by a later release, or by hand — fails the read
//! with an error naming the type, the text and the column. The request then
//! answers 500 with the cause in the log; it never takes the text for some
//! other value. Values are written through their one text (`as_str`, or
//! `Display` for a financial year).
//!
//! `FromSql` is implemented for every backend whose `String` reads TEXT
//! (`MultiBackend`, and PostgreSQL and SQLite for the reports' plain SQL).
//! `AsExpression` binds the text itself, so writing a value is writing its
//! text.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, SingleValue, Text};

use crate::auth::Role;
use crate::domain::audit::{AuditAction, ResourceType};
use crate::domain::contract::{ContractKind, ContractStatus, VariationKind};
use crate::domain::due::DueRuleKind;
use crate::domain::funding_stream::BudgetStatus;
use crate::domain::id::{
    AuditEventId, ContractId, FundingLineId, FundingStreamId, ImportId, MeasureId, OrganisationId,
    PaymentId, ProviderId, RecordId, ReturnId, ReturnVersionId, VariationId,
};
use crate::domain::outcome::{MeasureUnit, ReturnEvent, ReturnStatus};
use crate::domain::provider::ProviderKind;
use crate::domain::publication::details::ProcurementRoute;
use crate::fiscal::{FinancialYear, Quarter};

/// Reads `Self` from TEXT (through `FromStr`) for every backend that reads
/// TEXT as a `String`, and makes it a row field (as diesel's `FromSqlRow`
/// derive would).
macro_rules! read_from_text {
    ($type:ty) => {
        impl<DB> FromSql<Text, DB> for $type
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                Ok(text.parse::<$type>()?)
            }
        }

        impl<DB, ST> Queryable<ST, DB> for $type
        where
            DB: Backend,
            ST: SingleValue,
            Self: FromSql<ST, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

/// Binds a value as the text its `as_str` gives.
macro_rules! bound_as_text {
    ($type:ty) => {
        impl<DB> ToSql<Text, DB> for $type
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }
    };
}

/// For a type with `as_str` and `FromStr`: read as above, and written as its
/// `as_str` text, both as a bound value (`ToSql`) and in query expressions
/// (`AsExpression`, e.g. `contracts::status.eq(ContractStatus::Draft)`).
macro_rules! stored_as_text {
    ($($type:ty),+ $(,)?) => {$(
        read_from_text!($type);
        bound_as_text!($type);

        impl AsExpression<Text> for $type {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Text> for &$type {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <&'static str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }
    )+};
}

stored_as_text!(
    ContractStatus,
    ContractKind,
    VariationKind,
    ProviderKind,
    BudgetStatus,
    AuditAction,
    ResourceType,
    MeasureUnit,
    ReturnStatus,
    ReturnEvent,
    Role,
    Quarter,
    DueRuleKind,
    ProcurementRoute,
);

/// Record ids are kept as their canonical text: read through `FromStr` (a
/// stored text that is not an id fails the read, naming the column), bound
/// as the text they hold, by reference without a copy.
macro_rules! stored_ids {
    ($($type:ty),+ $(,)?) => {$(
        read_from_text!($type);
        bound_as_text!($type);

        impl<'a> AsExpression<Text> for &'a $type {
            type Expression = <&'a str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <&'a str as AsExpression<Text>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Text> for $type {
            type Expression = <String as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <String as AsExpression<Text>>::as_expression(self.as_str().to_owned())
            }
        }

        impl<'a> AsExpression<Nullable<Text>> for &'a $type {
            type Expression = <&'a str as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <&'a str as AsExpression<Nullable<Text>>>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for $type {
            type Expression = <String as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <String as AsExpression<Nullable<Text>>>::as_expression(self.as_str().to_owned())
            }
        }
    )+};
}

stored_ids!(
    OrganisationId,
    FundingStreamId,
    ProviderId,
    ContractId,
    FundingLineId,
    VariationId,
    PaymentId,
    MeasureId,
    ReturnId,
    ReturnVersionId,
    AuditEventId,
    ImportId,
    RecordId,
);

// A financial year's text ("2022-23") is made, not kept, so it is written as
// an owned `String`.
read_from_text!(FinancialYear);

impl AsExpression<Text> for FinancialYear {
    type Expression = <String as AsExpression<Text>>::Expression;

    fn as_expression(self) -> Self::Expression {
        <String as AsExpression<Text>>::as_expression(self.to_string())
    }
}

impl AsExpression<Text> for &FinancialYear {
    type Expression = <String as AsExpression<Text>>::Expression;

    fn as_expression(self) -> Self::Expression {
        <String as AsExpression<Text>>::as_expression(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;
    use crate::db::DbConn;
    use crate::error::{AppError, ErrorChain};

    diesel::table! {
        stored (id) {
            id -> Integer,
            value -> Text,
        }
    }

    fn table_with(values: &[&str]) -> DbConn {
        let mut conn = DbConn::Sqlite(
            diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite"),
        );
        conn.batch_execute("CREATE TABLE stored (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
            .expect("create");
        for (id, value) in values.iter().enumerate() {
            let id = i32::try_from(id).expect("few rows");
            diesel::insert_into(stored::table)
                .values((stored::id.eq(id), stored::value.eq(*value)))
                .execute(&mut conn)
                .expect("insert");
        }
        conn
    }

    fn read<T>(conn: &mut DbConn) -> Result<Vec<T>, AppError>
    where
        T: Queryable<Text, <DbConn as Connection>::Backend> + 'static,
    {
        Ok(stored::table
            .order(stored::id)
            .select(stored::value)
            .load::<T>(conn)?)
    }

    #[test]
    fn known_texts_read_and_write_as_values() {
        let mut conn = table_with(&[]);
        for (id, status) in ContractStatus::ALL.into_iter().enumerate() {
            let id = i32::try_from(id).expect("few rows");
            diesel::insert_into(stored::table)
                .values((stored::id.eq(id), stored::value.eq(status)))
                .execute(&mut conn)
                .expect("insert");
        }
        let texts: Vec<String> = read(&mut conn).expect("texts");
        assert_eq!(texts, ["draft", "active", "ended", "terminated"]);
        let statuses: Vec<ContractStatus> = read(&mut conn).expect("statuses");
        assert_eq!(statuses, ContractStatus::ALL);
        let active = stored::table
            .filter(stored::value.eq(ContractStatus::Active))
            .select(stored::id)
            .load::<i32>(&mut conn)
            .expect("filter");
        assert_eq!(active, [1]);

        let mut conn = table_with(&["2022-23", "1999-00"]);
        let years: Vec<FinancialYear> = read(&mut conn).expect("years");
        let expected = [2022, 1999].map(|start| FinancialYear::new(start).expect("a year"));
        assert_eq!(years, expected);
        let mut conn = table_with(&["Q1", "Q4"]);
        assert_eq!(
            read::<Quarter>(&mut conn).expect("quarters"),
            [Quarter::Q1, Quarter::Q4]
        );
    }

    /// The read fails as an internal error whose causes name the column,
    /// the type and the text.
    fn refused<T: Queryable<Text, <DbConn as Connection>::Backend> + std::fmt::Debug + 'static>(
        text: &str,
    ) -> String {
        let mut conn = table_with(&[text]);
        match read::<T>(&mut conn) {
            Err(error @ AppError::Internal { .. }) => ErrorChain(&error).to_string(),
            other => panic!("{text:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn an_unknown_text_is_an_internal_error_naming_type_value_and_column() {
        let chain = refused::<ContractStatus>("suspended");
        assert!(chain.contains("'value'"), "{chain}");
        assert!(
            chain.contains("\"suspended\" is not a ContractStatus"),
            "{chain}"
        );
        let chain = refused::<ReturnStatus>("Draft");
        assert!(chain.contains("\"Draft\" is not a ReturnStatus"), "{chain}");
        let chain = refused::<FinancialYear>("2022-24");
        assert!(chain.contains("financial year \"2022-24\""), "{chain}");
        let chain = refused::<Quarter>("Q5");
        assert!(chain.contains("quarter must be one of"), "{chain}");
    }
}
