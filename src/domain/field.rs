//! Text fields that check themselves while they are read: a title, a code,
//! an email address, a charity number. Each is parsed once, where it enters
//! (a JSON body, an import cell), into a type that holds only what it
//! allows, and documents itself: its schema states the same limits its
//! parse enforces, so the document cannot promise what the service refuses.
//!
//! A required field is the type itself (`ShortText`); an optional one is
//! `Option<OrBlank<ShortText>>`: absent or `null` is nothing, blank (`""`,
//! spaces) is nothing given (or, in a change, "clear it"), and anything
//! else must parse.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::text::{control_character, LONG_TEXT, SHORT_TEXT};

/// Why a text was refused, in words that follow the field's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters (found U+{:04X})", u32::from(*.0))]
    ControlCharacter(char),
    #[error("{0}")]
    Invalid(&'static str),
}

/// A text field's rule: how the text as sent becomes the value kept, and
/// the schema that says so.
pub trait Field: Sized {
    /// The value kept for the text as sent, or why it is refused; a blank
    /// text is [`TextError::Empty`] when it is within the length allowed.
    fn parse(sent: &str) -> Result<Self, TextError>;

    /// The schema of the field as sent: `blank` when a blank text is allowed
    /// (and means nothing).
    fn schema(blank: bool) -> ObjectBuilder;
}

/// Reads a field from a JSON string (or any string a deserializer holds).
struct FieldVisitor<T>(PhantomData<T>);

impl<T: Field> Visitor<'_> for FieldVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, sent: &str) -> Result<T, E> {
        T::parse(sent).map_err(E::custom)
    }
}

/// Declares the serde and schema side of a field type whose value is a
/// `String` it keeps: `as_str`, `Display`, `Serialize`, `Deserialize`, and a
/// schema named as the type is; given a rule ([`Text`] or [`Identifier`]), its [`Field`]
/// impl too.
macro_rules! field_type {
    ($name:ident, $rule:expr) => {
        impl Field for $name {
            fn parse(sent: &str) -> Result<$name, TextError> {
                $rule.parse(sent).map($name)
            }

            fn schema(blank: bool) -> ObjectBuilder {
                $rule.schema(blank)
            }
        }

        field_type!($name);
    };
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        /// A field from a literal, in tests.
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(sent: &str) -> $name {
                <$name as Field>::parse(sent).expect("a valid field")
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(field: $name) -> String {
                field.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(FieldVisitor(PhantomData))
            }
        }

        eserde::impl_edeserialize_compat!($name);

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                <$name as Field>::schema(false).into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// The rule of a free text: at most `max` characters as sent, trimmed, not
/// blank, and without control characters (`lines`: but tab and line breaks,
/// as in a narrative).
struct Text {
    max: usize,
    lines: bool,
    example: Option<&'static str>,
}

impl Text {
    /// A text on one line.
    const fn line(max: usize) -> Text {
        Text {
            max,
            lines: false,
            example: None,
        }
    }

    /// A text that may break lines.
    const fn lines(max: usize) -> Text {
        Text {
            max,
            lines: true,
            example: None,
        }
    }

    const fn example(self, example: &'static str) -> Text {
        Text {
            example: Some(example),
            ..self
        }
    }

    fn parse(&self, sent: &str) -> Result<String, TextError> {
        if sent.chars().count() > self.max {
            return Err(TextError::TooLong(self.max));
        }
        let trimmed = sent.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if let Some(c) = control_character(trimmed, self.lines) {
            return Err(TextError::ControlCharacter(c));
        }
        Ok(trimmed.to_owned())
    }

    fn schema(&self, blank: bool) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length((!blank).then_some(1))
            .max_length(Some(self.max))
            .pattern(Some(text_pattern(self.lines, blank)))
            .examples(self.example)
    }
}

/// The pattern of a text with no control characters (`lines`: but tab and
/// line breaks), non-blank unless `blank`, spaces about it allowed.
fn text_pattern(lines: bool, blank: bool) -> &'static str {
    match (lines, blank) {
        (false, true) => r"^\s*[^\u0000-\u001F\u007F-\u009F]*\s*$",
        (false, false) => r"^\s*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*\s*$",
        // Spaces about the text are trimmed, including those that are
        // also control characters (U+0085).
        (true, true) => r"^\s*[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*\s*$",
        (true, false) => {
            r"^\s*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*\s*$"
        }
    }
}

