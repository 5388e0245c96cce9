//! Unique constraints reach the client as the field error their name maps to (see
//! `error::UNIQUE`), on both databases: the races the services' own checks cannot close (two
//! concurrent creations) answer like the checks do. Before the mapping went by constraint name,
//! the error text was searched for `phone`, and a slug or role name taken answered a bare 409.

use crate::{
    authz::store::RoleRow,
    db::Db,
    error::{ApiError, Code},
    tenants::store::{self, TenantRow},
    users::store::UserRow,
};

async fn sqlite() -> (Db, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("stoa-unique-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()), 2)
        .await
        .unwrap();
    (db, dir)
}

/// A scratch PostgreSQL database, when the server at 127.0.0.1:5432 is reachable.
async fn postgres() -> Option<(Db, String)> {
    use sqlx::Connection;
    let admin = "postgres://postgres@127.0.0.1:5432/postgres";
    let mut c = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        sqlx::PgConnection::connect(admin),
    )
    .await
    .ok()?
    .ok()?;
    let name = format!("stoa_unit_{}", uuid::Uuid::new_v4().simple());
    sqlx::Executor::execute(&mut c, format!("create database {name}").as_str())
        .await
        .ok()?;
    let db = Db::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"), 2)
        .await
        .ok()?;
    Some((db, name))
}

async fn drop_pg(name: &str) {
    use sqlx::Connection;
    if let Ok(mut c) =
        sqlx::PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres").await
    {
        let _ = sqlx::Executor::execute(
            &mut c,
            format!("drop database if exists {name} with (force)").as_str(),
        )
        .await;
    }
}

fn field_error(e: sqlx::Error) -> (Code, Option<String>) {
    let api = ApiError::from(e);
    (api.code, api.field)
}

async fn duplicates_name_their_field(db: &Db) {
    db.migrate().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let t = TenantRow::new("acme".into(), "Acme".into());
    store::insert(&mut tx, &t).await.unwrap();
    tx.commit().await.unwrap();
    // (PostgreSQL aborts a transaction at its first error: each violation gets its own.)
    let mut tx = db.begin().await.unwrap();
    let again = TenantRow::new("acme".into(), "Acme again".into());
    let e = store::insert(&mut tx, &again).await.unwrap_err();
    assert_eq!(field_error(e), (Code::SlugTaken, Some("slug".into())));
    drop(tx);

    let user = |email: Option<&str>, phone: Option<&str>| {
        UserRow::new(
            &t.id,
            "U".into(),
            email.map(str::to_string),
            phone.map(str::to_string),
            None,
        )
    };
    let mut tx = db.begin().await.unwrap();
    crate::users::store::insert(&mut tx, &user(Some("a@acme.test"), Some("+84912345678")))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let e = crate::users::store::insert(&mut tx, &user(Some("a@acme.test"), None))
        .await
        .unwrap_err();
    assert_eq!(field_error(e), (Code::EmailTaken, Some("email".into())));
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let e = crate::users::store::insert(&mut tx, &user(Some("b@acme.test"), Some("+84912345678")))
        .await
        .unwrap_err();
    assert_eq!(field_error(e), (Code::PhoneTaken, Some("phone".into())));
    drop(tx);

    let mut tx = db.begin().await.unwrap();
    let role = |name: &str| RoleRow::new(name.into(), String::new(), "");
    crate::authz::store::insert(&mut tx, &t.id, &role("Auditors"))
        .await
        .unwrap();
    let e = crate::authz::store::insert(&mut tx, &t.id, &role("Auditors"))
        .await
        .unwrap_err();
    assert_eq!(field_error(e), (Code::RoleNameTaken, Some("name".into())));
    drop(tx);

    // A unique constraint with no field to name (here a role id taken) stays a plain conflict.
    let mut tx = db.begin().await.unwrap();
    let first = role("Readers");
    crate::authz::store::insert(&mut tx, &t.id, &first)
        .await
        .unwrap();
    let same_id = RoleRow {
        name: "Writers".into(),
        ..first
    };
    let e = crate::authz::store::insert(&mut tx, &t.id, &same_id)
        .await
        .unwrap_err();
    let api = ApiError::from(e);
    assert_eq!((api.code, api.field), (Code::Conflict, None));
}

#[tokio::test]
async fn unique_violations_map_by_constraint_name_on_sqlite() {
    let (db, dir) = sqlite().await;
    duplicates_name_their_field(&db).await;
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn unique_violations_map_by_constraint_name_on_postgres() {
    let Some((db, name)) = postgres().await else {
        eprintln!("!!! PostgreSQL unreachable: SKIPPING the PostgreSQL half of this test !!!");
        return;
    };
    duplicates_name_their_field(&db).await;
    db.pool.close().await;
    drop_pg(&name).await;
}
