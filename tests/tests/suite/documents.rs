//! Document spaces and folders: who sees which space, editors vs viewers, nesting, breadcrumbs,
//! moves without cycles, sorted paging, tenant isolation.

use crate::both;
use crate::common::{folder, Backend, Server};
use serde_json::{json, Value};

async fn spaces(s: &Server, token: &str) -> Vec<Value> {
    s.get("/api/v1/spaces", token)
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .clone()
}

fn of_kind(list: &[Value], kind: &str) -> Value {
    list.iter().find(|x| x["kind"] == kind).unwrap().clone()
}

async fn spaces_and_folders(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;
    let other = s.tenant("globex").await;

    // Everyone has a personal space (created once) and sees the company space.
    let mine = spaces(&s, &sam).await;
    assert_eq!(mine.len(), 2);
    let personal = of_kind(&mine, "personal");
    assert_eq!(personal["role"], "manager");
    assert_eq!(spaces(&s, &sam).await.len(), 2, "created once");
    let company = of_kind(&mine, "company");
    assert_eq!(company["role"], "viewer");
    let company_id = company["id"].as_str().unwrap();
    // Viewers do not create folders; admins (documents.manage) do.
    let r = s
        .post(
            &format!("/api/v1/spaces/{company_id}/folders"),
            &sam,
            json!({ "name": "HR" }),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    folder(&s, &t.admin_token, company_id, "HR", None).await;
    // Team spaces: admins create them; others do not see them.
    let team = s
        .post("/api/v1/spaces", &t.admin_token, json!({ "name": "Legal" }))
        .await;
    let team_id = team.ok(201)["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.get(&format!("/api/v1/spaces/{team_id}/folders"), &sam)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.post("/api/v1/spaces", &sam, json!({ "name": "Mine" }))
            .await
            .problem(403),
        "forbidden"
    );
    // Nobody sees another's personal space, nor another tenant's.
    let pid = personal["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.get(&format!("/api/v1/spaces/{pid}/folders"), &t.admin_token)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.get(&format!("/api/v1/spaces/{pid}/folders"), &other.admin_token)
            .await
            .problem(404),
        "not_found"
    );

    // Nesting, breadcrumbs, moves without cycles.
    let a = folder(&s, &sam, &pid, "Projects", None).await;
    let b2 = folder(&s, &sam, &pid, "2026", Some(&a)).await;
    let c = folder(&s, &sam, &pid, "Hà Nội office", Some(&b2)).await;
    let d = s.get(&format!("/api/v1/folders/{c}"), &sam).await;
    let crumbs: Vec<&str> = d.ok(200)["breadcrumbs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(crumbs, ["Projects", "2026", "Hà Nội office"]);
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/folders/{a}"),
            Some(&sam),
            Some(json!({ "parent_id": c })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/folders/{a}"),
            Some(&sam),
            Some(json!({ "parent_id": a })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/folders/{c}"),
            Some(&sam),
            Some(json!({ "parent_id": "", "name": "Archive" })),
        )
        .await;
    assert_eq!(r.ok(200)["parent_id"], Value::Null);
    assert_eq!(r.body["name"], "Archive");
    // Folders of another space cannot be parents.
    let hr = s
        .get(&format!("/api/v1/spaces/{company_id}/folders"), &sam)
        .await;
    let hr_id = hr.ok(200)["items"][0]["id"].as_str().unwrap().to_string();
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/folders/{a}"),
            Some(&sam),
            Some(json!({ "parent_id": hr_id })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req(
            "PATCH",
            &format!("/api/v1/folders/{a}"),
            Some(&sam),
            Some(json!({ "name": "a/b" })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");

    // Sorted, paged listing at the top of the space.
    for n in ["beta", "Alpha", "gamma"] {
        folder(&s, &sam, &pid, n, None).await;
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("?limit=2&cursor={c}"),
            None => "?limit=2".into(),
        };
        let r = s
            .get(&format!("/api/v1/spaces/{pid}/folders{q}"), &sam)
            .await;
        let body = r.ok(200).clone();
        names.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_string()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 5, "{names:?}");
    let r = s
        .get(
            &format!("/api/v1/spaces/{pid}/folders?parent_id={b2}"),
            &sam,
        )
        .await;
    assert!(r.ok(200)["items"].as_array().unwrap().is_empty());
}
both!(spaces_and_folders);

async fn team_space_members(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (sam_id, sam) = s.staff(&t, "Sam").await;
    let team = s
        .post("/api/v1/spaces", &t.admin_token, json!({ "name": "Legal" }))
        .await;
    let team_id = team.ok(201)["id"].as_str().unwrap().to_string();
    let member = format!("/api/v1/spaces/{team_id}/members/{sam_id}");
    assert_eq!(
        s.req(
            "PUT",
            &member,
            Some(&t.admin_token),
            Some(json!({ "role": "viewer" }))
        )
        .await
        .status,
        204
    );
    let listed = spaces(&s, &sam).await;
    assert_eq!(of_kind(&listed, "team")["role"], "viewer");
    let r = s
        .post(
            &format!("/api/v1/spaces/{team_id}/folders"),
            &sam,
            json!({ "name": "Cases" }),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    // Viewers do not manage members.
    let r = s
        .req(
            "PUT",
            &member,
            Some(&sam),
            Some(json!({ "role": "manager" })),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    assert_eq!(
        s.req(
            "PUT",
            &member,
            Some(&t.admin_token),
            Some(json!({ "role": "editor" }))
        )
        .await
        .status,
        204
    );
    folder(&s, &sam, &team_id, "Cases", None).await;
    let d = s.get(&format!("/api/v1/spaces/{team_id}"), &sam).await;
    assert_eq!(d.ok(200)["members"].as_array().unwrap().len(), 2);
    // Removal takes effect on the next request.
    assert_eq!(
        s.req("DELETE", &member, Some(&t.admin_token), None)
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/api/v1/spaces/{team_id}"), &sam)
            .await
            .problem(404),
        "not_found"
    );
    let last = format!("/api/v1/spaces/{team_id}/members/{}", t.admin_id);
    assert_eq!(
        s.req("DELETE", &last, Some(&t.admin_token), None)
            .await
            .problem(409),
        "conflict"
    );
    let r = s
        .req(
            "PUT",
            &format!("/api/v1/spaces/{team_id}/members/nope"),
            Some(&t.admin_token),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(team_space_members);
