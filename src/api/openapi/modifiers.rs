//! Changes made to the generated document once every route is in it:
//! limits stated once for many parameters and fields, resource-qualified
//! operation ids, and which operations need no token.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, PathItem};
use utoipa::Modify;

/// Applies every modifier, in order.
pub fn apply(openapi: &mut OpenApi) {
    let modifiers: [&dyn Modify; 9] = [
        &BearerScheme,
        // Before anything that reads an operation's tag.
        &ResourceTags,
        // Before any change to the item schemas, while the copies still match.
        &PageItemReferences,
        &ResponseHeaders,
        &DescribedResponses,
        &QualifiedOperationIds,
        &PublicOperations,
        &EncodedBodies,
        &ParameterLimits,
    ];
    for modifier in modifiers {
        modifier.modify(openapi);
    }
}

/// Every operation of a path item.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// An operation's tag is its resource: the first segment of its path under
/// the API prefix, or the group that segment belongs to. Said here once
/// rather than on each handler.
struct ResourceTags;

impl ResourceTags {
    fn of(path: &str) -> &str {
        let path = path.strip_prefix(crate::api::API_PREFIX).unwrap_or(path);
        match path.split('/').find(|segment| !segment.is_empty()) {
            Some("healthz" | "readyz") => PUBLIC_TAG,
            Some("outcome-measures" | "outcome-returns") => "outcomes",
            Some("audit-events") => "audit",
            Some("publish") => "publication",
            Some("public") => PUBLISHED_TAG,
            Some(resource) => resource,
            None => PUBLIC_TAG,
        }
    }
}

impl Modify for ResourceTags {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let tag = Self::of(path).to_owned();
            for operation in operations(item) {
                operation.tags = Some(vec![tag.clone()]);
            }
        }
    }
}

/// An operation's id is its handler's name qualified by its resource's tag
/// (`funding_streams.list`): handler names are unique within a module and
/// each module is one tag, so ids are unique by construction (and a test
/// checks it).
struct QualifiedOperationIds;

impl Modify for QualifiedOperationIds {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let tag = operation
                    .tags
                    .as_ref()
                    .and_then(|tags| tags.first())
                    .map(|tag| tag.replace('-', "_"));
                if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                    *id = format!("{tag}.{id}");
                }
            }
        }
    }
}

/// `Page<T>` comes out with `T` inlined; a page of contracts holds
/// `Contract`s, so its items refer to the `Contract` schema (and generated
/// clients get one type, not a copy per page).
struct PageItemReferences;

impl Modify for PageItemReferences {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::openapi::schema::{ArrayItems, Schema};
        use utoipa::openapi::{Ref, RefOr};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let names: Vec<String> = components.schemas.keys().cloned().collect();
        for name in names {
            let Some(item) = name.strip_prefix("Page_") else {
                continue;
            };
            let Some(RefOr::T(item_schema)) = components.schemas.get(item).cloned() else {
                continue;
            };
            let Some(RefOr::T(Schema::Object(page))) = components.schemas.get_mut(&name) else {
                continue;
            };
            let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") else {
                continue;
            };
            if let ArrayItems::RefOrSchema(inline) = &mut items.items {
                // Only when the copy is exactly the component, so nothing changes but the name.
                if **inline == RefOr::T(item_schema) {
                    **inline = RefOr::Ref(Ref::from_schema_name(item));
                }
            }
        }
    }
}

/// The headers a success response carries, declared here once by what the
/// response is rather than on each operation:
/// - a creation (201): `Location` and the new record's `ETag`
///   (`preconditions::send` sets both);
/// - a record (a 200 whose body is one of `ops::record::schema_names`): its
///   version as `ETag`, for `If-Match` on a change (`ok_with_etag`, `send`);
/// - a published document (a 200 under `/publish/` or `/public/`): `ETag`,
///   `Last-Modified`, `Cache-Control` and `Withheld-Records`
///   (`api::publish`); and its 304 for a copy that is current, with the
///   same validators.
///
/// The conformance check holds each response to these both ways: a header
/// documented is sent, and an `ETag` or `Location` sent is documented.
struct ResponseHeaders;

impl ResponseHeaders {
    const CREATED: [(&'static str, &'static str); 2] = [
        ("Location", "The new record's URL"),
        (
            "ETag",
            "The new record's version, for `If-Match` on a change",
        ),
    ];
    const RECORD: [(&'static str, &'static str); 1] = [(
        "ETag",
        "The record's version: send it back as `If-Match` to change it",
    )];
    const DOCUMENT: [(&'static str, &'static str); 4] = [
        ("ETag", "The document's version, for `If-None-Match`"),
        ("Last-Modified", "When a record in the document last changed"),
        (
            "Cache-Control",
            "`public, max-age=300` for a public document; `private, no-cache` for one fetched with a token",
        ),
        (
            "Withheld-Records",
            "Records of the period left out as withheld",
        ),
    ];

    /// A 304 (see below) carries the version and date it confirms.
    const NOT_MODIFIED: [(&'static str, &'static str); 3] = [
        ("ETag", "The document's version, for `If-None-Match`"),
        ("Last-Modified", "When a record in the document last changed"),
        (
            "Cache-Control",
            "`public, max-age=300` for a public document; `private, no-cache` for one fetched with a token",
        ),
    ];

