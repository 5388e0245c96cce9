//! Configuration tests.

use super::*;

#[test]
fn example_parses_and_equals_defaults() {
    let dir = std::env::temp_dir().join(format!("stoa-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stoa.toml");
    std::fs::write(&path, EXAMPLE).unwrap();
    let cfg = Config::load(Some(&path), Vec::new()).unwrap();
    let def = Config::default();
    assert_eq!(cfg.listen, def.listen);
    assert_eq!(cfg.session.idle_timeout_secs, def.session.idle_timeout_secs);
    assert_eq!(cfg.login.max_failures_per_ip, def.login.max_failures_per_ip);
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
