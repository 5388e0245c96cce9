//! The organisation directory: the department tree (cycles refused, also between concurrent
//! moves; merge; delete only when empty), positions, placements and manager cycles, the
//! address book's visibility rules and accent-insensitive search, the org chart, vCards, CSV
//! import and export, and what erasing a person leaves.

use crate::both;
use crate::common::{Backend, Server, Tenant, PASSWORD};
use serde_json::{json, Value};

/// An active person with this name and email: (id, token).
pub(crate) async fn person(s: &Server, t: &Tenant, name: &str, email: &str) -> (String, String) {
    let r = s
        .post(
            "/api/v1/users",
            &t.admin_token,
            json!({ "display_name": name, "email": email }),
        )
        .await;
    let body = r.ok(201).clone();
    let inv = body["invitation"]["token"].as_str().unwrap().to_string();
    let token = s.accept(&inv, PASSWORD).await.ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    (body["user"]["id"].as_str().unwrap().to_string(), token)
}

pub(crate) async fn dept(s: &Server, t: &Tenant, name: &str, parent: Option<&str>) -> String {
    let r = s
        .post(
            "/api/v1/directory/departments",
            &t.admin_token,
            json!({ "name": name, "parent_id": parent }),
        )
        .await;
    r.ok(201)["id"].as_str().unwrap().to_string()
}

pub(crate) async fn place(s: &Server, t: &Tenant, who: &str, body: Value) -> Value {
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{who}"),
        Some(&t.admin_token),
        Some(body),
    )
    .await
    .ok(200)
    .clone()
}

async fn move_to(s: &Server, token: &str, id: &str, parent: Option<&str>) -> crate::common::Resp {
    s.post(
        &format!("/api/v1/directory/departments/{id}/move"),
        token,
        json!({ "parent_id": parent }),
    )
    .await
}

