//! Listing excused days (`GET /attendance/excused`): everyone's or one person's, latest first,
//! filtered to spans touching `from..=to`, paged with cursors that visit every span once; the
//! other tenant's never shown; `attendance.manage` needed; bad filters are 4xx problems.

use crate::both;
use crate::common::{Backend, Server};
use serde_json::{json, Value};

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

async fn list_excused(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let b = s.tenant("beta").await;
    let (fay, fay_tok) = s.staff(&a, "Fay Field").await;
    let (gus, _) = s.staff(&a, "Gus Grant").await;
    let (bob, _) = s.staff(&b, "Bob Beta").await;
    let mut made = Vec::new();
    for (who, first, last, kind) in [
        (&fay, "2026-03-02", "2026-03-04", "leave"),
        (&fay, "2026-03-20", "2026-03-20", "trip"),
        (&gus, "2026-03-03", "2026-03-10", "other"),
        (&gus, "2026-04-01", "2026-04-02", "leave"),
        (&fay, "2026-05-01", "2026-05-05", "leave"),
    ] {
        let r = s
            .post(
                "/api/v1/attendance/excused",
                &a.admin_token,
                json!({ "user_id": who, "first_date": first, "last_date": last, "kind": kind,
                        "note": format!("{kind} {first}") }),
            )
            .await;
        made.push((
            who.clone(),
            first,
            last,
            r.ok(201)["id"].as_str().unwrap().to_string(),
        ));
    }
    s.post(
        "/api/v1/attendance/excused",
        &b.admin_token,
        json!({ "user_id": bob, "first_date": "2026-03-05", "last_date": "2026-03-05",
                "kind": "leave" }),
    )
    .await
    .ok(201);

    // Everyone's, latest first day first; beta's span is not among them.
    let all = s
        .get("/api/v1/attendance/excused", &a.admin_token)
        .await
        .ok(200)
        .clone();
    let firsts: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["first_date"].as_str().unwrap())
        .collect();
    assert_eq!(
        firsts,
        [
            "2026-05-01",
            "2026-04-01",
            "2026-03-20",
            "2026-03-03",
            "2026-03-02"
        ]
    );
    assert!(all["next_cursor"].is_null());
    assert_eq!(all["items"][0]["source"], "manual");
    assert_eq!(all["items"][0]["note"], "leave 2026-05-01");
    assert_eq!(all["items"][0]["user_id"], fay.as_str());

    // One person's.
    let f = s
        .get(
            &format!("/api/v1/attendance/excused?user_id={fay}"),
            &a.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(f["items"].as_array().unwrap().len(), 3);
    assert!(f["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["user_id"] == fay.as_str()));

    // Spans touching March 4..=10: both that start before and run into it, not the 20th.
    let w = s
        .get(
            "/api/v1/attendance/excused?from=2026-03-04&to=2026-03-10",
            &a.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(ids(&w), [made[2].3.clone(), made[0].3.clone()]);
    let w = s
        .get(
            &format!("/api/v1/attendance/excused?user_id={gus}&from=2026-03-11"),
            &a.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(ids(&w), [made[3].3.clone()]);

    // Pages of two visit every span once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/attendance/excused?limit=2&cursor={c}"),
            None => "/api/v1/attendance/excused?limit=2".to_string(),
        };
        let p = s.get(&path, &a.admin_token).await.ok(200).clone();
        assert!(p["items"].as_array().unwrap().len() <= 2);
        seen.extend(ids(&p));
        pages += 1;
        match p["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids(&all));

    // Beta's admin sees only beta's; alpha's person filter finds nothing there.
    let bl = s
        .get("/api/v1/attendance/excused", &b.admin_token)
        .await
        .ok(200)
        .clone();
    assert_eq!(bl["items"].as_array().unwrap().len(), 1);
    let bl = s
        .get(
            &format!("/api/v1/attendance/excused?user_id={fay}"),
            &b.admin_token,
        )
        .await
        .ok(200)
        .clone();
    assert!(bl["items"].as_array().unwrap().is_empty());

    // Without attendance.manage: 403, even for one's own.
    s.get(
        &format!("/api/v1/attendance/excused?user_id={fay}"),
        &fay_tok,
    )
    .await
    .problem(403);

    // Bad filters.
    for (q, field) in [
        ("from=March", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-03-10&to=2026-03-01", "to"),
        ("user_id=nobody", "user_id"),
        ("limit=0", "limit"),
    ] {
        let r = s
            .get(&format!("/api/v1/attendance/excused?{q}"), &a.admin_token)
            .await;
        assert_eq!(r.problem(422), "validation_failed", "{q}");
        assert_eq!(r.body["field"], field, "{q}");
    }
    let r = s
        .get("/api/v1/attendance/excused?cursor=%25%25", &a.admin_token)
        .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.status);

    // A removed span is gone from the list.
    s.delete(
        &format!("/api/v1/attendance/excused/{}", made[4].3),
        &a.admin_token,
    )
    .await;
    let all = s
        .get("/api/v1/attendance/excused", &a.admin_token)
        .await
        .ok(200)
        .clone();
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    assert!(!ids(&all).contains(&made[4].3));
}
both!(list_excused);
