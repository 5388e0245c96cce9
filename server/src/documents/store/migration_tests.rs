//! Migration 0010 moves the feature settings off `tenants` and `users` with their data, and
//! the stores keep quota accounting exact on the new tables (SQLite here; PostgreSQL too when
//! it is reachable at 127.0.0.1:5432). Tenants and retention are read through their services;
//! the rows of the schema before 0010 are written by hand, as no store writes that schema.

use crate::{db::Db, files, tenants::store::TenantRow, users::store::UserRow};
use sqlx::migrate::Migrator;
use std::borrow::Cow;

/// The migrations before 0010.
fn before(full: &Migrator) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            full.migrations
                .iter()
                .filter(|m| m.version < 10)
                .cloned()
                .collect(),
        ),
        ignore_missing: full.ignore_missing,
        locking: full.locking,
        no_tx: full.no_tx,
    }
}

async fn check(db: &Db, full: &Migrator) {
    let mut conn = db.conn().await.unwrap();
    before(full).run(&mut *conn).await.unwrap();
    let t = TenantRow::new("acme".into(), "Acme".into());
    crate::tenants::service::insert_bare(&mut conn, &t)
        .await
        .unwrap();
    let other = TenantRow::new("other".into(), "Other".into());
    crate::tenants::service::insert_bare(&mut conn, &other)
        .await
        .unwrap();
    sqlx::query(
        "update tenants set doc_versions_kept = 3, trash_retention_days = 7, user_quota_bytes = 100,
            storage_quota_bytes = 1000, max_upload_bytes = 50, storage_used_bytes = 42 where id = $1",
    )
    .bind(&t.id)
    .execute(&mut *conn)
    .await
    .unwrap();
    // Rows as the schema before 0010 had them (today's store writes later columns too).
    let u = UserRow::new(
        &t.id,
        "Ann".into(),
        Some("ann@example.com".into()),
        None,
        None,
    );
    let v = UserRow::new(
        &t.id,
        "Bob".into(),
        Some("bob@example.com".into()),
        None,
        None,
    );
    for x in [&u, &v] {
        sqlx::query(
            "insert into users (tenant_id, id, email, display_name, status, created_at, updated_at)
             values ($1, $2, $3, $4, 'invited', 0, 0)",
        )
        .bind(&x.tenant_id)
        .bind(&x.id)
        .bind(x.email.clone())
        .bind(&x.display_name)
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    sqlx::query("update users set storage_quota_bytes = 10, storage_used_bytes = 5 where id = $1")
        .bind(&u.id)
        .execute(&mut *conn)
        .await
        .unwrap();
    full.run(&mut *conn).await.unwrap();

    // The data moved.
    assert_eq!(
        super::settings::get(&mut conn, &t.id).await.unwrap(),
        Some(3)
    );
    assert_eq!(
        super::settings::get(&mut conn, &other.id).await.unwrap(),
        None
    );
    // The trash period went on to the retention policy (class `trash`).
    assert_eq!(
        crate::retention::service::periods(&mut conn, &t.id)
            .await
            .unwrap(),
        vec![("trash".to_string(), Some(7))]
    );
    assert!(crate::retention::service::periods(&mut conn, &other.id)
        .await
        .unwrap()
        .is_empty());
    let s = files::store::storage_settings(&mut conn, &t.id)
        .await
        .unwrap();
    assert_eq!(s, (Some(1000), Some(50), 42));
    assert_eq!(
        files::store::user_quota_default(&mut conn, &t.id)
            .await
            .unwrap(),
        Some(100)
    );
    assert_eq!(
        files::store::user_storage(&mut conn, &t.id, &u.id)
            .await
            .unwrap(),
        (5, 10)
    );
    // No own quota: the tenant's per-person quota.
    assert_eq!(
        files::store::user_storage(&mut conn, &t.id, &v.id)
            .await
            .unwrap(),
        (0, 100)
    );
    // The old columns are gone.
    assert!(sqlx::query("select storage_used_bytes from tenants")
        .execute(&mut *conn)
        .await
        .is_err());
    assert!(sqlx::query("select storage_quota_bytes from users")
        .execute(&mut *conn)
        .await
        .is_err());

    // Quotas hold on the new tables, rows created on first use.
    assert!(files::store::reserve(&mut conn, &t.id, 958, 0)
        .await
        .unwrap());
    assert!(!files::store::reserve(&mut conn, &t.id, 1, 0).await.unwrap());
    assert_eq!(
        files::store::storage_settings(&mut conn, &t.id)
            .await
            .unwrap()
            .2,
        1000
    );
    let c = TenantRow::new("fresh".into(), "Fresh".into());
    crate::tenants::service::insert_bare(&mut conn, &c)
        .await
        .unwrap();
    assert_eq!(
        files::store::storage_settings(&mut conn, &c.id)
            .await
            .unwrap(),
        (None, None, 0)
    );
    assert!(files::store::reserve(&mut conn, &c.id, 30, 50)
        .await
        .unwrap());
    assert!(!files::store::reserve(&mut conn, &c.id, 30, 50)
        .await
        .unwrap());
    files::store::release(&mut conn, &c.id, 10).await.unwrap();
    assert_eq!(
        files::store::storage_settings(&mut conn, &c.id)
            .await
            .unwrap()
            .2,
        20
    );
    assert!(files::store::reserve_user(&mut conn, &t.id, &u.id, 5)
        .await
        .unwrap());
    assert!(!files::store::reserve_user(&mut conn, &t.id, &u.id, 1)
        .await
        .unwrap());
    assert!(files::store::reserve_user(&mut conn, &t.id, &v.id, 100)
        .await
        .unwrap());
    assert!(!files::store::reserve_user(&mut conn, &t.id, &v.id, 1)
        .await
        .unwrap());
    files::store::release_user(&mut conn, &t.id, &v.id, 40)
        .await
        .unwrap();
    assert_eq!(
        files::store::user_storage(&mut conn, &t.id, &v.id)
            .await
            .unwrap(),
        (60, 100)
    );
}

#[tokio::test]
async fn sqlite_settings_move_with_their_data() {
    let dir = std::env::temp_dir().join(format!("stoa-mig10-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 1)
        .await
        .unwrap();
    check(&db, &sqlx::migrate!("../migrations/sqlite")).await;
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_settings_move_with_their_data() {
    let admin_url = "postgres://postgres@127.0.0.1:5432/postgres";
    let Ok(admin) = Db::connect(admin_url, 1).await else {
        eprintln!("PostgreSQL is not reachable: migration 0010 checked on SQLite only");
        return;
    };
    let name = format!("stoa_mig10_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
    let db = Db::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"), 1)
        .await
        .unwrap();
    check(&db, &sqlx::migrate!("../migrations/postgres")).await;
    db.pool.close().await;
    sqlx::query(&format!("drop database {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
}

/// Concurrent reservations against a tenant with no `storage_limits` row yet (each creates it
/// if missing) never pass the quota together.
async fn concurrent_reservations(db: &Db) {
    let t = TenantRow::new("race".into(), "Race".into());
    {
        let mut conn = db.conn().await.unwrap();
        crate::tenants::service::insert_bare(&mut conn, &t)
            .await
            .unwrap();
    }
    let tries = (0..12).map(|_| {
        let tenant_id = t.id.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let ok = files::store::reserve(&mut tx, &tenant_id, 10, 50)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            ok
        }
    });
    let results = futures_util::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|ok| **ok).count(), 5);
    let mut conn = db.conn().await.unwrap();
    assert_eq!(
        files::store::storage_settings(&mut conn, &t.id)
            .await
            .unwrap()
            .2,
        50
    );
}

#[tokio::test]
async fn sqlite_concurrent_reservations_stay_within_the_quota() {
    let dir = std::env::temp_dir().join(format!("stoa-race-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 4)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    concurrent_reservations(&db).await;
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_reservations_stay_within_the_quota() {
    let admin_url = "postgres://postgres@127.0.0.1:5432/postgres";
    let Ok(admin) = Db::connect(admin_url, 1).await else {
        eprintln!("PostgreSQL is not reachable: concurrent reservations checked on SQLite only");
        return;
    };
    let name = format!("stoa_race_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
    let db = Db::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"), 8)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    concurrent_reservations(&db).await;
    db.pool.close().await;
    sqlx::query(&format!("drop database {name}"))
        .execute(&admin.pool)
        .await
        .unwrap();
}