async fn tree_operations(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let sales = dept(&s, &a, "Sales", None).await;
    let north = dept(&s, &a, "North", Some(&sales)).await;
    let hanoi = dept(&s, &a, "Hà Nội", Some(&north)).await;
    let support = dept(&s, &a, "Support", None).await;
    let d = s
        .get(&format!("/api/v1/directory/departments/{hanoi}"), &tok)
        .await;
    assert_eq!(d.ok(200)["path"], "Sales/North/Hà Nội");
    // Names are unique among siblings, ignoring case and accents; elsewhere they may repeat.
    let dup = s
        .post(
            "/api/v1/directory/departments",
            &tok,
            json!({ "name": "ha noi", "parent_id": north }),
        )
        .await;
    assert_eq!(dup.problem(409), "conflict");
    dept(&s, &a, "North", Some(&support)).await;
    let bad = s
        .post(
            "/api/v1/directory/departments",
            &tok,
            json!({ "name": "A/B" }),
        )
        .await;
    assert_eq!(bad.problem(422), "validation_failed");
    // Cycles: under itself, under a descendant.
    move_to(&s, &tok, &sales, Some(&sales)).await.problem(409);
    move_to(&s, &tok, &sales, Some(&hanoi)).await.problem(409);
    // A legal move, then back.
    let m = move_to(&s, &tok, &hanoi, Some(&support)).await;
    assert_eq!(m.ok(200)["path"], "Support/Hà Nội");
    move_to(&s, &tok, &hanoi, Some(&north)).await.ok(200);
    // Rename and set a head; clear it.
    let (ann, _) = person(&s, &a, "Ann Head", "ann@alpha.test").await;
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/directory/departments/{north}"),
            Some(&tok),
            Some(json!({ "name": "North East", "head_id": ann })),
        )
        .await;
    assert_eq!(r.ok(200)["head"]["id"], ann.as_str());
    assert_eq!(r.body["name"], "North East");
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/directory/departments/{north}"),
            Some(&tok),
            Some(json!({ "head_id": null })),
        )
        .await;
    assert!(r.ok(200)["head"].is_null());
    assert_eq!(r.body["name"], "North East");

    // Delete only when empty: children, then members, block it.
    let del = |id: String| {
        let tok = tok.clone();
        let s = &s;
        async move {
            s.delete(&format!("/api/v1/directory/departments/{id}"), &tok)
                .await
        }
    };
    del(north.clone()).await.problem(409);
    place(&s, &a, &ann, json!({ "primary_department_id": hanoi })).await;
    del(hanoi.clone()).await.problem(409);

    // Merge Hà Nội into Support: its member moves, it goes.
    let (bob, _) = person(&s, &a, "Bob Both", "bob@alpha.test").await;
    place(
        &s,
        &a,
        &bob,
        json!({ "primary_department_id": hanoi, "department_ids": [support] }),
    )
    .await;
    let sub = dept(&s, &a, "Team 1", Some(&hanoi)).await;
    s.req(
        "PATCH",
        &format!("/api/v1/directory/departments/{hanoi}"),
        Some(&tok),
        Some(json!({ "head_id": ann })),
    )
    .await
    .ok(200);
    // Not into one of its own sub-departments.
    s.post(
        &format!("/api/v1/directory/departments/{hanoi}/merge"),
        &tok,
        json!({ "into_id": sub }),
    )
    .await
    .problem(409);
    let m = s
        .post(
            &format!("/api/v1/directory/departments/{hanoi}/merge"),
            &tok,
            json!({ "into_id": support }),
        )
        .await;
    let m = m.ok(200).clone();
    assert_eq!(m["id"], support.as_str());
    assert_eq!(m["member_count"], 2);
    assert_eq!(m["child_count"], 2, "{m}");
    assert_eq!(m["head"]["id"], ann.as_str());
    s.get(&format!("/api/v1/directory/departments/{hanoi}"), &tok)
        .await
        .problem(404);
    let bob_entry = s
        .get(&format!("/api/v1/directory/people/{bob}"), &tok)
        .await;
    let deps = bob_entry.ok(200)["departments"].as_array().unwrap().clone();
    assert_eq!(deps.len(), 1, "{deps:?}");
    assert_eq!(deps[0]["id"], support.as_str());
    assert_eq!(deps[0]["primary"], true);
    let t1 = s
        .get(&format!("/api/v1/directory/departments/{sub}"), &tok)
        .await;
    assert_eq!(t1.ok(200)["path"], "Support/Team 1");
    // Empty now: North East goes.
    del(north.clone()).await.ok(204);

    // Concurrent moves that would make a loop between them: one wins, the other is refused.
    for round in 0..4 {
        let x = dept(&s, &a, &format!("X{round}"), None).await;
        let y = dept(&s, &a, &format!("Y{round}"), None).await;
        let (r1, r2) = tokio::join!(
            move_to(&s, &tok, &x, Some(&y)),
            move_to(&s, &tok, &y, Some(&x))
        );
        let mut statuses = [r1.status, r2.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", r1.text, r2.text);
        let chart = s.get("/api/v1/directory/chart", &tok).await;
        let nodes = chart.ok(200)["nodes"].as_array().unwrap().clone();
        for id in [&x, &y] {
            assert_eq!(
                nodes.iter().filter(|n| n["id"] == id.as_str()).count(),
                1,
                "every department is in the chart once"
            );
        }
    }

    // Positions: unique names, rename, delete clears them from people.
    let pos = s
        .post(
            "/api/v1/directory/positions",
            &tok,
            json!({ "name": "Kỹ sư" }),
        )
        .await;
    let pos = pos.ok(201)["id"].as_str().unwrap().to_string();
    s.post(
        "/api/v1/directory/positions",
        &tok,
        json!({ "name": "KY SU" }),
    )
    .await
    .problem(409);
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/directory/positions/{pos}"),
            Some(&tok),
            Some(json!({ "name": "Kỹ sư trưởng" })),
        )
        .await;
    assert_eq!(r.ok(200)["name"], "Kỹ sư trưởng");
    let e = place(
        &s,
        &a,
        &bob,
        json!({ "primary_department_id": support, "position_id": pos }),
    )
    .await;
    assert_eq!(e["position"]["name"], "Kỹ sư trưởng");
    s.delete(&format!("/api/v1/directory/positions/{pos}"), &tok)
        .await
        .ok(204);
    let e = s
        .get(&format!("/api/v1/directory/people/{bob}"), &tok)
        .await;
    assert!(e.ok(200)["position"].is_null());
}
both!(tree_operations);