/// Where an identifier as sent may hold spaces.
enum Spaces {
    /// About it: they are trimmed.
    About,
    /// Anywhere, as a registered number is written in groups: they are
    /// dropped, and letters put in capitals.
    Anywhere,
}

/// The rule of an identifier: at most `max` characters as sent, spaces
/// dropped as `spaces` says, not blank, and `valid` (which refuses spaces
/// and control characters inside); `pattern` says the same of the text
/// without its spaces.
struct Identifier {
    max: usize,
    spaces: Spaces,
    valid: fn(&str) -> bool,
    refusal: &'static str,
    pattern: &'static str,
    example: &'static str,
}

impl Identifier {
    fn parse(&self, sent: &str) -> Result<String, TextError> {
        if sent.chars().count() > self.max {
            return Err(TextError::TooLong(self.max));
        }
        let kept = match self.spaces {
            Spaces::About => sent.trim().to_owned(),
            Spaces::Anywhere => normalised_number(sent),
        };
        if kept.is_empty() {
            Err(TextError::Empty)
        } else if (self.valid)(&kept) {
            Ok(kept)
        } else {
            Err(TextError::Invalid(self.refusal))
        }
    }

    fn schema(&self, blank: bool) -> ObjectBuilder {
        let inner = self.pattern;
        // A registered number's pattern allows spaces after each character.
        let pattern = match (&self.spaces, blank) {
            (Spaces::About, true) => format!(r"^\s*({inner})?\s*$"),
            (Spaces::About, false) => format!(r"^\s*{inner}\s*$"),
            (Spaces::Anywhere, true) => format!(r"^\s*({inner})?$"),
            (Spaces::Anywhere, false) => format!(r"^\s*({inner})$"),
        };
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(self.max))
            .pattern(Some(pattern))
            .examples([self.example])
    }
}

/// A short text: a name, a title, a reference — at most 300 characters as
/// sent, trimmed, not blank, on one line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShortText(String);

field_type!(ShortText, Text::line(SHORT_TEXT));

/// A long text: a purpose, a narrative, a reason — at most 10,000
/// characters as sent, trimmed, not blank; tabs and line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LongText(String);

field_type!(LongText, Text::lines(LONG_TEXT));

/// A short code such as `VSS-2022` (a stream's, a measure's): 1 to 64
/// letters, digits, `-`, `_` and `.`, spaces about it trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(String);

const CODE_PATTERN: &str = r"^\s*[A-Za-z0-9._-]{1,64}\s*$";

impl Field for Code {
    fn parse(sent: &str) -> Result<Code, TextError> {
        let code = sent.trim();
        let valid = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(Code(code.to_owned()))
        } else if code.is_empty() && sent.len() <= 64 {
            Err(TextError::Empty)
        } else {
            Err(TextError::Invalid(
                "must be 1-64 characters of letters, digits, '-', '_' or '.'",
            ))
        }
    }

    fn schema(blank: bool) -> ObjectBuilder {
        let pattern = match blank {
            true => r"^\s*([A-Za-z0-9._-]{1,64})?\s*$",
            false => CODE_PATTERN,
        };
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(pattern))
            .examples(["VSS-2022"])
    }
}

field_type!(Code);

/// An email address: a name, `@`, and a domain with a dot, at most 300
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Field for Email {
    fn parse(sent: &str) -> Result<Email, TextError> {
        let email = ShortText::parse(sent)?.into_string();
        // A name and a domain with a dot inside it, neither holding a space
        // or a second `@` (the schema's pattern, said in Rust).
        let part = |p: &str| !p.is_empty() && !p.contains('@') && !p.contains(char::is_whitespace);
        let valid = email.split_once('@').is_some_and(|(user, domain)| {
            part(user)
                && part(domain)
                && domain
                    .char_indices()
                    .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len())
        });
        if valid {
            Ok(Email(email))
        } else {
            Err(TextError::Invalid("must be an email address"))
        }
    }

    fn schema(blank: bool) -> ObjectBuilder {
        // No spaces, `@` or control characters in either part.
        let part = r"[^\s@\u0000-\u001F\u007F-\u009F]+";
        let pattern = match blank {
            true => format!(r"^\s*({part}@{part}\.{part})?\s*$"),
            false => format!(r"^\s*{part}@{part}\.{part}\s*$"),
        };
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(SHORT_TEXT))
            .pattern(Some(pattern))
            .examples(["referrals@dandelion.example"])
    }
}

