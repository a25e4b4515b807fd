//! The OpenAPI document is the product's contract: these tests hold it to
//! the OpenAPI 3.1 schema and to what clients and the docs page rely on.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

fn document() -> Value {
    commissioning::api::openapi::document_value()
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Each operation with its method and path.
fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                found.push((method.clone(), path.clone(), operation));
            }
        }
    }
    found
}

#[test]
fn the_document_validates_against_the_openapi_3_1_schema() {
    let schema: Value = serde_json::from_str(include_str!("../fixtures/openapi-3.1-schema.json"))
        .expect("the OpenAPI 3.1 schema parses");
    let validator = jsonschema::draft202012::new(&schema).expect("the OpenAPI 3.1 schema compiles");
    let document = document();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The validator is live: a document without `info` is refused.
    let mut broken = document.clone();
    broken.as_object_mut().map(|d| d.remove("info"));
    assert!(!validator.is_valid(&broken));
    assert!(document["openapi"]
        .as_str()
        .unwrap_or_default()
        .starts_with("3.1."));
}

#[test]
fn every_operation_has_a_unique_id_a_summary_a_description_and_a_declared_tag() {
    let document = document();
    let declared: HashSet<&str> = document["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|tag| tag["name"].as_str())
        .collect();
    let mut ids = HashSet::new();
    let operations = operations(&document);
    assert!(
        operations.len() >= 50,
        "only {} operations",
        operations.len()
    );
    for (method, path, operation) in operations {
        let at = format!("{method} {path}");
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: no operationId"));
        assert!(
            ids.insert(id.to_owned()),
            "{at}: operationId {id} is used twice"
        );
        for field in ["summary", "description"] {
            assert!(
                operation[field]
                    .as_str()
                    .is_some_and(|text| !text.trim().is_empty()),
                "{at}: no {field}"
            );
        }
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(
            summary.len() <= 60 && !summary.ends_with('.'),
            "{at}: summary `{summary}` is not a title"
        );
        let tags = operation["tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{at}: no tags"));
        assert_eq!(tags.len(), 1, "{at}: one tag per operation");
        let tag = tags[0].as_str().unwrap_or_default();
        assert!(declared.contains(tag), "{at}: tag {tag} is not declared");
        for (status, response) in operation["responses"].as_object().expect("responses") {
            let response = resolve(&document, response);
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{at}: response {status} has no description"
            );
        }
    }
}

/// Health checks and published documents are public and say so; everything
/// else needs the bearer token.
#[test]
fn security_is_stated_for_every_operation() {
    let document = document();
    assert_eq!(document["security"], serde_json::json!([{ "bearer": [] }]));
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    for (method, path, operation) in operations(&document) {
        let public = operation["tags"][0] == commissioning::api::openapi::PUBLIC_TAG
            || operation["tags"][0] == commissioning::api::openapi::PUBLISHED_TAG;
        if public {
            assert_eq!(
                operation["security"],
                serde_json::json!([]),
                "{method} {path}"
            );
        } else {
            assert!(
                operation.get("security").is_none(),
                "{method} {path} overrides security"
            );
            assert!(
                operation["responses"]["401"].is_object(),
                "{method} {path} needs a token but documents no 401"
            );
        }
    }
    assert!(!document["servers"].as_array().expect("servers").is_empty());
}

fn pointer<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(reference) => pointer(document, reference).unwrap_or(&Value::Null),
        None => value,
    }
}

#[test]
fn every_reference_resolves() {
    fn walk(node: &Value, references: &mut BTreeSet<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    references.insert(reference.clone());
                }
                map.values().for_each(|child| walk(child, references));
            }
            Value::Array(items) => items.iter().for_each(|child| walk(child, references)),
            _ => {}
        }
    }
    let document = document();
    let mut references = BTreeSet::new();
    walk(&document, &mut references);
    assert!(
        references.len() > 20,
        "only {} references",
        references.len()
    );
    let missing: Vec<&String> = references
        .iter()
        .filter(|reference| pointer(&document, reference).is_none())
        .collect();
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

