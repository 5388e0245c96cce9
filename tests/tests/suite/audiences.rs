//! Departments as audiences of other features: rooms whose members follow a department's (as
//! people join and leave it, across a merge, and back to manual), documents shared with a
//! department (access, "shared with me" and search follow current membership), and people's
//! photos in the address book.

use crate::both;
use crate::common::{id, personal_space, room, upload_doc, Backend, Server, PIXEL_PNG};
use crate::directory::{dept, person, place};
use serde_json::json;

/// The user ids of a room's members.
async fn members(s: &Server, token: &str, room: &str) -> Vec<String> {
    let r = s.get(&format!("/api/v1/rooms/{room}"), token).await;
    let mut ids: Vec<String> = r.ok(200)["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<&str>) -> Vec<String> {
    v.sort();
    v.into_iter().map(str::to_string).collect()
}

async fn rooms_follow_departments(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let admin = a.admin_id.clone();
    let sales = dept(&s, &a, "Sales", None).await;
    let north = dept(&s, &a, "North", Some(&sales)).await;
    let support = dept(&s, &a, "Support", None).await;
    let (ann, ann_tok) = person(&s, &a, "Ann", "ann@alpha.test").await;
    let (bob, _) = person(&s, &a, "Bob", "bob@alpha.test").await;
    let (cat, _) = person(&s, &a, "Cat", "cat@alpha.test").await;
    place(
        &s,
        &a,
        &ann,
        json!({ "primary_department_id": sales, "department_ids": [sales] }),
    )
    .await;
    place(
        &s,
        &a,
        &bob,
        json!({ "primary_department_id": north, "department_ids": [north] }),
    )
    .await;

    let r = room(&s, &tok, json!({ "kind": "group", "name": "Sales floor" })).await;
    // Only a room manager makes a room follow; a member who is not one gets 403.
    let f = s
        .req(
            "PUT",
            &format!("/api/v1/rooms/{r}/follow"),
            Some(&tok),
            Some(json!({ "department_id": sales, "subtree": true })),
        )
        .await;
    let body = f.ok(200).clone();
    assert_eq!(body["follows"]["department_id"], sales.as_str());
    assert_eq!(body["follows"]["subtree"], true);
    assert_eq!(
        members(&s, &tok, &r).await,
        sorted(vec![&admin, &ann, &bob])
    );
    let mine = s
        .req(
            "PUT",
            &format!("/api/v1/rooms/{r}/follow"),
            Some(&ann_tok),
            Some(json!({ "department_id": north })),
        )
        .await;
    assert_eq!(mine.problem(403), "forbidden");
    // Bad input: an unknown department, a malformed id.
    for bad in [
        json!({ "department_id": support.replace('0', "1") }),
        json!({ "department_id": "x" }),
    ] {
        let b = s
            .req(
                "PUT",
                &format!("/api/v1/rooms/{r}/follow"),
                Some(&tok),
                Some(bad),
            )
            .await;
        assert_eq!(b.problem(422), "validation_failed");
        assert_eq!(b.body["field"], "department_id");
    }
    // Membership is the directory's now: no adding, removing or leaving by hand.
    let add = s
        .post(
            &format!("/api/v1/rooms/{r}/members"),
            &tok,
            json!({ "user_ids": [cat] }),
        )
        .await;
    assert_eq!(add.problem(409), "membership_managed");
    let rm = s
        .delete(&format!("/api/v1/rooms/{r}/members/{bob}"), &tok)
        .await;
    assert_eq!(rm.problem(409), "membership_managed");
    let leave = s
        .delete(&format!("/api/v1/rooms/{r}/members/{ann}"), &ann_tok)
        .await;
    assert_eq!(leave.problem(409), "membership_managed");

    // People join and leave the room as they join and leave the department.
    place(
        &s,
        &a,
        &cat,
        json!({ "primary_department_id": north, "department_ids": [north] }),
    )
    .await;
    place(
        &s,
        &a,
        &bob,
        json!({ "primary_department_id": support, "department_ids": [support] }),
    )
    .await;
    let want = sorted(vec![&admin, &ann, &cat]);
    s.eventually("the room to follow the placements", || async {
        members(&s, &tok, &r).await == want
    })
    .await;
    // The events say who joined and left, and that the directory did it.
    let ev = s
        .get(&format!("/api/v1/rooms/{r}/events?after_seq=0"), &tok)
        .await;
    let events = ev.ok(200)["items"].as_array().cloned().unwrap_or_default();
    assert!(events.iter().any(|e| e["kind"] == "member.left"
        && e["payload"]["user_id"] == bob.as_str()
        && e["payload"]["by"] == "directory"));

    // A room following North alone; North is merged into Support: it follows Support.
    let r2 = room(&s, &tok, json!({ "kind": "channel", "name": "North" })).await;
    s.req(
        "PUT",
        &format!("/api/v1/rooms/{r2}/follow"),
        Some(&tok),
        Some(json!({ "department_id": north })),
    )
    .await
    .ok(200);
    assert_eq!(members(&s, &tok, &r2).await, sorted(vec![&admin, &cat]));
    s.post(
        &format!("/api/v1/directory/departments/{north}/merge"),
        &tok,
        json!({ "into_id": support }),
    )
    .await
    .ok(200);
    let want = sorted(vec![&admin, &bob, &cat]);
    s.eventually("the room to follow the merged department", || async {
        let v = s.get(&format!("/api/v1/rooms/{r2}"), &tok).await;
        v.body["follows"]["department_id"] == support.as_str()
            && members(&s, &tok, &r2).await == want
    })
    .await;

    // The merge took Cat out of Sales too: the first room lost her.
    let want = sorted(vec![&admin, &ann]);
    s.eventually(
        "the room to lose the merged department's people",
        || async { members(&s, &tok, &r).await == want },
    )
    .await;
    // Stop following: members stay, and are managed by hand again.
    let u = s.delete(&format!("/api/v1/rooms/{r}/follow"), &tok).await;
    assert!(u.ok(200)["follows"].is_null());
    assert_eq!(members(&s, &tok, &r).await, want);
    s.post(
        &format!("/api/v1/rooms/{r}/members"),
        &tok,
        json!({ "user_ids": [cat] }),
    )
    .await
    .ok(200);
    s.delete(&format!("/api/v1/rooms/{r}/members/{ann}"), &tok)
        .await
        .ok(204);
}
both!(rooms_follow_departments);

async fn documents_shared_with_departments(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let sales = dept(&s, &a, "Sales", None).await;
    let north = dept(&s, &a, "North", Some(&sales)).await;
    let (ann, ann_tok) = person(&s, &a, "Ann", "ann@alpha.test").await;
    let (bob, bob_tok) = person(&s, &a, "Bob", "bob@alpha.test").await;
    place(
        &s,
        &a,
        &ann,
        json!({ "primary_department_id": north, "department_ids": [north] }),
    )
    .await;
    let space = personal_space(&s, &tok).await;
    let doc = upload_doc(&s, &tok, &space, "plan.txt", b"zanzibar quokka forecast").await;
    let share = s
        .post(
            "/api/v1/shares",
            &tok,
            json!({ "target_kind": "document", "target_id": doc, "grantee_kind": "department",
                    "grantee_id": sales, "role": "viewer" }),
        )
        .await;
    assert_eq!(share.ok(201)["grantee_kind"], "department");
    // An unknown department is bad input.
    let bad = s
        .post(
            "/api/v1/shares",
            &tok,
            json!({ "target_kind": "document", "target_id": doc, "grantee_kind": "department",
                    "grantee_id": ann, "role": "viewer" }),
        )
        .await;
    assert_eq!(bad.problem(422), "validation_failed");
    let path = format!("/api/v1/documents/{doc}");
    // A member of a sub-department reads it; someone outside does not.
    s.get(&path, &ann_tok).await.ok(200);
    assert_eq!(s.get(&path, &bob_tok).await.status, 404);
    let shared = |token: String| {
        let s = &s;
        async move {
            s.get("/api/v1/shared", &token)
                .await
                .ok(200)
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["target_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(shared(ann_tok.clone()).await, vec![doc.clone()]);
    assert!(shared(bob_tok.clone()).await.is_empty());
    s.eventually("a department member finds the document", || async {
        let r = s.search(&ann_tok, "zanzibar").await;
        r.status == 200
            && r.body["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|x| x["id"] == doc.as_str()))
    })
    .await;
    // Bob joins Sales: he reads it from the next request on; Ann leaves: she no longer does.
    place(
        &s,
        &a,
        &bob,
        json!({ "primary_department_id": sales, "department_ids": [sales] }),
    )
    .await;
    s.get(&path, &bob_tok).await.ok(200);
    assert_eq!(shared(bob_tok.clone()).await, vec![doc.clone()]);
    place(&s, &a, &ann, json!({})).await;
    assert_eq!(s.get(&path, &ann_tok).await.status, 404);
    let r = s.search(&ann_tok, "zanzibar").await;
    assert!(r.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["id"] != doc.as_str()));
}
both!(documents_shared_with_departments);

async fn address_book_photos(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let b = s.tenant("beta").await;
    let (ann, ann_tok) = person(&s, &a, "Ann", "ann@alpha.test").await;
    let (bob, bob_tok) = person(&s, &a, "Bob", "bob@alpha.test").await;
    let png = id(s
        .upload(&ann_tok, "me.png", PIXEL_PNG.to_vec())
        .await
        .ok(201));
    let text = id(s
        .upload(&ann_tok, "me.txt", b"not an image".to_vec())
        .await
        .ok(201));
    let path = format!("/api/v1/directory/people/{ann}/photo");
    // Bob cannot see Ann's upload before it is her photo.
    assert_eq!(
        s.get(&format!("/api/v1/files/{png}"), &bob_tok)
            .await
            .status,
        404
    );
    let bad = s
        .req(
            "PUT",
            &path,
            Some(&ann_tok),
            Some(json!({ "file_id": text })),
        )
        .await;
    assert_eq!(bad.problem(422), "validation_failed");
    // Someone else's upload the caller cannot read is refused too.
    let bad = s
        .req(
            "PUT",
            &format!("/api/v1/directory/people/{bob}/photo"),
            Some(&bob_tok),
            Some(json!({ "file_id": png })),
        )
        .await;
    assert_eq!(bad.problem(422), "validation_failed");
    // Setting someone else's photo needs directory.manage.
    let other = s
        .req(
            "PUT",
            &path,
            Some(&bob_tok),
            Some(json!({ "file_id": png })),
        )
        .await;
    assert_eq!(other.problem(403), "forbidden");
    // Another tenant's admin: the person is not found.
    let cross = s
        .req(
            "PUT",
            &path,
            Some(&b.admin_token),
            Some(json!({ "file_id": png })),
        )
        .await;
    assert_eq!(cross.status, 404);
    let r = s
        .req(
            "PUT",
            &path,
            Some(&ann_tok),
            Some(json!({ "file_id": png })),
        )
        .await;
    assert_eq!(r.ok(200)["photo_file_id"], png.as_str());
    // Everyone who browses the directory sees it and may download it.
    let e = s
        .get(&format!("/api/v1/directory/people/{ann}"), &bob_tok)
        .await;
    assert_eq!(e.ok(200)["photo_file_id"], png.as_str());
    s.get(&format!("/api/v1/files/{png}"), &bob_tok)
        .await
        .ok(200);
    assert_eq!(
        s.get(&format!("/api/v1/files/{png}"), &b.admin_token)
            .await
            .status,
        404
    );
    // Removed: no longer downloadable by others.
    let r = s.req("DELETE", &path, Some(&a.admin_token), None).await;
    assert!(r.ok(200)["photo_file_id"].is_null());
    assert_eq!(
        s.get(&format!("/api/v1/files/{png}"), &bob_tok)
            .await
            .status,
        404
    );
}
both!(address_book_photos);
