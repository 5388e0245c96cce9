//! The annotated example configuration, generated from the configuration type so that it cannot
//! drift: every setting appears with its default (serialised from `Config::default()`, exactly
//! what `Config::load` starts from) under the setting's own documentation (its doc comment, read
//! through the type's JSON schema), with the environment variable that sets it. Secrets are
//! listed commented out. `deploy/stoa.example.toml` is this output, checked by a test.

use super::Config;
use serde_json::{Map, Value as Json};
use std::fmt::Write;

const HEADER: &str = "\
# stoa.toml: every key is optional; the values shown are the defaults.
# Generated from the configuration type (`stoa config example`); do not edit by hand.
#
# Each key can also be set from the environment: STOA_<KEY>, nested tables joined with `__`
# (STOA_SESSION__IDLE_TIMEOUT_SECS=3600); list values are comma-separated
# (STOA_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1). The environment overrides this file.
# Secrets are shown commented out: set them from the environment (or a file only the server's
# account can read), never in a file everyone can read.
";

/// One setting: its path of keys, documentation, default and whether it is a secret.
#[derive(Debug)]
pub(super) struct Setting {
    pub path: Vec<String>,
    pub doc: String,
    pub default: toml::Value,
    pub secret: bool,
}

/// One table of settings (the root or a section) with its documentation.
#[derive(Debug)]
pub(super) struct Section {
    pub path: Vec<String>,
    pub doc: String,
    pub settings: Vec<Setting>,
}

/// The commented example printed by `stoa config example`.
pub fn example() -> String {
    let mut out = String::from(HEADER);
    for section in sections() {
        if !section.path.is_empty() {
            out.push('\n');
            comment(&mut out, &section.doc);
            let _ = writeln!(out, "[{}]", section.path.join("."));
        }
        for s in &section.settings {
            out.push('\n');
            comment(&mut out, &s.doc);
            let env = format!("STOA_{}", s.path.join("__").to_ascii_uppercase());
            let key = s.path.last().map(String::as_str).unwrap_or_default();
            if s.secret {
                let _ = writeln!(out, "# {env} (secret)\n# {key} = {}", s.default);
            } else {
                let _ = writeln!(out, "# {env}\n{key} = {}", s.default);
            }
        }
    }
    out
}

/// Every table of the configuration, in declaration order, each with its settings.
pub(super) fn sections() -> Vec<Section> {
    let schema = serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default();
    let defs = schema
        .get("$defs")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let defaults = toml::Value::try_from(Config::default())
        .unwrap_or_else(|_| toml::Value::Table(Default::default()));
    let mut out = Vec::new();
    walk(
        &defs,
        &schema,
        &defaults,
        Vec::new(),
        String::new(),
        &mut out,
    );
    out
}

fn walk(
    defs: &Map<String, Json>,
    schema: &Json,
    defaults: &toml::Value,
    path: Vec<String>,
    doc: String,
    out: &mut Vec<Section>,
) {
    let schema = resolve(defs, schema);
    let props = schema
        .get("properties")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut section = Section {
        path: path.clone(),
        doc,
        settings: Vec::new(),
    };
    let mut nested = Vec::new();
    for (key, prop) in &props {
        let Some(default) = defaults.get(key) else {
            continue;
        };
        let mut p = path.clone();
        p.push(key.clone());
        let target = resolve(defs, prop);
        let doc = description(prop)
            .or_else(|| description(target))
            .unwrap_or_default();
        if default.is_table() {
            nested.push((prop, default, p, doc));
            continue;
        }
        let item_secret = target
            .get("items")
            .map(|i| is_secret(resolve(defs, i)))
            .unwrap_or(false);
        section.settings.push(Setting {
            path: p,
            doc,
            default: default.clone(),
            secret: is_secret(target) || item_secret,
        });
    }
    out.push(section);
    for (prop, default, p, doc) in nested {
        walk(defs, prop, default, p, doc, out);
    }
}

/// Follow a `$ref` into the definitions.
fn resolve<'a>(defs: &'a Map<String, Json>, schema: &'a Json) -> &'a Json {
    schema
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name))
        .unwrap_or(schema)
}

fn description(schema: &Json) -> Option<String> {
    schema
        .get("description")
        .and_then(Json::as_str)
        .filter(|d| !d.trim().is_empty())
        .map(str::to_string)
}

fn is_secret(schema: &Json) -> bool {
    schema.get("writeOnly").and_then(Json::as_bool) == Some(true)
}

/// Documentation as `#` lines of at most ~96 characters, paragraph by paragraph.
fn comment(out: &mut String, doc: &str) {
    for para in doc.split("\n\n") {
        let mut line = String::from("#");
        for word in para.split_whitespace() {
            if line.len() > 1 && line.len() + 1 + word.len() > 96 {
                let _ = writeln!(out, "{line}");
                line = String::from("#");
            }
            line.push(' ');
            line.push_str(word);
        }
        if line.len() > 1 {
            let _ = writeln!(out, "{line}");
        }
    }
}