/// Each `{parameter}` in a path is declared as a required path parameter,
/// and each declared path parameter is in the path.
#[test]
fn path_parameters_match_their_templates() {
    let document = document();
    for (method, path, operation) in operations(&document) {
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|part| Some(part.strip_prefix('{')?.split_once('}')?.0))
            .collect();
        let declared: BTreeSet<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .inspect(|p| assert_eq!(p["required"], true, "{method} {path}: {p}"))
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(in_template, declared, "{method} {path}");
    }
}

/// Examples are what the service would send: each problem response's
/// example has its own status and problem type.
#[test]
fn problem_examples_carry_their_own_status() {
    let document = document();
    let responses = document["components"]["responses"]
        .as_object()
        .expect("responses");
    let mut checked = 0;
    for (name, response) in responses {
        let content = &response["content"]["application/problem+json"];
        let example = &content["examples"]["problem"]["value"];
        let status = example["status"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: no example"));
        assert!((400..600).contains(&status), "{name}: {example}");
        assert!(example["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")));
        // The response is used under the status its example states.
        for (method, path, operation) in operations(&document) {
            for (used_as, used) in operation["responses"].as_object().expect("responses") {
                if used["$ref"] == format!("#/components/responses/{name}") {
                    assert_eq!(used_as, &status.to_string(), "{method} {path}: {name}");
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 8);
}

/// Every example the document gives (request bodies, records, parameters)
/// is valid against its own schema, so "Try it out" sends what the service
/// accepts and readers see what it sends.
#[test]
fn every_example_validates_against_its_schema() {
    let document = document();
    let components = document["components"].clone();
    let check = |at: &str, schema: &Value, example: &Value| {
        let mut root = serde_json::json!({ "allOf": [schema] });
        root["components"] = components.clone();
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(example)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{at}: example {example} is invalid: {errors:?}"
        );
    };
    let mut checked = 0;
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        let mut without = schema.clone();
        if let Some(example) = without.as_object_mut().and_then(|s| s.remove("example")) {
            check(name, &without, &example);
            checked += 1;
        }
        for example in schema["examples"].as_array().into_iter().flatten() {
            check(name, schema, example);
            checked += 1;
        }
    }
    for (method, path, operation) in operations(&document) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if let Some(example) = parameter.get("example") {
                check(
                    &format!("{method} {path} {}", parameter["name"]),
                    &parameter["schema"],
                    example,
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} examples");
}

/// Each list's `sort` pattern names exactly the keys the list sorts by
/// (the pattern is written out in the handler; the keys are the domain's).
#[test]
fn sort_patterns_name_each_lists_keys() {
    use commissioning::domain::{contract, funding_stream, outcome, provider};
    let document = document();
    let keys = |all: Vec<&str>| all.join("|");
    for (path, allowed) in [
        (
            "/api/v1/contracts",
            keys(contract::ContractSortKey::ALL.map(|k| k.as_str()).to_vec()),
        ),
        (
            "/api/v1/funding-streams",
            keys(
                funding_stream::StreamSortKey::ALL
                    .map(|k| k.as_str())
                    .to_vec(),
            ),
        ),
        (
            "/api/v1/outcome-returns",
            keys(outcome::ReturnSortKey::ALL.map(|k| k.as_str()).to_vec()),
        ),
        (
            "/api/v1/providers",
            keys(provider::ProviderSortKey::ALL.map(|k| k.as_str()).to_vec()),
        ),
    ] {
        let sort = document["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "sort"))
            .unwrap_or_else(|| panic!("{path} has no sort parameter"));
        assert_eq!(
            sort["schema"]["pattern"],
            format!("^-?({allowed})(,-?({allowed})){{0,3}}$"),
            "{path}"
        );
    }
}
