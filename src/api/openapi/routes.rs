//! The path templates the document lists, to answer 405 with `Allow`
//! for a path we have but not with the method asked.

/// Routes served outside the documented API (the document and its UI).
const UNDOCUMENTED_ROUTES: [(&str, &str); 3] = [
    ("/openapi.json", "GET"),
    ("/docs", "GET"),
    (crate::metrics::METRICS_PATH, "GET"),
];

/// Each documented path template, split at `/`, with its methods.
fn route_table() -> &'static [(Vec<String>, Vec<String>)] {
    static TABLE: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let document = super::document_value();
        let mut table: Vec<(Vec<String>, Vec<String>)> = document["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, operations)| {
                        let methods = operations
                            .as_object()
                            .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        (split_path(path), methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        table.extend(
            UNDOCUMENTED_ROUTES
                .iter()
                .map(|(path, method)| (split_path(path), vec![(*method).to_owned()])),
        );
        table
    })
}

fn split_path(path: &str) -> Vec<String> {
    path.split('/').map(str::to_owned).collect()
}

/// The methods the path serves, as an `Allow` value, when it matches a
/// documented path template (a `{parameter}` matches any non-empty
/// segment); `None` for a path the service does not have.
pub fn allowed_methods(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut allowed: Vec<&str> = Vec::new();
    for (template, methods) in route_table() {
        let matches = template.len() == segments.len()
            && template.iter().zip(&segments).all(|(part, segment)| {
                if part.starts_with('{') {
                    // `{register}.csv`: the text after the parameter is literal.
                    let suffix = part.rsplit_once('}').map_or("", |(_, s)| s);
                    segment.len() > suffix.len() && segment.ends_with(suffix)
                } else {
                    part == segment
                }
            });
        if matches {
            allowed.extend(methods.iter().map(String::as_str));
        }
    }
    if allowed.is_empty() {
        return None;
    }
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    const ORDER: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
    allowed.sort_by_key(|m| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
    allowed.dedup();
    Some(allowed.join(", "))
}
