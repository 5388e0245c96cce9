//! Data migrations keep the data: each is applied to a database holding rows written under the
//! schema before it, on both backends.

use crate::{
    both,
    common::{Backend, PgDb},
};
use sqlx::migrate::Migrator;
use std::{borrow::Cow, path::PathBuf};

fn folder(b: Backend) -> PathBuf {
    let d = match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(d)
}

/// The migrations of `b` below version `below` (all of them with `i64::MAX`).
async fn migrator(b: Backend, below: i64) -> Migrator {
    let mut m = Migrator::new(folder(b)).await.expect("migrations");
    m.migrations = Cow::Owned(
        m.migrations
            .iter()
            .filter(|x| x.version < below)
            .cloned()
            .collect(),
    );
    m
}

const BEFORE_0011: &[&str] = &[
    "insert into tenants (id, slug, name, status, audit_seq, audit_head, policy_version, created_at, updated_at)
     values ('t-busy', 'busy', 'Busy', 'active', 42, 'head-of-42', 7, 1, 1)",
    "insert into tenants (id, slug, name, status, audit_seq, audit_head, policy_version, created_at, updated_at)
     values ('t-new', 'new', 'New', 'suspended', 0, '', 1, 2, 2)",
];

const HEADS: &str = "select tenant_id, seq, head from audit_heads order by tenant_id";
const VERSIONS: &str = "select tenant_id, version from authz_versions order by tenant_id";

type Heads = Vec<(String, i64, String)>;
type Versions = Vec<(String, i64)>;

/// Migration 0011 moves the audit chain head and the policy version off `tenants` into
/// `audit_heads` and `authz_versions`, values intact, and drops the old columns.
async fn infra_columns_move_off_tenants_with_their_data(b: Backend) {
    let (before, after) = (migrator(b, 11).await, migrator(b, i64::MAX).await);
    let (heads, versions, old_column): (Heads, Versions, bool) = match b {
        Backend::Sqlite => {
            let dir = std::env::temp_dir()
                .join(format!("stoa-migrate-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).unwrap();
            let pool =
                sqlx::SqlitePool::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()))
                    .await
                    .unwrap();
            before.run(&pool).await.unwrap();
            for sql in BEFORE_0011 {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            after.run(&pool).await.unwrap();
            let heads = sqlx::query_as(HEADS).fetch_all(&pool).await.unwrap();
            let versions = sqlx::query_as(VERSIONS).fetch_all(&pool).await.unwrap();
            let old = sqlx::query("select policy_version from tenants")
                .fetch_all(&pool)
                .await
                .is_ok();
            pool.close().await;
            let _ = std::fs::remove_dir_all(dir);
            (heads, versions, old)
        }
        Backend::Postgres => {
            let Some(pg) = PgDb::create().await else {
                return;
            };
            let pool = sqlx::PgPool::connect(&pg.url()).await.unwrap();
            before.run(&pool).await.unwrap();
            for sql in BEFORE_0011 {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            after.run(&pool).await.unwrap();
            let heads = sqlx::query_as(HEADS).fetch_all(&pool).await.unwrap();
            let versions = sqlx::query_as(VERSIONS).fetch_all(&pool).await.unwrap();
            let old = sqlx::query("select policy_version from tenants")
                .fetch_all(&pool)
                .await
                .is_ok();
            pool.close().await;
            (heads, versions, old)
        }
    };
    assert_eq!(
        heads,
        vec![("t-busy".to_string(), 42, "head-of-42".to_string())],
        "a chain's head moves with it; a tenant without entries gets its row on the first one"
    );
    assert_eq!(
        versions,
        vec![("t-busy".to_string(), 7), ("t-new".to_string(), 1)]
    );
    assert!(!old_column, "the columns are gone from tenants");
}
both!(infra_columns_move_off_tenants_with_their_data);
