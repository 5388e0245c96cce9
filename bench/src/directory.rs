//! The address book at scale: a tenant of 50,000 active people with Vietnamese, Chinese and
//! English names in 200 departments, seeded straight into the server's database the way the
//! server writes them (`users::store::insert`, which folds the search text;
//! `directory::store::set_memberships`); then the admin searches the address book
//! (`GET /directory/people?q=`, case- and accent-insensitive) one query after another: full
//! names, family names that match thousands, names without diacritics, Chinese given names,
//! emails, and a department's members filtered by a name.

use crate::{fmt_ms, percentile, seed::database_url, storage, BoxError, Row, Spawned};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use stoa::{
    db::{now_ms, Db},
    users::store::UserRow,
};

const DEPARTMENTS: usize = 200;
const ROUNDS: usize = 30;

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "王", "李", "张", "刘", "陈", "Smith", "Garcia", "Müller",
];
const GIVEN: &[&str] = &[
    "Thị Hà",
    "Văn An",
    "Minh Châu",
    "Quốc Bảo",
    "Thu Trang",
    "Đức Anh",
    "Ngọc Lan",
    "Hữu Phước",
    "小明",
    "丽华",
    "建国",
    "Anna",
    "James",
    "Sofia",
    "Lukas",
];

fn name(i: usize) -> String {
    format!(
        "{} {} {i}",
        FAMILY[i % FAMILY.len()],
        GIVEN[(i / FAMILY.len()) % GIVEN.len()]
    )
}

/// Seed `n` people into the `bench` tenant, each in one of the departments.
async fn seed(db: &Db, departments: &[String], n: usize) -> Result<(), BoxError> {
    let started = Instant::now();
    let tenant_id: String = sqlx::query_scalar("select id from tenants where slug = 'bench'")
        .fetch_one(&db.pool)
        .await?;
    let indices: Vec<usize> = (0..n).collect();
    for chunk in indices.chunks(1000) {
        let mut tx = db.begin().await?;
        for &i in chunk {
            let user = UserRow {
                status: "active".into(),
                ..UserRow::new(
                    &tenant_id,
                    name(i),
                    Some(format!("p{i}@bench.test")),
                    None,
                    None,
                )
            };
            stoa::users::store::insert(&mut tx, &user).await?;
            let d = &departments[i % departments.len()];
            stoa::directory::store::set_memberships(
                &mut tx,
                &tenant_id,
                &user.id,
                Some(d),
                &[],
                now_ms(),
            )
            .await?;
        }
        tx.commit().await?;
    }
    eprintln!("seeded {n} people in {}", fmt_ms(started.elapsed()));
    Ok(())
}

/// The directory rows for one backend.
pub async fn directory(
    stoa_bin: &std::path::Path,
    db_url: Option<&str>,
    backend: &str,
    n: usize,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let operator = format!("stoa_op_bench_{}", uuid::Uuid::new_v4().simple());
    let server: Spawned = crate::spawn(&stoa_bin.to_path_buf(), db_url, &operator)?;
    let token = storage::admin_token(&server.base, &operator).await?;
    let client = reqwest::Client::new();
    let mut departments = Vec::with_capacity(DEPARTMENTS);
    for d in 0..DEPARTMENTS {
        let r: Value = client
            .post(format!("{}/api/v1/directory/departments", server.base))
            .bearer_auth(&token)
            .json(&json!({ "name": format!("Phòng {d}") }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        departments.push(r["id"].as_str().ok_or("no department id")?.to_string());
    }
    let db = Db::connect(&database_url(&server, db_url), 2).await?;
    seed(&db, &departments, n).await?;
    db.pool.close().await;
    let queries: Vec<(String, Option<&str>)> = vec![
        ("Nguyễn Thị Hà 4800".into(), None),
        ("nguyen thi ha".into(), None),
        ("tran van an".into(), None),
        ("đặng".into(), None),
        ("小明".into(), None),
        ("王 丽华".into(), None),
        ("p31337@bench.test".into(), None),
        ("garcia".into(), None),
        ("le minh chau 1".into(), None),
        ("thu trang".into(), Some(departments[7].as_str())),
    ];
    let mut lat = Vec::with_capacity(ROUNDS * queries.len());
    let mut hits = 0usize;
    for round in 0..ROUNDS {
        for (q, dept) in &queries {
            let mut params = vec![("q", q.as_str()), ("limit", "20")];
            if let Some(d) = dept {
                params.push(("department_id", d));
            }
            let t = Instant::now();
            let r: Value = client
                .get(format!("{}/api/v1/directory/people", server.base))
                .bearer_auth(&token)
                .query(&params)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            // The first round warms the caches.
            if round > 0 {
                lat.push(t.elapsed());
                hits += r["items"].as_array().map_or(0, Vec::len);
            }
        }
    }
    lat.sort();
    let p50 = percentile(&lat, 0.50);
    let p95 = percentile(&lat, 0.95);
    rows.push(Row {
        workload: format!(
            "Address-book search over {n} people / {DEPARTMENTS} departments, {} queries (VI with and without accents, ZH, email, by department)",
            lat.len()
        ),
        backend: backend.into(),
        result: format!(
            "p50 {} · p95 {} · {:.1} hits a page",
            fmt_ms(p50),
            fmt_ms(p95),
            hits as f64 / lat.len().max(1) as f64
        ),
        target: format!(
            "p95 ≤ 30 ms {}",
            if p95 <= Duration::from_millis(30) { "✔" } else { "✘" }
        ),
    });
    Ok(())
}