field_type!(Email);

/// A registered number as it is written, without spaces, in capitals.
fn normalised_number(sent: &str) -> String {
    sent.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn digits(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_digit())
}

/// A registered charity number: England and Wales (6-8 digits), Scotland
/// (`SC` and 6 digits) or Northern Ireland (`NIC` and 5-6 digits); spaces
/// are dropped and letters put in capitals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CharityNumber(String);

fn is_charity_number(number: &str) -> bool {
    (digits(number) && (6..=8).contains(&number.len()))
        || number
            .strip_prefix("SC")
            .is_some_and(|rest| digits(rest) && rest.len() == 6)
        || number
            .strip_prefix("NIC")
            .is_some_and(|rest| digits(rest) && (5..=6).contains(&rest.len()))
}

field_type!(
    CharityNumber,
    Identifier {
        max: 64,
        spaces: Spaces::Anywhere,
        valid: is_charity_number,
        refusal: "must be a registered charity number: 6-8 digits, SC and 6 digits, or NIC and 5-6 digits",
        pattern: r"(\d\s*){6,8}|[Ss]\s*[Cc]\s*(\d\s*){6}|[Nn]\s*[Ii]\s*[Cc]\s*(\d\s*){5,6}",
        example: "1150222",
    }
);

/// A Companies House number: 8 digits, or 2 letters and 6 digits; spaces
/// are dropped and letters put in capitals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompanyNumber(String);

fn is_company_number(number: &str) -> bool {
    // Matched char by char: the input may hold any characters, and slicing
    // a string at byte offsets panics inside a multi-byte one.
    let chars: Vec<char> = number.chars().collect();
    match chars.as_slice() {
        [a, b, rest @ ..] if rest.len() == 6 => {
            let prefix = (a.is_ascii_digit() && b.is_ascii_digit())
                || (a.is_ascii_uppercase() && b.is_ascii_uppercase());
            prefix && rest.iter().all(char::is_ascii_digit)
        }
        _ => false,
    }
}

field_type!(
    CompanyNumber,
    Identifier {
        max: 64,
        spaces: Spaces::Anywhere,
        valid: is_company_number,
        refusal: "must be a Companies House number: 8 digits, or 2 letters and 6 digits",
        pattern: r"([0-9]\s*[0-9]|[A-Za-z]\s*[A-Za-z])\s*(\d\s*){6}",
        example: "01234567",
    }
);

/// An optional field as sent: blank (nothing given, or in a change "clear
/// it"), or a value that must parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrBlank<T> {
    Blank,
    Value(T),
}

impl<T> OrBlank<T> {
    /// The value, if one was given.
    pub fn value(self) -> Option<T> {
        match self {
            OrBlank::Blank => None,
            OrBlank::Value(value) => Some(value),
        }
    }
}

impl<T: Field> Field for OrBlank<T> {
    fn parse(sent: &str) -> Result<OrBlank<T>, TextError> {
        match T::parse(sent) {
            Ok(value) => Ok(OrBlank::Value(value)),
            Err(TextError::Empty) => Ok(OrBlank::Blank),
            Err(error) => Err(error),
        }
    }

    fn schema(_: bool) -> ObjectBuilder {
        T::schema(true)
    }
}

impl<'de, T: Field> Deserialize<'de> for OrBlank<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(FieldVisitor(PhantomData))
    }
}

impl<'de, T: Field> eserde::EDeserialize<'de> for OrBlank<T> {
    fn deserialize_for_errors<D: Deserializer<'de>>(deserializer: D) -> Result<(), ()> {
        <Self as Deserialize>::deserialize(deserializer)
            .map(drop)
            .map_err(eserde::reporter::ErrorReporter::report)
    }
}

