//! The records a write can guard or create, each with how the caller
//! loads it and where it lives, so a handler names the record's type
//! instead of repeating its loader, resource type and path.

use serde::Serialize;

use crate::auth::{Actor, Permission};
use crate::db::Lockable;
use crate::db::{self, DbConn};
use crate::domain::audit::Audited;
use crate::domain::contract::Contract;
use crate::domain::funding_stream::FundingStream;
use crate::domain::id::{
    ContractId, FundingStreamId, MeasureId, OrganisationId, ProviderId, ReturnId,
};
use crate::domain::organisation::Organisation;
use crate::domain::outcome::{OutcomeMeasure, OutcomeReturn};
use crate::domain::provider::Provider;
use crate::domain::publication::details::ContractPublication;
use crate::error::AppError;
use crate::ops::raises::{operations, Raises};
use crate::ops::Caller;

pub trait Record: Serialize + Send + Sized + 'static {
    /// Its id: what the audit trail names and the row lock takes.
    type Id: Lockable + Audited + Send + 'static;
    /// Its collection under the API prefix, e.g. `contracts`.
    const COLLECTION: &'static str;
    /// What reading it takes.
    const READ: Permission;

    fn id(&self) -> Self::Id;

    /// The record as `actor` may see it; a record the actor may not see is
    /// `NotFound`, exactly as a missing one.
    fn load(conn: &mut DbConn, actor: &Actor, id: Self::Id) -> Result<Self, AppError>;

    /// Its path under the API prefix.
    fn path(&self) -> String {
        format!("{}/{}", Self::COLLECTION, self.id())
    }
}

/// Declares a record: its type, resource, collection and loader; and the
/// list of every record's schema, whose answers carry its version as `ETag`.
macro_rules! records {
    ($($record:ty => $id:ty, $collection:literal, $read:ident, $load:expr;)*) => {
        /// The schema names of the records: an answer holding one of them
        /// carries its version as `ETag` (for `If-Match` on a change).
        pub fn schema_names() -> Vec<std::borrow::Cow<'static, str>> {
            vec![
                $(<$record as utoipa::ToSchema>::name(),)*
                <ContractPublication as utoipa::ToSchema>::name(),
            ]
        }

        $(
            impl Record for $record {
                type Id = $id;
                const COLLECTION: &'static str = $collection;
                const READ: Permission = Permission::$read;

                fn id(&self) -> $id {
                    self.id
                }

                fn load(conn: &mut DbConn, actor: &Actor, id: $id) -> Result<Self, AppError> {
                    let load: fn(&mut DbConn, &Actor, $id) -> Result<Self, AppError> = $load;
                    load(conn, actor, id)
                }
            }
        )*
    };
}

records! {
    FundingStream => FundingStreamId, "funding-streams", ReadStreams,
        |conn, actor, id| db::funding_streams::get(conn, actor.organisation_id, id);
    Provider => ProviderId, "providers", ReadProviders,
        |conn, actor, id| db::providers::get(conn, &actor.scope(), id);
    Contract => ContractId, "contracts", ReadContracts,
        |conn, actor, id| db::contracts::get(conn, &actor.scope(), id);
    OutcomeMeasure => MeasureId, "outcome-measures", ReadMeasures,
        |conn, actor, id| db::outcomes::get_measure(conn, &actor.scope(), id);
    OutcomeReturn => ReturnId, "outcome-returns", ReadReturns,
        |conn, actor, id| db::outcomes::get_return(conn, &actor.scope(), id);
    Organisation => OrganisationId, "organisations", ReadOrganisation,
        |conn, actor, id| {
            let id = own_organisation(actor, id)?;
            db::organisations::get(conn, id)
        };
}

/// A contract's publication details: guarded by the contract's own lock,
/// visible to whoever may see the contract.
impl Record for ContractPublication {
    type Id = ContractId;
    const COLLECTION: &'static str = "contracts";
    const READ: Permission = Permission::ReadContracts;

    fn id(&self) -> ContractId {
        self.id
    }

    fn load(conn: &mut DbConn, actor: &Actor, id: ContractId) -> Result<Self, AppError> {
        db::contracts::get(conn, &actor.scope(), id)?;
        let (details, updated_at) = db::publication::details(conn, id)?;
        Ok(ContractPublication::new(id, details, updated_at))
    }

    fn path(&self) -> String {
        format!("contracts/{}/publication", self.id)
    }
}

operations! {
    /// Reading one record.
    ReadRecord => Raises::read();
}

/// A record as the caller may see it: one a caller may not see is
/// `NotFound`, exactly as a missing one.
pub async fn read<R: Record>(caller: &Caller, id: R::Id) -> Result<R, AppError> {
    caller
        .read(R::READ, move |conn, actor| R::load(conn, actor, id))
        .await
}

/// Another organisation reads exactly like a missing one.
pub fn own_organisation(actor: &Actor, id: OrganisationId) -> Result<OrganisationId, AppError> {
    if id == actor.organisation_id {
        Ok(id)
    } else {
        Err(AppError::NotFound("organisation"))
    }
}
