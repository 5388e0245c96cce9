//! Configuration tests.

use super::*;

/// The generated example, loaded as a file, gives exactly the defaults (every setting, secrets
/// included).
#[test]
fn example_parses_and_equals_defaults() {
    let dir = std::env::temp_dir().join(format!("stoa-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stoa.toml");
    std::fs::write(&path, example()).unwrap();
    let cfg = Config::load(Some(&path), Vec::new()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        toml::Value::try_from(cfg).unwrap(),
        toml::Value::try_from(Config::default()).unwrap()
    );
}

/// Every leaf of the configuration type appears in the example with its documentation, its
/// environment variable and its default (secrets commented out); nothing else does.
#[test]
fn example_lists_every_setting_with_its_doc_and_default() {
    fn leaves(v: &toml::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    path.push(k.clone());
                    leaves(v, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut want = Vec::new();
    leaves(
        &toml::Value::try_from(Config::default()).unwrap(),
        &mut Vec::new(),
        &mut want,
    );
    let text = example();
    let mut got = Vec::new();
    for section in example::sections() {
        if !section.path.is_empty() {
            let header = format!("[{}]\n", section.path.join("."));
            assert!(text.contains(&header), "no {header} in the example");
        }
        for s in section.settings {
            assert!(
                s.doc.trim().len() > 3,
                "`{}` has no doc comment: document it in server/src/config",
                s.path.join(".")
            );
            let env = format!("# STOA_{}", s.path.join("__").to_ascii_uppercase());
            let key = s.path.last().unwrap();
            let line = if s.secret {
                format!("{env} (secret)\n# {key} = {}\n", s.default)
            } else {
                format!("{env}\n{key} = {}\n", s.default)
            };
            assert!(text.contains(&line), "missing from the example: {line}");
            got.push(s.path);
        }
    }
    want.sort();
    got.sort();
    assert_eq!(got, want, "the example's settings differ from the type's");
    for secret in [
        "database_url",
        "master_key",
        "anchor_key",
        "smtp_password",
        "http_headers",
    ] {
        assert!(
            text.contains(&format!("\n# {secret} = ")),
            "{secret} is not commented out"
        );
    }
}

/// The committed `deploy/stoa.example.toml` is the generated example.
#[test]
fn committed_example_is_current() {
    let committed = include_str!("../../../deploy/stoa.example.toml");
    assert!(
        committed == example(),
        "deploy/stoa.example.toml is stale: run `stoa config example > deploy/stoa.example.toml`"
    );
}

#[test]
fn env_overrides_file_and_coerces_types() {
    let env = vec![
        ("STOA_LISTEN".to_string(), "127.0.0.1:0".to_string()),
        (
            "STOA_SESSION__IDLE_TIMEOUT_SECS".to_string(),
            "60".to_string(),
        ),
        (
            "STOA_TRUSTED_PROXIES".to_string(),
            "10.0.0.0/8, 127.0.0.1".to_string(),
        ),
        ("STOA_TEST_MEILI_URL".to_string(), "ignored".to_string()),
    ];
    let cfg = Config::load(None, env).unwrap();
    assert_eq!(cfg.listen, "127.0.0.1:0");
    assert_eq!(cfg.session.idle_timeout_secs, 60);
    assert_eq!(cfg.trusted_proxies, vec!["10.0.0.0/8", "127.0.0.1"]);
    let bad = Config::load(
        None,
        vec![("STOA_SESSION__IDLE_TIMEOUT_SECS".into(), "soon".into())],
    );
    assert!(bad.is_err());
}

#[test]
fn unknown_file_keys_are_rejected() {
    let dir = std::env::temp_dir().join(format!("stoa-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stoa.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisen = \"typo\"\n").unwrap();
    let err = Config::load(Some(&path), Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("lisen"), "{err}");
}

#[test]
fn secrets_are_redacted_in_debug() {
    let mut cfg = Config {
        database_url: Secret("postgres://u:hunter2@h/db".into()),
        ..Default::default()
    };
    cfg.operator.token = Secret("op-secret".into());
    cfg.audit.anchor_key = Secret("anchor-secret".into());
    cfg.metrics_token = Secret("scrape-secret-0123".into());
    let s = format!("{cfg:?}");
    assert!(
        !s.contains("hunter2")
            && !s.contains("op-secret")
            && !s.contains("anchor-secret")
            && !s.contains("scrape-secret"),
        "{s}"
    );
}

#[test]
fn outbound_allow_list_from_env_and_checked() {
    let cfg = Config::load(
        None,
        vec![(
            "STOA_OUTBOUND__ALLOW_HOSTS".into(),
            "127.0.0.1, 10.0.0.0/8, keycloak.corp".into(),
        )],
    )
    .unwrap();
    assert_eq!(
        cfg.outbound.allow_hosts,
        vec!["127.0.0.1", "10.0.0.0/8", "keycloak.corp"]
    );
    assert!(!cfg.outbound.allow_private);
    let bad = Config::load(
        None,
        vec![("STOA_OUTBOUND__ALLOW_HOSTS".into(), "http://x/".into())],
    );
    assert!(bad.is_err());
}

#[test]
fn development_senders_are_refused_in_production() {
    let log = || vec![("STOA_SMS__SENDER".to_string(), "log".to_string())];
    let err = Config::load(None, log()).unwrap_err().to_string();
    assert!(err.contains("development"), "{err}");
    let mut dev = log();
    dev.push(("STOA_DEVELOPMENT".into(), "true".into()));
    assert!(Config::load(None, dev).is_ok());
    // SMTP needs a host; the gateway needs both placeholders.
    let smtp = vec![("STOA_MAIL__TRANSPORT".to_string(), "smtp".to_string())];
    assert!(Config::load(None, smtp).is_err());
    let gw = vec![
        ("STOA_SMS__SENDER".to_string(), "http".to_string()),
        (
            "STOA_SMS__HTTP_URL".to_string(),
            "https://sms.example.com/send".to_string(),
        ),
        (
            "STOA_SMS__HTTP_BODY".to_string(),
            r#"{"to":"{to}"}"#.to_string(),
        ),
    ];
    assert!(Config::load(None, gw).is_err());
}