/// A generic type in a derived schema is composed, not named: this is the
/// trait utoipa's derive calls for it (its `PartialSchema` follows). The
/// schema is the field's own with blank allowed, whatever `T`'s is.
impl<T: Field> utoipa::__dev::ComposeSchema for OrBlank<T> {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        T::schema(true)
            .description(Some(
                "Blank (empty or only spaces) gives none; in a change, it clears the field.",
            ))
            .into()
    }
}

/// A blankable field is a component of its own: utoipa names a generic
/// type's schema by the type and its argument (`OrBlank_ShortText`).
impl<T: Field + ToSchema> ToSchema for OrBlank<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OrBlank")
    }
}

/// An optional field from a literal, in tests.
#[cfg(test)]
impl<T: Field> From<&str> for OrBlank<T> {
    fn from(sent: &str) -> OrBlank<T> {
        OrBlank::parse(sent).expect("a valid field")
    }
}

/// The value of an optional field: absent, `null` or blank are none.
pub fn given<T>(field: Option<OrBlank<T>>) -> Option<T> {
    field.and_then(OrBlank::value)
}

/// A change to an optional field: absent or `null` keeps (`None`), blank
/// clears (`Some(None)`), a value sets (`Some(Some(value))`).
pub fn change<T>(field: Option<OrBlank<T>>) -> Option<Option<T>> {
    field.map(OrBlank::value)
}

/// The text of an optional field, if one was given.
pub fn given_str<T: AsRef<str>>(field: &Option<OrBlank<T>>) -> Option<&str> {
    match field {
        Some(OrBlank::Value(value)) => Some(value.as_ref()),
        _ => None,
    }
}

/// [`change`] to the text kept.
pub fn change_string<T: Into<String>>(field: Option<OrBlank<T>>) -> Option<Option<String>> {
    change(field).map(|value| value.map(Into::into))
}

/// A place's code in an established gazetteer, e.g. the ONS code
/// `E07000114`: at most 20 characters as sent, trimmed, not blank, on one
/// line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeoCode(String);

field_type!(GeoCode, Text::line(20).example("E07000114"));

/// The kind of area a geo code names, from 360Giving's geoCodeType
/// codelist, e.g. `LAD` or `WD`: capital letters and digits, at most 10
/// characters as sent, spaces about it trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeoCodeType(String);

