//! Every response a test receives is checked against what the OpenAPI
//! document says that operation answers with that status: the status is
//! documented, the media type is one it lists, a JSON body validates
//! against its schema (JSON Schema 2020-12, formats asserted) and the
//! headers it documents are sent. A drift between the served responses and
//! the document fails the test that saw it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// What a response looked like on the wire.
pub struct Seen<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub status: u16,
    pub content_type: &'a str,
    pub headers: &'a awc::http::header::HeaderMap,
    pub body: &'a [u8],
}

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(commissioning::api::openapi::document_value)
}

/// The documented path template a request path matches: literal segments
/// beat `{parameters}`, so `/a/b` prefers `/a/b` over `/a/{id}`.
fn template_for(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = document()["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    // `{register}.csv`: the text after the parameter is literal.
                    let suffix = part.rsplit_once('}').map_or("", |(_, s)| s);
                    if segment.len() <= suffix.len() || !segment.ends_with(suffix) {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// Follows a local `$ref` (`#/components/...`) once.
fn resolve(value: &'static Value) -> &'static Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .trim_start_matches('#')
            .split('/')
            .skip(1)
            .fold(document(), |node, key| {
                &node[key.replace("~1", "/").replace("~0", "~")]
            }),
        None => value,
    }
}

/// A validator for `schema`, with the document's components beside it so
/// its `#/components/schemas/...` references resolve. Cached by key.
fn validate(key: &str, schema: &Value, instance: &Value) -> Vec<String> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let cache = VALIDATORS.get_or_init(Default::default);
    let validator = {
        let mut cache = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry(key.to_owned())
            .or_insert_with(|| {
                let mut root = serde_json::json!({ "allOf": [schema] });
                root["components"] = document()["components"].clone();
                let validator = jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the document's schema for {key} is invalid: {e}"));
                std::sync::Arc::new(validator)
            })
            .clone()
    };
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

fn problem_schema() -> Value {
    serde_json::json!({ "$ref": "#/components/schemas/Problem" })
}

/// Checks one response; panics naming the operation and what differs.
pub fn check(seen: Seen<'_>) {
    let path = seen.url.split(['?', '#']).next().unwrap_or_default();
    let path = path
        .find("://")
        .and_then(|scheme| {
            path[scheme + 3..]
                .find('/')
                .map(|slash| &path[scheme + 3 + slash..])
        })
        .unwrap_or(path);
    let media = seen
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let operation = template_for(path).and_then(|template| {
        document()["paths"][template]
            .get(seen.method.to_ascii_lowercase())
            .map(|operation| (template, operation))
    });
    let Some((template, operation)) = operation else {
        // Not an operation (a path or method the service does not have, or
        // the docs): whatever problem it answers must still be a Problem.
        if media == "application/problem+json" {
            let body: Value = serde_json::from_slice(seen.body).unwrap_or(Value::Null);
            let errors = validate("Problem", &problem_schema(), &body);
            assert!(
                errors.is_empty(),
                "{} {path} answered {} with a body that is not a Problem: {errors:?}\n{body}",
                seen.method,
                seen.status
            );
        }
        return;
    };
    let id = operation["operationId"].as_str().unwrap_or(template);
    let status = seen.status.to_string();
    let Some(response) = operation["responses"].get(&status) else {
        panic!(
            "{id} ({} {template}) answered {status}, which the document does not list; body: {}",
            seen.method,
            String::from_utf8_lossy(seen.body)
        );
    };
    let response = resolve(response);
    for (name, _) in response["headers"].as_object().into_iter().flatten() {
        assert!(
            seen.headers.contains_key(name.as_str()),
            "{id} answered {status} without the {name} header the document promises"
        );
    }
    // The other way: a version or location a client can use is documented
    // where it is sent (problems carry neither).
    for name in ["ETag", "Location"] {
        if seen.headers.contains_key(name) && (200..300).contains(&seen.status) {
            assert!(
                response["headers"].get(name).is_some(),
                "{id} answered {status} with an {name} header the document does not declare"
            );
        }
    }
    let Some(content) = response["content"].as_object() else {
        assert!(
            seen.body.is_empty(),
            "{id} answered {status} with a body the document does not describe: {}",
            String::from_utf8_lossy(seen.body)
        );
        return;
    };
    let Some(described) = content.get(&media) else {
        panic!(
            "{id} answered {status} as `{media}`; the document lists {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    let schema = &described["schema"];
    let instance = if media.ends_with("json") {
        serde_json::from_slice(seen.body).unwrap_or_else(|e| {
            panic!(
                "{id} answered {status} with invalid JSON ({e}): {}",
                String::from_utf8_lossy(seen.body)
            )
        })
    } else {
        Value::String(String::from_utf8_lossy(seen.body).into_owned())
    };
    let errors = validate(&format!("{id} {status} {media}"), schema, &instance);
    assert!(
        errors.is_empty(),
        "{id} answered {status} with a body its schema refuses:\n  {}\nbody: {instance}",
        errors.join("\n  ")
    );
    check_page_links(id, &instance, seen.headers);
}

/// A page of a list links to the others exactly when there are others.
fn check_page_links(id: &str, body: &Value, headers: &awc::http::header::HeaderMap) {
    let (Some(total), Some(limit), Some(offset)) = (
        body["total"].as_i64(),
        body["limit"].as_i64(),
        body["offset"].as_i64(),
    ) else {
        return;
    };
    let link = headers
        .get("link")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let has = |rel: &str| link.contains(&format!("rel=\"{rel}\""));
    assert_eq!(
        has("next"),
        offset + limit < total,
        "{id}: Link {link:?} for {body}"
    );
    assert_eq!(has("prev"), offset > 0, "{id}: Link {link:?} for {body}");
}

/// The check is live: a body, a status or a media type the document does
/// not describe for the operation fails.
#[test]
fn the_check_refuses_what_the_document_does_not_describe() {
    let headers = awc::http::header::HeaderMap::new();
    let seen = |status, content_type: &'static str, body: &'static str| {
        let headers = headers.clone();
        move || {
            check(Seen {
                method: "GET",
                url: "http://127.0.0.1:1/api/v1/funding-streams?limit=5",
                status,
                content_type,
                headers: &headers,
                body: body.as_bytes(),
            })
        }
    };
    let page = r#"{"items":[],"total":0,"limit":5,"offset":0}"#;
    seen(200, "application/json", page)();
    for (status, content_type, body) in [
        (
            200,
            "application/json",
            r#"{"items":[],"total":"0","limit":5,"offset":0}"#,
        ),
        (
            200,
            "application/json",
            r#"{"items":[{"id":"x"}],"total":1,"limit":5,"offset":0}"#,
        ),
        (200, "text/csv", "a,b\n"),
        (
            404,
            "application/problem+json",
            r#"{"type":"/problems/not-found"}"#,
        ),
    ] {
        let refused = std::panic::catch_unwind(seen(status, content_type, body)).is_err();
        assert!(refused, "{status} {content_type} {body} passed");
    }
}
