//! Enums with one fixed text per variant: the text they are stored as (and,
//! for every one of them today, the text serde shows). [`text_enum!`] writes
//! the text both ways from one list, so reading refuses what it does not
//! know instead of taking it for some default. The database side of the same
//! list is in `db::stored`.

use std::fmt;

/// A text that names no variant of the enum it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    /// The enum's name, e.g. `ContractStatus`.
    pub type_name: &'static str,
    /// The text that was refused.
    pub value: String,
    /// The texts the enum does have.
    pub expected: &'static [&'static str],
}

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a {} (expected one of: {})",
            self.value,
            self.type_name,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownVariant {}

/// An enum whose variants each have one text (see [`text_enum!`]).
pub trait TextEnum:
    Sized + Copy + PartialEq + std::str::FromStr<Err = UnknownVariant> + 'static
{
    /// Every variant's text, in the order listed.
    const TEXTS: &'static [&'static str];
}

/// For an enum and its `Variant => "text"` pairs (every variant, once),
/// writes `ALL`, `as_str`, and `FromStr` / `TryFrom<&str>` that refuse any
/// other text with an [`UnknownVariant`] naming the type and the text.
///
/// A variant left out of the list fails to compile (`as_str` matches every
/// variant); a text listed twice is an unreachable pattern, which the build
/// refuses with `-D warnings`.
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every variant, in the order its texts are listed.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The text the variant is stored as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::text_enum::UnknownVariant;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::text_enum::UnknownVariant {
                        type_name: stringify!($name),
                        value: text.to_owned(),
                        expected: &[$($text),+],
                    }),
                }
            }
        }

        impl $crate::domain::text_enum::TextEnum for $name {
            const TEXTS: &'static [&'static str] = &[$($text),+];
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::domain::text_enum::UnknownVariant;

            fn try_from(text: &str) -> Result<$name, Self::Error> {
                text.parse()
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use serde::Serialize;

    use super::UnknownVariant;
    use crate::auth::Role;
    use crate::domain::audit::{AuditAction, ResourceType};
    use crate::domain::contract::{ContractKind, ContractStatus, VariationKind};
    use crate::domain::funding_stream::BudgetStatus;
    use crate::domain::outcome::{MeasureUnit, ReturnEvent, ReturnStatus};
    use crate::domain::provider::ProviderKind;

    /// Every variant reads back from its text, texts are distinct, and each
    /// is also what serde shows (the API and the database share one
    /// vocabulary); any other text is refused, naming the type.
    fn round_trips<T, const N: usize>(all: [T; N], as_str: fn(T) -> &'static str, type_name: &str)
    where
        T: Copy + PartialEq + Debug + Serialize + FromStr<Err = UnknownVariant>,
        for<'a> T: TryFrom<&'a str, Error = UnknownVariant>,
    {
        let mut texts: Vec<&str> = all.iter().map(|v| as_str(*v)).collect();
        for variant in all {
            let text = as_str(variant);
            assert_eq!(text.parse::<T>(), Ok(variant), "{type_name} {text}");
            assert_eq!(T::try_from(text), Ok(variant), "{type_name} {text}");
            assert_eq!(
                serde_json::to_value(variant).ok(),
                Some(serde_json::Value::from(text)),
                "{type_name} {text}"
            );
        }
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), N, "{type_name} has a text listed twice");

        let first = as_str(all[0]);
        for unknown in ["", "suspended", &first.to_uppercase(), &format!(" {first}")] {
            let error = unknown.parse::<T>().expect_err(unknown);
            assert_eq!(error.type_name, type_name);
            assert_eq!(error.value, unknown);
            let message = error.to_string();
            assert!(
                message.contains(type_name) && message.contains(&format!("{unknown:?}")),
                "{message}"
            );
            assert_eq!(T::try_from(unknown), Err(error));
        }
    }

    #[test]
    fn every_stored_enum_round_trips_through_its_text_and_refuses_others() {
        round_trips(
            ContractStatus::ALL,
            ContractStatus::as_str,
            "ContractStatus",
        );
        round_trips(ContractKind::ALL, ContractKind::as_str, "ContractKind");
        round_trips(VariationKind::ALL, VariationKind::as_str, "VariationKind");
        round_trips(ProviderKind::ALL, ProviderKind::as_str, "ProviderKind");
        round_trips(BudgetStatus::ALL, BudgetStatus::as_str, "BudgetStatus");
        round_trips(AuditAction::ALL, AuditAction::as_str, "AuditAction");
        round_trips(ResourceType::ALL, ResourceType::as_str, "ResourceType");
        round_trips(MeasureUnit::ALL, MeasureUnit::as_str, "MeasureUnit");
        round_trips(ReturnStatus::ALL, ReturnStatus::as_str, "ReturnStatus");
        round_trips(ReturnEvent::ALL, ReturnEvent::as_str, "ReturnEvent");
        round_trips(Role::ALL, Role::as_str, "Role");
    }

    #[test]
    fn the_refusal_lists_what_is_known() {
        let error = "suspended".parse::<ContractStatus>().expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "\"suspended\" is not a ContractStatus (expected one of: draft, active, ended, terminated)"
        );
    }
}
