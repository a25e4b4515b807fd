//! Publication: each contract's publication details, and the documents made
//! from the organisation's awarded contracts and grants for a period — the
//! 360Giving package, the OCDS release package and the transparency
//! registers — for the organisation's own team, and for anyone once an
//! admin switches publication on. How a document is written (JSON or CSV)
//! and cached is the front door's; what it says is made here.

use chrono::{DateTime, Utc};

use crate::auth::Permission;
use crate::db::publication::{self as stored, Depth, Publishing, Selection};
use crate::db::{organisations, Db, DbConn};
use crate::domain::audit::AuditAction;
use crate::domain::contract::ContractKind;
use crate::domain::error::ConflictCode::*;
use crate::domain::id::{ContractId, OrganisationId};
use crate::domain::publication::details::{ContractPublication, PublicationInput};
use crate::domain::publication::registers::{self, Register, RegisterDocument};
use crate::domain::publication::source::{Period, Publisher, Source};
use crate::domain::publication::{ocds, threesixty};
use crate::error::AppError;
use crate::fiscal;
use crate::ops::raises::{operations, Raises};
use crate::ops::version::Seen;
use crate::ops::Caller;

operations! {
    /// A contract's publication details, as whoever may see it sees them.
    /// The whole of them, under the contract's lock.
    ReplaceDetails => Raises::change(&[]);
    /// A document of a period for the organisation's own team: the
    /// organisation's identifiers must be set first; a total too large to
    /// add up is refused, not wrapped.
    ReadDocument => Raises {
        conflicts: &[PublicationNotConfigured, AmountTooLarge],
        ..Raises::list().in_one_media_type()
    };
    /// …a register, named by the path (404 for one there is not).
    ReadRegister => Raises {
        conflicts: &[PublicationNotConfigured, AmountTooLarge],
        ..Raises::list().in_one_media_type().under_a_record()
    };
    /// A published document anyone may read: 404 until the organisation
    /// publishes (it cannot publish before its identifiers are set).
    ReadPublicDocument => Raises {
        conflicts: &[AmountTooLarge],
        ..Raises::public().in_one_media_type()
    };
}

/// Which document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// The grants awarded in the period, as a 360Giving package.
    ThreeSixty,
    /// The contracts awarded in the period, as an OCDS release package
    /// published at `uri`.
    Ocds { uri: String },
    /// A transparency register.
    Register(Register),
}

/// What a document says.
#[derive(Debug)]
pub enum Content {
    ThreeSixty(threesixty::Package),
    Ocds(ocds::Package),
    Register(RegisterDocument),
}

/// A document made: what it says, when any of it last changed, and how many
/// records of the period it leaves out as withheld.
#[derive(Debug)]
pub struct Made {
    pub content: Content,
    pub modified: DateTime<Utc>,
    pub withheld: usize,
}

/// Replaces a contract's publication details (any status): a change to the
/// contract the caller saw, audited as one.
pub async fn replace_details(
    caller: &Caller,
    id: ContractId,
    seen: Seen,
    details: PublicationInput,
) -> Result<ContractPublication, AppError> {
    caller.require(Permission::ManageContracts)?;
    let details = details.check()?;
    caller
        .change_then_read::<ContractPublication, _>(
            id,
            seen,
            AuditAction::Update,
            move |conn, _, id| stored::set_details(conn, id, &details),
        )
        .await
}

/// Who may read the organisation's own documents (`document` checks it
/// again): a front door checks it before the period, so a caller who may
/// not read them learns nothing of what one needs.
pub fn require(caller: &Caller) -> Result<(), AppError> {
    caller.require(Permission::ReadPublications)
}

/// A document of the period for the organisation's own team.
pub async fn document(
    caller: &Caller,
    document: Document,
    period: fiscal::Period,
) -> Result<Made, AppError> {
    caller
        .read(Permission::ReadPublications, move |conn, actor| {
            make(conn, actor.organisation_id, document, period.into())
        })
        .await
}

/// A document the organisation publishes, for anyone: of the period, or
/// of every year without one; not there (404) while the organisation does
/// not publish, as for one that does not exist.
pub async fn public_document(
    db: &Db,
    organisation_id: OrganisationId,
    document: Document,
    period: Option<fiscal::Period>,
) -> Result<Made, AppError> {
    db.read(move |conn| {
        if !stored::is_public(conn, organisation_id)? {
            return Err(AppError::NotFound("publication"));
        }
        make(conn, organisation_id, document, period.into())
    })
    .await
}

/// The organisation as publisher: every document names it by the
/// identifiers it must have set (409 `publication_not_configured`).
fn publisher(conn: &mut DbConn, organisation_id: OrganisationId) -> Result<Publishing, AppError> {
    let organisation = organisations::get(conn, organisation_id)?;
    let settings = &organisation.publication;
    let publisher = Publisher {
        name: settings
            .publisher_name
            .clone()
            .unwrap_or_else(|| organisation.name.clone()),
        ids: settings.identifiers()?,
        contracts_threshold: settings.contracts_threshold,
        spend_threshold: settings.spend_threshold,
    };
    Ok(Publishing {
        organisation_id,
        publisher,
        settings_changed: organisation.updated_at,
    })
}

fn make(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    document: Document,
    period: Period,
) -> Result<Made, AppError> {
    let publishing = publisher(conn, organisation_id)?;
    let source = |conn: &mut DbConn, kind, selection, depth| {
        stored::source(conn, &publishing, kind, selection, period, depth)
    };
    let made = |source: &Source, content| Made {
        content,
        modified: source.modified,
        withheld: source.withheld,
    };
    Ok(match document {
        Document::ThreeSixty => {
            let grants = source(
                conn,
                ContractKind::Grant,
                Selection::AwardedIn,
                Depth::Terms,
            )?;
            made(&grants, Content::ThreeSixty(threesixty::package(&grants)?))
        }
        Document::Ocds { uri } => {
            let contracts = source(
                conn,
                ContractKind::Contract,
                Selection::AwardedIn,
                Depth::History,
            )?;
            made(&contracts, Content::Ocds(ocds::package(&contracts, uri)))
        }
        Document::Register(Register::Grants) => {
            let grants = source(
                conn,
                ContractKind::Grant,
                Selection::AwardedIn,
                Depth::Terms,
            )?;
            let register = RegisterDocument::Grants(registers::grants(&grants)?);
            made(&grants, Content::Register(register))
        }
        Document::Register(Register::Contracts) => {
            let contracts = source(
                conn,
                ContractKind::Contract,
                Selection::RunningIn,
                Depth::Terms,
            )?;
            let register = RegisterDocument::Contracts(registers::contracts(&contracts));
            made(&contracts, Content::Register(register))
        }
        Document::Register(Register::Spend) => {
            let spend = stored::spend(conn, &publishing, period)?;
            Made {
                content: Content::Register(RegisterDocument::Spend(registers::spend(&spend)?)),
                modified: spend.modified,
                withheld: spend.withheld,
            }
        }
    })
}
