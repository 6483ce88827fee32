//! The methods each path of a JSON API takes, read once from the API's own OpenAPI document, so
//! that the `Allow` header of a 405 and the document cannot disagree.

/// The methods of each path of the API.
pub struct AllowedMethods {
    paths: Vec<(Vec<String>, String)>,
}

impl AllowedMethods {
    /// The table of the OpenAPI document `spec` (JSON).
    pub fn of_spec(spec: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let paths = spec["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let segments = path.split('/').map(str::to_owned).collect();
                        let mut methods: Vec<String> = item
                            .as_object()
                            .map(|m| m.keys().map(|k| k.to_ascii_uppercase()).collect())
                            .unwrap_or_default();
                        methods.sort();
                        (segments, methods.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { paths }
    }

    /// The methods `path` (below the API's root) takes, when it is a path of the API.
    pub fn of(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.paths
            .iter()
            .find(|(segments, _)| {
                segments.len() == asked.len()
                    && segments
                        .iter()
                        .zip(&asked)
                        .all(|(s, a)| (s.starts_with('{') && !a.is_empty()) || s == a)
            })
            .map(|(_, methods)| methods.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_gets_the_methods_of_its_template() {
        let table = AllowedMethods::of_spec(
            r#"{"paths": {"/v1/sessions/{id}": {"patch": {}, "delete": {}},
                          "/v1/sessions": {"get": {}}}}"#,
        );
        assert_eq!(table.of("/v1/sessions/12"), Some("DELETE, PATCH"));
        assert_eq!(table.of("/v1/sessions"), Some("GET"));
        assert_eq!(table.of("/v1/sessions/"), None);
        assert_eq!(table.of("/v2/else"), None);
    }
}
