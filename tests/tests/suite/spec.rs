//! Every response the suite receives through [`crate::common::Server`] is checked against the
//! committed `openapi/stoa.yaml`: the path and method are documented, the status is declared for
//! the operation, the content type is one it declares, and a JSON body validates against the
//! declared schema. Generated clients are built from the spec, so a drift fails the test that
//! saw it.

use serde_json::Value;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

struct Spec {
    doc: Value,
    /// Path templates (without the `/api/v1` server prefix), split into segments.
    paths: Vec<(String, Vec<Option<String>>)>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/stoa.yaml");
        let text = std::fs::read_to_string(&file).expect("openapi/stoa.yaml");
        let mut doc: Value = serde_yaml::from_str(&text).expect("the spec parses");
        to_json_schema(&mut doc);
        let paths = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(|t| {
                let segs = t
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                    .collect();
                (t.clone(), segs)
            })
            .collect();
        Spec {
            doc,
            paths,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

/// OpenAPI 3.0's `nullable` becomes JSON Schema's `null` type.
fn to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), serde_json::json!([t, "null"]));
                } else {
                    let inner = Value::Object(std::mem::take(map));
                    map.insert(
                        "anyOf".into(),
                        serde_json::json!([inner, { "type": "null" }]),
                    );
                }
            }
            for (_, child) in map.iter_mut() {
                to_json_schema(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        _ => {}
    }
}

/// The documented template that `path` (below `/api/v1`) matches; literal segments win over
/// parameters (`/rooms/direct` before `/rooms/{id}`).
fn template(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    spec()
        .paths
        .iter()
        .filter(|(_, t)| {
            t.len() == segs.len()
                && t.iter()
                    .zip(&segs)
                    .all(|(a, b)| a.as_deref().is_none_or(|a| a == *b))
        })
        .max_by_key(|(_, t)| {
            // Earlier literal segments weigh more.
            t.iter()
                .enumerate()
                .map(|(i, s)| {
                    if s.is_some() {
                        1u64 << (16 - i.min(16))
                    } else {
                        0
                    }
                })
                .sum::<u64>()
        })
        .map(|(name, _)| name.as_str())
}

fn validator(key: String, schema: &Value) -> Arc<jsonschema::Validator> {
    let s = spec();
    let mut cache = s.validators.lock().unwrap();
    cache
        .entry(key)
        .or_insert_with(|| {
            // The schema under a root that carries the components its `$ref`s point into.
            let root = serde_json::json!({
                "allOf": [schema],
                "components": s.doc["components"],
            });
            Arc::new(
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .build(&root)
                    .expect("a valid schema"),
            )
        })
        .clone()
}

/// Check one response. `Err` says what the spec does not allow.
pub fn check(
    method: &str,
    url: &reqwest::Url,
    status: u16,
    content_type: Option<&str>,
    text: &str,
) -> Result<(), String> {
    let Some(path) = url.path().strip_prefix("/api/v1") else {
        return Ok(()); // health, metrics, docs: not part of the API spec
    };
    if matches!(path, "/openapi.yaml" | "/openapi.json" | "/events") {
        return Ok(());
    }
    let what = format!("{method} {} → {status}", url.path());
    let unrouted = matches!(status, 404 | 405);
    let Some(tpl) = template(path) else {
        return if unrouted {
            Ok(())
        } else {
            Err(format!("{what}: the path is not in the spec"))
        };
    };
    let op = &spec().doc["paths"][tpl][method.to_ascii_lowercase()];
    if op.is_null() {
        return if unrouted {
            Ok(())
        } else {
            Err(format!("{what}: {tpl} has no {method} in the spec"))
        };
    }
    let responses = &op["responses"];
    let declared = &responses[status.to_string()];
    let declared = if declared.is_null() {
        &responses["default"]
    } else {
        declared
    };
    if declared.is_null() {
        return Err(format!(
            "{what}: status {status} is not declared for {} ({})",
            op["operationId"], text
        ));
    }
    let content = declared["content"].as_object();
    let Some(content) = content.filter(|c| !c.is_empty()) else {
        return if text.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: a body the spec does not declare: {text}"))
        };
    };
    if text.is_empty() && method == "HEAD" {
        return Ok(());
    }
    let ct = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    // Media types compare without their parameters (`; charset=utf-8`).
    let declared_as = |want: &str| {
        content
            .iter()
            .find(|(k, _)| k.split(';').next().unwrap_or("").trim() == want)
            .map(|(_, v)| v)
    };
    let media = declared_as(&ct).or_else(|| {
        let major = ct.split('/').next().unwrap_or("");
        declared_as(&format!("{major}/*")).or_else(|| declared_as("*/*"))
    });
    let Some(media) = media else {
        return Err(format!(
            "{what}: content type `{ct}` is not among {:?} declared for {}",
            content.keys().collect::<Vec<_>>(),
            op["operationId"]
        ));
    };
    if !(ct == "application/json" || ct.ends_with("+json")) {
        return Ok(());
    }
    let body: Value =
        serde_json::from_str(text).map_err(|e| format!("{what}: not JSON ({e}): {text}"))?;
    let v = validator(format!("{tpl} {method} {status} {ct}"), &media["schema"]);
    let errors: Vec<String> = v
        .iter_errors(&body)
        .take(5)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        let mut shown = text.to_string();
        shown.truncate(600);
        Err(format!(
            "{what} ({}): the body does not match the spec: {}\nbody: {shown}",
            op["operationId"],
            errors.join("; ")
        ))
    }
}
