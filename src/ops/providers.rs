//! Providers: reading them, registering one, changing and deleting it.
//! Each use case checks the caller's permission, runs under the write guard
//! (`ops::guard`) and applies the domain's rules in order; `db::providers`
//! only reads and writes.

use crate::auth::Permission;
use crate::db::providers::{self as stored, ProviderFilter, Registered};
use crate::db::{now, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::error::ConflictCode::*;
use crate::domain::id::{OrganisationId, ProviderId};
use crate::domain::patch;
use crate::domain::provider::{
    check_charity_number_free, check_company_number_free, check_not_duplicate,
    check_provider_deletable, name_key, NewProvider, Provider, ProviderChanges,
};
use crate::error::AppError;
use crate::ops::guard::{Answer, Created};
use crate::ops::raises::{operations, Raises};
use crate::ops::version::{Once, Seen};
use crate::ops::Caller;
use crate::ops::{Listed, Page};

operations! {
    ListProviders => Raises::list();
    CreateProvider => Raises::create(&[
        DuplicateProviderName,
        DuplicateCharityNumber,
        DuplicateCompanyNumber,
    ]);
    ChangeProvider => Raises::change(&[DuplicateCharityNumber, DuplicateCompanyNumber]);
    DeleteProvider => Raises::delete(&[ProviderHasContracts]);
}

/// A page of the providers the caller may see.
pub async fn list(
    caller: &Caller,
    filter: ProviderFilter,
    page: Page,
) -> Result<Listed<Provider>, AppError> {
    caller
        .read(Permission::ReadProviders, move |conn, actor| {
            stored::list(conn, &actor.scope(), &filter, page.limit, page.offset)
        })
        .await
}

/// Registers a provider, once per idempotency key. A name the organisation
/// already has (case and spacing ignored) is refused unless the request
/// says it means a second one; a registered number, always.
pub async fn create(caller: &Caller, once: Once, input: NewProvider) -> Result<Answer, AppError> {
    caller.require(Permission::ManageProviders)?;
    let input = input.check();
    // Under the organisation's lock, so two registrations of one name
    // cannot both pass the check (numbers the database holds unique too).
    let organisation_id = caller.organisation_id();
    caller
        .create_under(Some(organisation_id), once, move |conn, actor| {
            let named = stored::named(conn, organisation_id, &name_key(input.name.as_str()))?;
            check_not_duplicate(named, input.allow_duplicate)?;
            check_numbers_free(
                conn,
                organisation_id,
                None,
                input.charity_number(),
                input.company_number(),
            )?;
            let id = ProviderId::new();
            stored::insert(conn, organisation_id, id, &input, now())?;
            Ok(Created::record(stored::get(conn, &actor.scope(), id)?))
        })
        .await
}

/// Changes a provider; its registered numbers stay its own.
pub async fn change(
    caller: &Caller,
    id: ProviderId,
    seen: Seen,
    changes: ProviderChanges,
) -> Result<Provider, AppError> {
    caller.require(Permission::ManageProviders)?;
    let changes = changes.check();
    caller
        .change(id, seen, AuditAction::Update, move |conn, actor, id| {
            let scope = actor.scope();
            let current = stored::get(conn, &scope, id)?;
            let changes = changes.into_inner();
            let org_id = patch::merge(changes.org_id.clone(), current.org_id.clone());
            let details = changes.apply(current.details());
            check_numbers_free(
                conn,
                actor.organisation_id,
                Some(id),
                details.charity_number.as_deref(),
                details.company_number.as_deref(),
            )?;
            let at = now();
            stored::set_details(conn, id, &details, at)?;
            stored::set_org_id(conn, id, org_id.as_deref(), at)?;
            stored::get(conn, &scope, id)
        })
        .await
}

/// Deletes a provider that holds no contracts.
pub async fn delete(caller: &Caller, id: ProviderId, seen: Seen) -> Result<(), AppError> {
    caller.require(Permission::ManageProviders)?;
    caller
        .delete::<Provider, _>(id, seen, |conn, _, id| {
            check_provider_deletable(stored::holds_contracts(conn, id)?)?;
            stored::delete(conn, id)
        })
        .await
}

/// Refuses a registered number another provider of the organisation than
/// `own` holds: the charity number first, then the company number.
fn check_numbers_free(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    own: Option<ProviderId>,
    charity_number: Option<&str>,
    company_number: Option<&str>,
) -> Result<(), AppError> {
    if let Some(number) = charity_number {
        let taken = stored::number_taken(conn, organisation_id, Registered::Charity(number), own)?;
        check_charity_number_free(number, taken)?;
    }
    if let Some(number) = company_number {
        let taken = stored::number_taken(conn, organisation_id, Registered::Company(number), own)?;
        check_company_number_free(number, taken)?;
    }
    Ok(())
}
