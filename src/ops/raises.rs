//! What each use case can refuse, declared beside it, so every front door
//! documents exactly the errors the use case raises (the JSON API's
//! document lists its responses from these; see `api::responses::Errors`).

use crate::domain::error::ConflictCode;

/// The errors a use case can answer with, besides its success (and the
/// failures any request may meet: a missing token, the database down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raises {
    /// 403: the caller's role may not do it.
    pub forbidden: bool,
    /// 404: it names a record that is not there, or not the caller's.
    pub not_found: bool,
    /// 422: its input or parameters are refused, every field at fault.
    pub invalid: bool,
    /// 412 / 428: it changes a record, and must say which version it saw.
    pub guarded: bool,
    /// 422: it takes an idempotency key (one used with another request is
    /// refused).
    pub keyed: bool,
    /// 409 `concurrent_change`: it writes, and a write racing it may win.
    pub writes: bool,
    /// 406: it answers one media type, which `Accept` may refuse.
    pub one_media_type: bool,
    /// 413 / 415 / 422 with rows: it reads an uploaded file.
    pub upload: bool,
    /// 409: the rules it can conflict with, each its own problem type.
    pub conflicts: &'static [ConflictCode],
}

impl Raises {
    const NOTHING: Raises = Raises {
        forbidden: false,
        not_found: false,
        invalid: false,
        guarded: false,
        keyed: false,
        writes: false,
        one_media_type: false,
        upload: false,
        conflicts: &[],
    };

    /// Reading one record (or what hangs off it).
    pub const fn read() -> Raises {
        Raises {
            forbidden: true,
            not_found: true,
            ..Raises::NOTHING
        }
    }

    /// A list or report, filtered by parameters.
    pub const fn list() -> Raises {
        Raises {
            forbidden: true,
            invalid: true,
            ..Raises::NOTHING
        }
    }

    /// A published document anyone may read: refused only as not there.
    pub const fn public() -> Raises {
        Raises {
            not_found: true,
            invalid: true,
            ..Raises::NOTHING
        }
    }

    /// Creating a record, once per idempotency key.
    pub const fn create(conflicts: &'static [ConflictCode]) -> Raises {
        Raises {
            forbidden: true,
            invalid: true,
            keyed: true,
            writes: true,
            conflicts,
            ..Raises::NOTHING
        }
    }

    /// Changing a record the caller saw.
    pub const fn change(conflicts: &'static [ConflictCode]) -> Raises {
        Raises {
            forbidden: true,
            not_found: true,
            invalid: true,
            guarded: true,
            writes: true,
            conflicts,
            ..Raises::NOTHING
        }
    }

    /// An action on a record the caller saw (award, submit…), once per
    /// idempotency key.
    pub const fn action(conflicts: &'static [ConflictCode]) -> Raises {
        Raises {
            keyed: true,
            ..Raises::change(conflicts)
        }
    }

    /// Deleting a record the caller saw.
    pub const fn delete(conflicts: &'static [ConflictCode]) -> Raises {
        Raises {
            invalid: false,
            ..Raises::change(conflicts)
        }
    }

    /// …and it names a record it belongs to (a contract's payment).
    pub const fn under_a_record(self) -> Raises {
        Raises {
            not_found: true,
            ..self
        }
    }

    /// …and it answers one media type.
    pub const fn in_one_media_type(self) -> Raises {
        Raises {
            one_media_type: true,
            ..self
        }
    }

    /// …and it reads an uploaded file.
    pub const fn reading_a_file(self) -> Raises {
        Raises {
            upload: true,
            ..self
        }
    }

    /// …and it takes parameters that can be refused.
    pub const fn with_parameters(self) -> Raises {
        Raises {
            invalid: true,
            ..self
        }
    }
}

/// A use case's marker: a type naming it, for the documentation of every
/// front door that calls it.
pub trait Operation {
    const RAISES: Raises;
}

/// Declares use cases' markers: `Name => Raises::…;` each.
macro_rules! operations {
    ($($(#[$doc:meta])* $name:ident => $raises:expr;)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl $crate::ops::raises::Operation for $name {
            const RAISES: $crate::ops::raises::Raises = $raises;
        }
    )+};
}
pub(crate) use operations;