async fn address_book(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let sales = dept(&s, &a, "Sales", None).await;
    let north = dept(&s, &a, "North", Some(&sales)).await;
    let support = dept(&s, &a, "Support", None).await;
    let (ha, ha_tok) = person(&s, &a, "Nguyễn Thị Hà", "ha@alpha.test").await;
    let (minh, minh_tok) = person(&s, &a, "Trần Văn Minh", "minh@alpha.test").await;
    let (wang, wang_tok) = person(&s, &a, "王小明", "wang@alpha.test").await;
    let (dang, _) = person(&s, &a, "Đặng Lâm", "dang@alpha.test").await;
    place(
        &s,
        &a,
        &ha,
        json!({ "primary_department_id": north, "work_phone": "+84 912 345 678" }),
    )
    .await;
    place(
        &s,
        &a,
        &minh,
        json!({ "primary_department_id": north, "manager_id": ha }),
    )
    .await;
    place(
        &s,
        &a,
        &wang,
        json!({ "primary_department_id": support, "work_phone": "+8613800000000" }),
    )
    .await;
    place(
        &s,
        &a,
        &dang,
        json!({ "primary_department_id": sales, "department_ids": [support] }),
    )
    .await;

    // Manager cycles: Hà manages Minh, so Minh cannot manage Hà; nobody manages themselves.
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/directory/people/{ha}"),
            Some(&tok),
            Some(json!({ "primary_department_id": north, "manager_id": minh })),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    assert_eq!(r.body["field"], "manager_id");
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/directory/people/{ha}"),
            Some(&tok),
            Some(json!({ "manager_id": ha })),
        )
        .await;
    r.problem(422);
    // A longer loop: Đặng manages Hà, Hà manages Minh; Minh cannot manage Đặng.
    place(
        &s,
        &a,
        &ha,
        json!({ "primary_department_id": north, "work_phone": "+84912345678", "manager_id": dang }),
    )
    .await;
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/directory/people/{dang}"),
            Some(&tok),
            Some(json!({ "primary_department_id": sales, "manager_id": minh })),
        )
        .await;
    r.problem(409);

    // Visibility: phones `same_department` by default. Wang (Support) does not see Hà's phone
    // (North); Minh (North) does; the admin does; Hà sees her own.
    let phone_of = |token: String, id: String| {
        let s = &s;
        async move {
            let e = s
                .get(&format!("/api/v1/directory/people/{id}"), &token)
                .await;
            e.ok(200)["phone"].as_str().map(str::to_string)
        }
    };
    assert_eq!(phone_of(wang_tok.clone(), ha.clone()).await, None);
    assert_eq!(
        phone_of(minh_tok.clone(), ha.clone()).await.as_deref(),
        Some("+84912345678")
    );
    assert!(phone_of(tok.clone(), ha.clone()).await.is_some());
    assert!(phone_of(ha_tok.clone(), ha.clone()).await.is_some());
    // Membership of a parent department is not "same department".
    assert_eq!(phone_of(minh_tok.clone(), wang.clone()).await, None);
    // Searching by a hidden number finds nobody.
    let hits = s
        .get("/api/v1/directory/people?q=%2B8491234", &wang_tok)
        .await;
    assert_eq!(hits.ok(200)["items"].as_array().unwrap().len(), 0);
    // The rules change: email hidden from everyone, phones shown to all.
    let r = s
        .req(
            "PUT",
            "/api/v1/settings/directory",
            Some(&tok),
            Some(json!({ "email": "nobody", "phone": "everyone" })),
        )
        .await;
    assert_eq!(r.ok(200)["email"], "nobody");
    let e = s
        .get(&format!("/api/v1/directory/people/{ha}"), &wang_tok)
        .await;
    assert!(e.ok(200)["email"].is_null());
    assert_eq!(e.body["phone"], "+84912345678");
    assert_eq!(e.body["manager"]["id"], dang.as_str());
    let e = s.get(&format!("/api/v1/directory/people/{ha}"), &tok).await;
    assert_eq!(e.ok(200)["email"], "ha@alpha.test");
    s.req(
        "PUT",
        "/api/v1/settings/directory",
        Some(&tok),
        Some(json!({ "email": "everyone", "phone": "same_department" })),
    )
    .await
    .ok(200);

    // Search ignores case and accents; Chinese names by substring.
    let names = |q: &'static str| {
        let s = &s;
        let tok = wang_tok.clone();
        async move {
            let r = s
                .get(
                    &format!("/api/v1/directory/people?q={}", urlencode(q)),
                    &tok,
                )
                .await;
            r.ok(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["display_name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("nguyen thi").await, ["Nguyễn Thị Hà"]);
    assert_eq!(names("NGUYỄN THỊ HÀ").await, ["Nguyễn Thị Hà"]);
    assert_eq!(names("dang").await, ["Đặng Lâm"]);
    assert_eq!(names("小明").await, ["王小明"]);
    assert_eq!(names("van minh").await, ["Trần Văn Minh"]);
    assert!(names("zzz").await.is_empty());

    // Browse by department, with and without sub-departments; pages.
    let members = |q: String| {
        let s = &s;
        let tok = tok.clone();
        async move {
            let r = s.get(&format!("/api/v1/directory/people?{q}"), &tok).await;
            r.ok(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        members(format!("department_id={sales}")).await,
        [dang.as_str()]
    );
    let mut all = members(format!("department_id={sales}&subtree=true")).await;
    all.sort();
    let mut want = vec![dang.clone(), ha.clone(), minh.clone()];
    want.sort();
    assert_eq!(all, want);
    let page = s
        .get("/api/v1/directory/people?limit=2", &tok)
        .await
        .ok(200)
        .clone();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let next = page["next_cursor"].as_str().unwrap();
    let rest = s
        .get(
            &format!("/api/v1/directory/people?limit=200&cursor={next}"),
            &tok,
        )
        .await;
    // Five active people: the admin and the four above.
    assert_eq!(rest.ok(200)["items"].as_array().unwrap().len(), 3);

    // The org chart: heads and counts, from the top and from a department.
    s.req(
        "PATCH",
        &format!("/api/v1/directory/departments/{sales}"),
        Some(&tok),
        Some(json!({ "head_id": dang })),
    )
    .await
    .ok(200);
    let chart = s.get("/api/v1/directory/chart", &tok).await;
    let nodes = chart.ok(200)["nodes"].as_array().unwrap().clone();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap().clone();
    let n = node(&sales);
    assert_eq!(n["member_count"], 1);
    assert_eq!(n["total_member_count"], 3);
    assert_eq!(n["child_count"], 1);
    assert_eq!(n["descendant_count"], 1);
    assert_eq!(n["head"]["display_name"], "Đặng Lâm");
    assert_eq!(node(&north)["depth"], 1);
    assert_eq!(node(&support)["member_count"], 2);
    let sub = s
        .get(
            &format!("/api/v1/directory/chart?department_id={north}"),
            &tok,
        )
        .await;
    let sub = sub.ok(200)["nodes"].as_array().unwrap().clone();
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0]["depth"], 0);
    assert_eq!(sub[0]["total_member_count"], 2);

    // vCard of North as Wang (Support) sees it: names, no phones.
    let v = s
        .get(
            &format!("/api/v1/directory/departments/{north}/vcard"),
            &wang_tok,
        )
        .await;
    assert_eq!(v.status, 200);
    assert!(v.header("content-type").unwrap().starts_with("text/vcard"));
    assert_eq!(v.text.matches("BEGIN:VCARD\r\n").count(), 2, "{}", v.text);
    assert!(v.text.contains("VERSION:4.0\r\n"));
    assert!(v.text.contains("FN:Nguyễn Thị Hà\r\n"));
    assert!(v.text.contains("ORG:Sales;North\r\n"));
    assert!(v.text.contains("EMAIL;TYPE=work:ha@alpha.test\r\n"));
    assert!(!v.text.contains("TEL"), "{}", v.text);
    // As Minh (North): the phone is there.
    let v = s
        .get(
            &format!("/api/v1/directory/departments/{north}/vcard"),
            &minh_tok,
        )
        .await;
    assert!(v.text.contains("tel:+84912345678"), "{}", v.text);

    // A disabled person leaves the address book and the counts.
    s.post(&format!("/api/v1/users/{minh}/disable"), &tok, json!({}))
        .await;
    s.eventually("Minh leaves the address book", || async {
        s.get(&format!("/api/v1/directory/people/{minh}"), &tok)
            .await
            .status
            == 404
    })
    .await;
    let n = s
        .get(&format!("/api/v1/directory/departments/{north}"), &tok)
        .await;
    assert_eq!(n.ok(200)["member_count"], 1);

    // Without `directory.read`: 403.
    let role = s
        .post(
            "/api/v1/roles",
            &tok,
            json!({ "name": "Nothing", "permissions": [] }),
        )
        .await;
    let role = role.ok(201)["id"].as_str().unwrap().to_string();
    let (_, none_tok) = s.member(&a, "No Read", json!([role])).await;
    for path in [
        "/api/v1/directory/people".to_string(),
        "/api/v1/directory/departments".to_string(),
        format!("/api/v1/directory/departments/{north}"),
        format!("/api/v1/directory/departments/{north}/vcard"),
        "/api/v1/directory/chart".to_string(),
        "/api/v1/directory/positions".to_string(),
        format!("/api/v1/directory/people/{ha}"),
    ] {
        let r = s.get(&path, &none_tok).await;
        assert_eq!(r.problem(403), "forbidden", "{path}");
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .contains("directory.read"));
    }
}
both!(address_book);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

async fn csv(s: &Server, token: &str, path: &str, body: &str) -> crate::common::Resp {
    s.raw(
        "POST",
        path,
        Some(token),
        "text/csv",
        body.as_bytes().to_vec(),
    )
    .await
}

async fn csv_import_export(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    person(&s, &a, "Lan Lead", "lan@alpha.test").await;
    let (minh, _) = person(&s, &a, "Minh Member", "minh@alpha.test").await;
    person(&s, &a, "Tú Third", "tu@alpha.test").await;
    let file = "\u{feff}kind,department,position,person,head,manager,other_departments\n\
                department,Sales,,,lan@alpha.test,,\n\
                department,Sales/North,,,,,\n\
                department,Support,,,,,\n\
                position,,Engineer,,,,\n\
                person,Sales/North,Engineer,minh@alpha.test,,lan@alpha.test,Support\n\
                person,Sales,,lan@alpha.test,,,\n\
                department,Bad/Na\u{7}me,,,,,\n\
                person,Nowhere,,tu@alpha.test,,,\n\
                person,Sales,Astronaut,tu@alpha.test,,,\n\
                person,Sales,,ghost@alpha.test,,,\n\
                person,Sales,,lan@alpha.test,,minh@alpha.test,\n\
                team,,,,,,\n\
                \n\
                department,Sales,,,nobody@alpha.test,,\n";
    // A dry run reports and writes nothing.
    let r = csv(&s, &tok, "/api/v1/directory/import?dry_run=true", file).await;
    let report = r.ok(200).clone();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["rows"], 13, "{report}");
    assert_eq!(report["applied"], 6, "{report}");
    assert_eq!(report["departments_created"], 3);
    assert_eq!(report["positions_created"], 1);
    let rejected = report["rejected"].as_array().unwrap().clone();
    let seen: Vec<(u64, String)> = rejected
        .iter()
        .map(|x| {
            assert!(!x["reason"].as_str().unwrap().is_empty());
            (
                x["row"].as_u64().unwrap(),
                x["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String)> = [
        (8, "department"),
        (9, "department"),
        (10, "position"),
        (11, "person"),
        (12, "manager"),
        (13, "kind"),
        (15, "head"),
    ]
    .iter()
    .map(|(l, f)| (*l, f.to_string()))
    .collect();
    assert_eq!(seen, want, "{report}");
    let list = s.get("/api/v1/directory/departments", &tok).await;
    assert_eq!(list.ok(200)["items"].as_array().unwrap().len(), 0);

    // The real import applies the valid rows in one go.
    let r = csv(&s, &tok, "/api/v1/directory/import", file).await;
    let report = r.ok(200).clone();
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["applied"], 6);
    let e = s
        .get(&format!("/api/v1/directory/people/{minh}"), &tok)
        .await;
    let e = e.ok(200).clone();
    assert_eq!(e["departments"][0]["path"], "Sales/North");
    assert_eq!(e["departments"][0]["primary"], true);
    assert_eq!(e["departments"][1]["path"], "Support");
    assert_eq!(e["position"]["name"], "Engineer");
    assert_eq!(e["manager"]["display_name"], "Lan Lead");

    // The export says the same, and imports again without a change or a rejection.
    let x = s.get("/api/v1/directory/export", &tok).await;
    assert_eq!(x.status, 200);
    assert!(x.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = x.text.lines().collect();
    assert_eq!(
        lines[0],
        "kind,department,position,person,head,manager,other_departments"
    );
    assert!(
        lines.contains(&"department,Sales,,,lan@alpha.test,,"),
        "{}",
        x.text
    );
    assert!(lines.contains(&"department,Sales/North,,,,,"));
    assert!(lines.contains(&"position,,Engineer,,,,"));
    assert!(
        lines.contains(&"person,Sales/North,Engineer,minh@alpha.test,,lan@alpha.test,Support"),
        "{}",
        x.text
    );
    let again = csv(&s, &tok, "/api/v1/directory/import", &x.text).await;
    let again = again.ok(200).clone();
    assert_eq!(again["rejected"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["departments_created"], 0);
    assert_eq!(again["positions_created"], 0);
    // An unreadable file is a 422.
    csv(&s, &tok, "/api/v1/directory/import", "name,colour\nx,y\n")
        .await
        .problem(422);
}
both!(csv_import_export);

async fn erasure(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let sales = dept(&s, &a, "Sales", None).await;
    let (boss, _) = person(&s, &a, "Boss Gone", "boss@alpha.test").await;
    let (report, _) = person(&s, &a, "Rita Report", "rita@alpha.test").await;
    place(
        &s,
        &a,
        &boss,
        json!({ "primary_department_id": sales, "work_phone": "+84999888777",
                "work_email": "boss.work@alpha.test" }),
    )
    .await;
    place(
        &s,
        &a,
        &report,
        json!({ "primary_department_id": sales, "manager_id": boss }),
    )
    .await;
    s.req(
        "PATCH",
        &format!("/api/v1/directory/departments/{sales}"),
        Some(&tok),
        Some(json!({ "head_id": boss })),
    )
    .await
    .ok(200);
    // A photo the admin uploaded for the boss: it goes with the boss, whoever uploaded it.
    let photo = s
        .upload(&tok, "boss.png", crate::common::PIXEL_PNG.to_vec())
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{boss}/photo"),
        Some(&tok),
        Some(json!({ "file_id": photo })),
    )
    .await
    .ok(200);
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&tok),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    s.post(&format!("/api/v1/users/{boss}/deletion"), &tok, json!({}))
        .await
        .ok(202);
    let path = format!("/api/v1/users/{boss}/deletion");
    s.eventually("the erasure ends", || async {
        s.get(&path, &tok).await.ok(200)["status"] == "erased"
    })
    .await;
    let d = s
        .get(&format!("/api/v1/directory/departments/{sales}"), &tok)
        .await;
    let d = d.ok(200).clone();
    assert!(d["head"].is_null(), "{d}");
    assert_eq!(d["member_count"], 1);
    let r = s
        .get(&format!("/api/v1/directory/people/{report}"), &tok)
        .await;
    assert!(r.ok(200)["manager"].is_null());
    s.get(&format!("/api/v1/directory/people/{boss}"), &tok)
        .await
        .problem(404);
    let all = s.get("/api/v1/directory/people?q=boss", &tok).await;
    assert_eq!(all.ok(200)["items"].as_array().unwrap().len(), 0);
    let x = s.get("/api/v1/directory/export", &tok).await;
    assert!(!x.text.contains("boss"), "{}", x.text);
    assert_eq!(
        s.get(&format!("/api/v1/files/{photo}"), &tok).await.status,
        404,
        "the photo is gone"
    );
    // The department can go once its last member is moved away.
    place(&s, &a, &report, json!({})).await;
    s.delete(&format!("/api/v1/directory/departments/{sales}"), &tok)
        .await
        .ok(204);
}
both!(erasure);