    /// The schema a JSON response's body refers to, if it is one.
    fn body_schema(response: &utoipa::openapi::Response) -> Option<&str> {
        use utoipa::openapi::RefOr;
        match &response.content.get("application/json")?.schema {
            Some(RefOr::Ref(reference)) => {
                reference.ref_location.strip_prefix("#/components/schemas/")
            }
            _ => None,
        }
    }

    fn add(response: &mut utoipa::openapi::Response, headers: &[(&str, &str)]) {
        for (name, description) in headers {
            let schema = match *name {
                "Withheld-Records" => utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::Integer)
                    .minimum(Some(0)),
                _ => {
                    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String)
                }
            };
            let header = utoipa::openapi::HeaderBuilder::new()
                .schema(schema)
                .description(Some(*description))
                .build();
            response.headers.insert((*name).to_owned(), header);
        }
    }
}

impl Modify for ResponseHeaders {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::openapi::RefOr;
        let records = crate::ops::record::schema_names();
        for (path, item) in openapi.paths.paths.iter_mut() {
            let document = path.starts_with("/api/v1/publish/") || path.starts_with("/public/");
            for operation in operations(item) {
                if document {
                    // `publish::send` answers a current copy's validators
                    // with 304.
                    let not_modified = utoipa::openapi::ResponseBuilder::new()
                        .description("The copy named by `If-None-Match` is current.")
                        .build();
                    operation
                        .responses
                        .responses
                        .insert("304".to_owned(), RefOr::T(not_modified));
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let headers: &[(&str, &str)] = match status.as_str() {
                        "201" => &Self::CREATED,
                        "200" if document => &Self::DOCUMENT,
                        "304" => &Self::NOT_MODIFIED,
                        "200"
                            if Self::body_schema(response)
                                .is_some_and(|name| records.iter().any(|r| r == name)) =>
                        {
                            &Self::RECORD
                        }
                        _ => continue,
                    };
                    Self::add(response, headers);
                }
            }
        }
    }
}

/// A success response its handler does not describe gets the standard
/// words for its status (problem responses are described where declared).
struct DescribedResponses;

impl Modify for DescribedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::openapi::RefOr;
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if !response.description.is_empty() {
                        continue;
                    }
                    response.description = match status.as_str() {
                        "201" => {
                            "Created: `Location` is the new record's URL and `ETag` its version."
                        }
                        "204" => "Done; no content.",
                        _ => "The result.",
                    }
                    .to_owned();
                }
            }
        }
    }
}

/// Tag of the operations anyone may call without a token.
pub const PUBLIC_TAG: &str = "health";
/// Tag of the published documents, which need no token either.
pub const PUBLISHED_TAG: &str = "public";

/// The document asks for a bearer token everywhere; health checks and the
/// published documents are public, so they say so with an empty
/// `security`. Every operation but the health checks can also answer 500
/// and 503.
struct PublicOperations;

impl Modify for PublicOperations {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let tagged = |name: &str| {
                    operation
                        .tags
                        .as_ref()
                        .is_some_and(|tags| tags.iter().any(|tag| tag == name))
                };
                let public = tagged(PUBLIC_TAG);
                if public || tagged(PUBLISHED_TAG) {
                    operation.security = Some(Vec::new());
                }
                if !public {
                    // Any operation that reaches the database can meet it
                    // down, or a failure of the service's own.
                    for (status, name) in [("500", "Internal"), ("503", "Unavailable")] {
                        operation
                            .responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| {
                                utoipa::openapi::RefOr::Ref(
                                    utoipa::openapi::Ref::from_response_name(name),
                                )
                            });
                    }
                }
            }
        }
    }
}

/// Every operation that takes a body can answer 415 for a body in a
/// `Content-Encoding` the service does not decode (`startup`'s
/// `refuse_encoded_bodies` refuses it on every route), stated here once.
/// An operation that already lists a 415 (an import, which also refuses
/// media types) keeps its own, which says both.
struct EncodedBodies;

impl Modify for EncodedBodies {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                if operation.request_body.is_none() {
                    continue;
                }
                operation
                    .responses
                    .responses
                    .entry("415".to_owned())
                    .or_insert_with(|| {
                        utoipa::openapi::RefOr::Ref(utoipa::openapi::Ref::from_response_name(
                            "UnsupportedEncoding",
                        ))
                    });
            }
        }
    }
}

/// A free-text query parameter states the characters `ListQuery` refuses
/// (the headers the service reads document themselves: `preconditions`).
struct ParameterLimits;

impl Modify for ParameterLimits {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    restrict_query_text(parameter);
                }
            }
        }
    }
}

/// A free-text query value (a filter such as `code` or `actor`) is refused
/// with a control character in it, as `ListQuery` does.
fn restrict_query_text(parameter: &mut utoipa::openapi::path::Parameter) {
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;
    if parameter.parameter_in != utoipa::openapi::path::ParameterIn::Query {
        return;
    }
    let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() else {
        return;
    };
    let text = match &object.schema_type {
        SchemaType::Type(kind) => *kind == Type::String,
        SchemaType::Array(kinds) => kinds.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    if text && object.pattern.is_none() && object.format.is_none() && object.enum_values.is_none() {
        object.pattern = Some(r"^[^\u0000-\u001F\u007F-\u009F]*$".to_owned());
    }
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A JWT naming the organisation (`org`) and role (`role`); mint one with `commissioning token`."))
                    .build(),
            ),
        );
    }
}