fn is_geo_code_type(code: &str) -> bool {
    code.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

const GEO_CODE_TYPE: Identifier = Identifier {
    max: 10,
    spaces: Spaces::About,
    valid: is_geo_code_type,
    refusal: "must be a geoCodeType code, e.g. LAD or WD",
    pattern: "[A-Z0-9]+",
    example: "LAD",
};

impl Field for GeoCodeType {
    fn parse(sent: &str) -> Result<GeoCodeType, TextError> {
        GEO_CODE_TYPE.parse(sent).map(GeoCodeType)
    }

    /// An identifier's schema, stating a least length too (and the blank
    /// pattern in the words the document has always used).
    fn schema(blank: bool) -> ObjectBuilder {
        let schema = GEO_CODE_TYPE
            .schema(blank)
            .min_length((!blank).then_some(1));
        match blank {
            true => schema.pattern(Some(r"^\s*[A-Z0-9]*\s*$")),
            false => schema,
        }
    }
}

field_type!(GeoCodeType);

/// An org-id (org-id.guide) such as `GB-LAE-KEN` or `GB-GOR-PC000123`: a
/// list code of a country (or `XI`/`XM`) and a register (`GB-CHC`,
/// `GB-COH`, `GB-LAE`, `GB-NHS`…), then the identifier in that register
/// (at most 80 characters, no spaces); at most 100 characters as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgId(String);

/// Whether `id` is an org-id (see [`OrgId`]).
fn is_org_id(id: &str) -> bool {
    let mut parts = id.splitn(3, '-');
    let (Some(country), Some(register), Some(rest)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && !register.is_empty()
        && register
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !rest.is_empty()
        && rest.len() <= 80
        && rest.chars().all(|c| c.is_ascii_graphic())
}

field_type!(
    OrgId,
    Identifier {
        max: 100,
        spaces: Spaces::About,
        valid: is_org_id,
        refusal: "must be an org-id: a list prefix and an identifier, e.g. GB-LAE-KEN",
        pattern: "[A-Z]{2}-[A-Z0-9]+-[!-~]{1,80}",
        example: "GB-LAE-KEN",
    }
);

/// A 360Giving prefix such as `360G-opcc-example`, issued by 360Giving:
/// `360G-` then letters, digits, `-` or `_`; at most 100 characters as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GrantPrefix(String);

fn is_grant_prefix(prefix: &str) -> bool {
    prefix.strip_prefix("360G-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    })
}

field_type!(
    GrantPrefix,
    Identifier {
        max: 100,
        spaces: Spaces::About,
        valid: is_grant_prefix,
        refusal: "must be a 360Giving prefix: 360G- then letters, digits, '-' or '_'",
        pattern: "360G-[A-Za-z0-9_-]+",
        example: "360G-opcc-example",
    }
);

/// An OCDS ocid prefix such as `ocds-a1b2c3`, from the Open Contracting
/// Partnership: `ocds-` then six lower-case letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OcidPrefix(String);

fn is_ocid_prefix(prefix: &str) -> bool {
    prefix.strip_prefix("ocds-").is_some_and(|rest| {
        rest.len() == 6
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

field_type!(
    OcidPrefix,
    Identifier {
        max: 100,
        spaces: Spaces::About,
        valid: is_ocid_prefix,
        refusal: "must be an ocid prefix: ocds- then six lower-case letters or digits",
        pattern: "ocds-[a-z0-9]{6}",
        example: "ocds-a1b2c3",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_trimmed_within_its_limit_as_sent() {
        assert_eq!(
            ShortText::parse("  Counselling ").map(ShortText::into_string),
            Ok("Counselling".to_owned())
        );
        assert_eq!(ShortText::parse("   "), Err(TextError::Empty));
        let padded = format!("\t  {}  ", "*".repeat(SHORT_TEXT - 1));
        assert_eq!(
            ShortText::parse(&padded),
            Err(TextError::TooLong(SHORT_TEXT))
        );
        assert_eq!(
            ShortText::parse("a\u{1b}b"),
            Err(TextError::ControlCharacter('\u{1b}'))
        );
        assert!(ShortText::parse("line\none").is_err());
        assert!(LongText::parse("line\none\r\n\ttwo").is_ok());
        assert!(ShortText::parse("Café – “quoted”").is_ok());
    }

    #[test]
    fn blank_is_nothing_and_anything_else_must_parse() {
        assert_eq!(OrBlank::<ShortText>::parse(" "), Ok(OrBlank::Blank));
        assert_eq!(
            OrBlank::<ShortText>::parse(&" ".repeat(SHORT_TEXT + 1)),
            Err(TextError::TooLong(SHORT_TEXT))
        );
        assert!(matches!(
            OrBlank::<Email>::parse("not an email"),
            Err(TextError::Invalid(_))
        ));
        let body: serde_json::Value = serde_json::json!({"a": "", "b": " x ", "c": null});
        #[derive(Deserialize)]
        struct Body {
            a: Option<OrBlank<ShortText>>,
            b: Option<OrBlank<ShortText>>,
            c: Option<OrBlank<ShortText>>,
            #[serde(default)]
            d: Option<OrBlank<ShortText>>,
        }
        let body: Body = serde_json::from_value(body).expect("parses");
        assert_eq!(change(body.a), Some(None), "blank clears");
        assert_eq!(
            given(body.b).map(ShortText::into_string),
            Some("x".to_owned())
        );
        assert_eq!(change(body.c), None, "null keeps");
        assert_eq!(change(body.d), None, "absent keeps");
    }

    #[test]
    fn registered_numbers_are_normalised_and_checked() {
        assert_eq!(
            CharityNumber::parse(" sc 012345 ").map(CharityNumber::into_string),
            Ok("SC012345".to_owned())
        );
        assert!(CharityNumber::parse("12345").is_err());
        assert!(CharityNumber::parse("NIC12345").is_ok());
        assert_eq!(
            CompanyNumber::parse("ab 123456").map(CompanyNumber::into_string),
            Ok("AB123456".to_owned())
        );
        assert!(CompanyNumber::parse("A1234567").is_err());
        assert!(
            CompanyNumber::parse("１２３４５６７８").is_err(),
            "not panicked on"
        );
        assert!(Code::parse("VSS-2022").is_ok());
        assert!(Code::parse("VSS 2022").is_err());
    }

    #[test]
    fn publication_identifiers_follow_their_standards() {
        for good in [
            "GB-CHC-1012345",
            "GB-COH-01234567",
            "GB-LAE-KEN",
            " GB-NHS-RYQ ",
        ] {
            assert!(OrgId::parse(good).is_ok(), "{good}");
        }
        for bad in ["GB-CHC", "gb-chc-1", "GB-CHC-12 34", "1012345", "GBR-CHC-1"] {
            assert!(OrgId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(OrBlank::<OrgId>::parse(" "), Ok(OrBlank::Blank));
        assert!(GrantPrefix::parse("360G-opcc-kent").is_ok());
        assert!(GrantPrefix::parse("360G-").is_err());
        assert!(GrantPrefix::parse("opcc-kent").is_err());
        assert!(OcidPrefix::parse("ocds-a1b2c3").is_ok());
        assert!(OcidPrefix::parse("ocds-ABCDEF").is_err());
        assert!(OcidPrefix::parse("ocds-abc").is_err());
        assert_eq!(OrgId::parse(&"A".repeat(101)), Err(TextError::TooLong(100)));
    }

    proptest::proptest! {
        /// Each field's documented pattern and length say what its parse
        /// accepts: a text the schema allows parses, one it refuses does not.
        #[test]
        fn each_schema_says_what_its_parse_accepts(sent in "[ -~\\t\\n\\u{80}-\\u{ff}é“]{0,20}") {
            every_field_agrees(&sent)?;
        }

        /// The same over texts near the valid ones: numbers with spaces and
        /// prefixes, codes, addresses.
        #[test]
        fn each_schema_says_what_its_parse_accepts_near_valid(sent in "[0-9 SCNIscni@.aAbB_-]{0,12}") {
            every_field_agrees(&sent)?;
        }

        /// The same over texts near the publication identifiers: org-ids,
        /// 360Giving and ocid prefixes.
        #[test]
        fn each_schema_says_what_its_parse_accepts_near_identifiers(
            sent in "\\s?(GB-|Gb-|GBR-|XI-|360G-|ocds-)?[A-Za-z0-9 _.!~-]{0,10}\\s?"
        ) {
            every_field_agrees(&sent)?;
        }
    }

    fn every_field_agrees(sent: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        agrees::<ShortText>(sent)?;
        agrees::<LongText>(sent)?;
        agrees::<Code>(sent)?;
        agrees::<Email>(sent)?;
        agrees::<CharityNumber>(sent)?;
        agrees::<CompanyNumber>(sent)?;
        agrees::<GeoCode>(sent)?;
        agrees::<GeoCodeType>(sent)?;
        agrees::<OrgId>(sent)?;
        agrees::<GrantPrefix>(sent)?;
        agrees::<OcidPrefix>(sent)
    }

    /// The field's schema and parse agree on `sent`, and so do those of the
    /// field with blank allowed.
    fn agrees<T: Field>(sent: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        agrees_as::<T>(sent)?;
        agrees_as::<OrBlank<T>>(sent)
    }

    fn agrees_as<T: Field>(sent: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let schema = serde_json::to_value(T::schema(false).build()).expect("a schema");
        let pattern = schema["pattern"].as_str().unwrap_or(".*");
        let max = schema["maxLength"]
            .as_u64()
            .map_or(usize::MAX, |n| n as usize);
        let min = schema["minLength"].as_u64().map_or(0, |n| n as usize);
        let pattern = regex::Regex::new(pattern).expect("a pattern");
        let length = sent.chars().count();
        let allowed = pattern.is_match(sent) && (min..=max).contains(&length);
        proptest::prop_assert_eq!(allowed, T::parse(sent).is_ok(), "{:?}", sent);
        Ok(())
    }
}
