//! The bulletin board (lost and found): posting with photos, the board's filters (place names
//! ignoring case and accents), paging, search, photos read only through the board, authors'
//! edits, resolving and withdrawing, moderation (audited with its reason), bad input, expiry
//! (off the board, out of the index, purged by retention with the photos), erasure and export.

use crate::both;
use crate::common::{id, image_with_thumbnail, patient, Backend, Server, Tenant, PIXEL_PNG};
use crate::retention::{hits, indexed, later};
use serde_json::{json, Value};
use std::io::Read;

const MS_DAY: i64 = 86_400_000;

fn in_days(days: i64) -> String {
    let t = chrono::Utc::now() + chrono::Duration::milliseconds(days * MS_DAY);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// A lost wallet in Hà Nội, with these photos.
fn wallet(photos: &[&str]) -> Value {
    json!({
        "kind": "lost", "category": "wallet", "occurred_on": today(),
        "province": "Hà Nội", "district": "Ba Đình", "commune": "Phúc Xá",
        "place_detail": "near the bus stop",
        "title": "Ví da màu nâu", "description": "Brown leather wallet, zorblat inside",
        "contact_preference": "phone", "contact_note": "call after 6pm",
        "photo_ids": photos,
    })
}

/// Found keys in Đà Nẵng.
fn keys() -> Value {
    json!({
        "kind": "found", "category": "keys", "occurred_on": today(),
        "province": "Đà Nẵng", "title": "Keys on a red ring",
        "description": "Three keys found at the market", "contact_preference": "message",
    })
}

async fn create(s: &Server, token: &str, body: Value) -> Value {
    s.post("/api/v1/bulletin/posts", token, body)
        .await
        .ok(201)
        .clone()
}

async fn board(s: &Server, token: &str, query: &str) -> Vec<Value> {
    let r = s
        .get(&format!("/api/v1/bulletin/posts?{query}"), token)
        .await;
    r.ok(200)["items"].as_array().unwrap().clone()
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id).collect()
}

/// A person holding only a role without `bulletin.post`.
async fn outsider(s: &Server, t: &Tenant) -> String {
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "No board", "permissions": ["files.upload"] }),
        )
        .await;
    let role = id(role.ok(201));
    s.member(t, "Otto Outsider", json!([role])).await.1
}

async fn board_rules(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let other = s.tenant("other").await;
    let (sam_id, sam) = s.staff(&t, "Sam Staff").await;
    let (_, lan) = s.staff(&t, "Lan Staff").await;
    let otto = outsider(&s, &t).await;

    // Sam posts a lost wallet with a photo; Lan posts found keys.
    let png = image_with_thumbnail(&s, &sam).await;
    let w = create(&s, &sam, wallet(&[&png])).await;
    let wid = id(&w);
    assert_eq!(w["kind"], "lost");
    assert_eq!(w["status"], "open");
    assert_eq!(w["place"]["province"], "Hà Nội");
    assert_eq!(w["author"]["id"], sam_id.as_str());
    assert_eq!(w["author"]["display_name"], "Sam Staff");
    assert_eq!(w["mine"], true);
    assert_eq!(w["photos"][0]["file_id"], png.as_str());
    assert_eq!(w["photos"][0]["thumbnail"], "done");
    let k = create(&s, &lan, keys()).await;
    let kid = id(&k);
    assert_eq!(k["district"], Value::Null);
    assert_eq!(k["place"]["district"], "");

    // The board: newest first, filters by kind, category, place (ignoring case and accents),
    // status, text and one's own.
    assert_eq!(
        ids(&board(&s, &lan, "").await),
        vec![kid.clone(), wid.clone()]
    );
    assert_eq!(board(&s, &lan, "").await[1]["mine"], false);
    assert_eq!(ids(&board(&s, &lan, "kind=lost").await), vec![wid.clone()]);
    assert_eq!(
        ids(&board(&s, &lan, "category=keys").await),
        vec![kid.clone()]
    );
    for q in [
        "province=ha%20noi",
        "province=H%C3%80%20N%E1%BB%98I",
        "province=Ha%20Noi&district=ba%20dinh&commune=PHUC%20XA",
        "q=vi%20da",
        "q=ZORBLAT",
        "q=bus%20stop",
    ] {
        assert_eq!(ids(&board(&s, &lan, q).await), vec![wid.clone()], "{q}");
    }
    assert!(board(&s, &lan, "province=hanoi").await.is_empty());
    assert!(board(&s, &lan, "province=ha%20noi&district=hoan%20kiem")
        .await
        .is_empty());
    assert_eq!(
        ids(&board(&s, &lan, "province=da%20nang").await),
        vec![kid.clone()]
    );
    assert_eq!(ids(&board(&s, &lan, "mine=true").await), vec![kid.clone()]);
    assert!(board(&s, &lan, "status=resolved").await.is_empty());

    // Paging by cursor.
    let p1 = s.get("/api/v1/bulletin/posts?limit=1", &lan).await;
    let p1 = p1.ok(200).clone();
    assert_eq!(ids(p1["items"].as_array().unwrap()), vec![kid.clone()]);
    let cursor = p1["next_cursor"].as_str().unwrap().to_string();
    let p2 = s
        .get(
            &format!("/api/v1/bulletin/posts?limit=1&cursor={cursor}"),
            &lan,
        )
        .await;
    let p2 = p2.ok(200).clone();
    assert_eq!(ids(p2["items"].as_array().unwrap()), vec![wid.clone()]);
    assert!(p2["next_cursor"].is_null());

    // The photo and its thumbnail: for readers of the board, not for others.
    let (status, _, bytes) = s.download(&lan, &png, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, PIXEL_PNG);
    let thumb = format!("/api/v1/files/{png}/thumbnail");
    assert_eq!(s.get(&thumb, &lan).await.status, 200);
    assert_eq!(s.download(&otto, &png, &[]).await.0, 404);
    s.get(&thumb, &otto).await.problem(404);
    assert_eq!(s.download(&other.admin_token, &png, &[]).await.0, 404);

    // Search finds posts for readers of the board, re-checked on current state.
    s.eventually("the post is searchable", || async {
        hits(&s, &lan, "zorblat").await == 1
    })
    .await;
    let r = s.search(&lan, "zorblat").await;
    assert_eq!(r.ok(200)["items"][0]["kind"], "bulletin_post");
    assert_eq!(r.body["items"][0]["id"], wid.as_str());
    assert_eq!(hits(&s, &otto, "zorblat").await, 0);
    assert_eq!(hits(&s, &other.admin_token, "zorblat").await, 0);

    // Without `bulletin.post`: 403 everywhere; another tenant: 404.
    let wpath = format!("/api/v1/bulletin/posts/{wid}");
    s.get("/api/v1/bulletin/posts", &otto).await.problem(403);
    let r = s.get(&wpath, &otto).await;
    assert_eq!(r.problem(403), "forbidden");
    assert!(r.body["detail"].as_str().unwrap().contains("bulletin.post"));
    s.post("/api/v1/bulletin/posts", &otto, keys())
        .await
        .problem(403);
    s.get(&wpath, &other.admin_token).await.problem(404);
    s.req(
        "PATCH",
        &wpath,
        Some(&other.admin_token),
        Some(json!({ "title": "x" })),
    )
    .await
    .problem(404);

    // Only the author edits, resolves and withdraws.
    let r = s
        .req(
            "PATCH",
            &wpath,
            Some(&lan),
            Some(json!({ "title": "Mine now" })),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    s.post(&format!("{wpath}/resolve"), &lan, json!({}))
        .await
        .problem(403);
    s.delete(&wpath, &lan).await.problem(403);
    let r = s
        .req(
            "PATCH",
            &wpath,
            Some(&sam),
            Some(json!({ "title": "Ví da (brown)", "district": "", "province": "Hà  Nội " })),
        )
        .await;
    let e = r.ok(200).clone();
    assert_eq!(e["title"], "Ví da (brown)");
    assert_eq!(e["place"]["district"], "");
    assert_eq!(e["place"]["commune"], "Phúc Xá");
    assert_eq!(e["photos"][0]["file_id"], png.as_str());
    assert_eq!(
        ids(&board(&s, &lan, "province=ha%20noi").await),
        vec![wid.clone()]
    );
    let r = s.post(&format!("{wpath}/resolve"), &sam, json!({})).await;
    let r = r.ok(200).clone();
    assert_eq!(r["status"], "resolved");
    assert!(r["resolved_at"].as_str().is_some());
    assert_eq!(
        ids(&board(&s, &lan, "status=resolved").await),
        vec![wid.clone()]
    );
    assert_eq!(
        ids(&board(&s, &lan, "status=open").await),
        vec![kid.clone()]
    );

    // Withdrawn: gone from the board, search, and the photo with it.
    assert_eq!(s.delete(&wpath, &sam).await.status, 204);
    s.get(&wpath, &sam).await.problem(404);
    assert_eq!(s.download(&sam, &png, &[]).await.0, 404);
    assert_eq!(ids(&board(&s, &lan, "").await), vec![kid.clone()]);
    s.eventually("the withdrawn post leaves the index", || async {
        hits(&s, &lan, "zorblat").await == 0
    })
    .await;

    // Moderation: `bulletin.moderate` removes anyone's post, with a reason the audit keeps.
    let kpath = format!("/api/v1/bulletin/posts/{kid}/removal");
    let r = s.post(&kpath, &sam, json!({ "reason": "spam" })).await;
    assert_eq!(r.problem(403), "forbidden");
    assert!(r.body["detail"]
        .as_str()
        .unwrap()
        .contains("bulletin.moderate"));
    let r = s
        .post(&kpath, &t.admin_token, json!({ "reason": " " }))
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "reason");
    s.post(&kpath, &other.admin_token, json!({ "reason": "spam" }))
        .await
        .problem(404);
    let r = s
        .post(
            &kpath,
            &t.admin_token,
            json!({ "reason": "duplicate of an older post" }),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    s.get(&format!("/api/v1/bulletin/posts/{kid}"), &lan)
        .await
        .problem(404);
    assert!(board(&s, &lan, "").await.is_empty());
    let a = s
        .get("/api/v1/audit?action=bulletin.post_removed", &t.admin_token)
        .await;
    let a = a.ok(200).clone();
    let entry = &a["items"][0];
    assert_eq!(entry["target_id"], kid.as_str(), "{a}");
    assert_eq!(
        entry["details"]["reason"], "duplicate of an older post",
        "{a}"
    );
}
both!(board_rules);

async fn bad_input(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam Staff").await;
    let (_, lan) = s.staff(&t, "Lan Staff").await;
    let bad = |body: Value, field: &'static str| {
        let s = &s;
        let sam = sam.clone();
        async move {
            let r = s.post("/api/v1/bulletin/posts", &sam, body.clone()).await;
            assert_eq!(r.problem(422), "validation_failed", "{body}");
            assert_eq!(r.body["field"], field, "{}", r.text);
        }
    };
    let with = |k: &str, v: Value| {
        let mut w = keys();
        w[k] = v;
        w
    };
    bad(with("kind", json!("stolen")), "kind").await;
    bad(with("category", json!("spaceship")), "category").await;
    bad(
        with("contact_preference", json!("pigeon")),
        "contact_preference",
    )
    .await;
    bad(with("occurred_on", json!("yesterday")), "occurred_on").await;
    bad(with("occurred_on", json!("2999-01-01")), "occurred_on").await;
    bad(with("province", json!("  ")), "province").await;
    bad(with("title", json!("")), "title").await;
    bad(with("expires_at", json!(in_days(-1))), "expires_at").await;
    bad(with("expires_at", json!(in_days(400))), "expires_at").await;
    bad(with("expires_at", json!("next week")), "expires_at").await;

    // Photos: at most six, each an image the poster uploaded, on one post only.
    let mut pngs = Vec::new();
    for i in 0..7 {
        let r = s
            .upload(&sam, &format!("p{i}.png"), PIXEL_PNG.to_vec())
            .await;
        pngs.push(id(r.ok(201)));
    }
    bad(with("photo_ids", json!(pngs)), "photo_ids").await;
    let txt = id(s
        .upload(&sam, "note.txt", b"not a picture".to_vec())
        .await
        .ok(201));
    bad(with("photo_ids", json!([pngs[0], txt])), "photo_ids").await;
    let lans = id(s.upload(&lan, "lan.png", PIXEL_PNG.to_vec()).await.ok(201));
    bad(with("photo_ids", json!([lans])), "photo_ids").await;
    bad(with("photo_ids", json!(["not-an-id"])), "photo_ids").await;
    bad(
        with("photo_ids", json!(["0190c0de-0000-7000-8000-000000000000"])),
        "photo_ids",
    )
    .await;
    // Duplicates count once: six distinct photos are fine.
    let mut six: Vec<String> = pngs[..6].to_vec();
    six.push(pngs[0].clone());
    let p = create(&s, &sam, with("photo_ids", json!(six))).await;
    assert_eq!(p["photos"].as_array().unwrap().len(), 6);
    // A photo already on a post cannot go on another.
    bad(with("photo_ids", json!([pngs[0]])), "photo_ids").await;
    // Nor on an edit; an edit's own bad values are refused the same way.
    let path = format!("/api/v1/bulletin/posts/{}", id(&p));
    let r = s
        .req(
            "PATCH",
            &path,
            Some(&sam),
            Some(json!({ "photo_ids": [txt] })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = s
        .req(
            "PATCH",
            &path,
            Some(&sam),
            Some(json!({ "kind": "stolen" })),
        )
        .await;
    assert_eq!(r.body["field"], "kind", "{}", r.text);
    let r = s
        .req(
            "PATCH",
            &path,
            Some(&sam),
            Some(json!({ "expires_at": in_days(-2) })),
        )
        .await;
    assert_eq!(r.body["field"], "expires_at", "{}", r.text);
    // Taking photos off deletes them; the rest stay.
    let r = s
        .req(
            "PATCH",
            &path,
            Some(&sam),
            Some(json!({ "photo_ids": [pngs[1], pngs[0]] })),
        )
        .await;
    let e = r.ok(200).clone();
    assert_eq!(e["photos"][0]["file_id"], pngs[1].as_str());
    assert_eq!(e["photos"].as_array().unwrap().len(), 2);
    assert_eq!(s.download(&sam, &pngs[2], &[]).await.0, 404);
    assert_eq!(s.download(&sam, &pngs[0], &[]).await.0, 200);
    // Unknown fields, filters and cursors.
    let r = s
        .post("/api/v1/bulletin/posts", &sam, with("colour", json!("red")))
        .await;
    assert!((400..500).contains(&r.status), "{}", r.text);
    r.problem(r.status);
    for (q, field) in [
        ("kind=stolen", "kind"),
        ("category=spaceship", "category"),
        ("status=lost", "status"),
        ("limit=0", "limit"),
    ] {
        let r = s.get(&format!("/api/v1/bulletin/posts?{q}"), &sam).await;
        assert_eq!(r.problem(422), "validation_failed", "{q}");
        assert_eq!(r.body["field"], field);
    }
    for c in ["%%%", "bm90LWFuLWlk"] {
        let r = s
            .get(&format!("/api/v1/bulletin/posts?cursor={c}"), &sam)
            .await;
        assert_eq!(r.problem(422), "validation_failed", "{c}");
        assert_eq!(r.body["field"], "cursor");
    }
    s.get("/api/v1/bulletin/posts/not-an-id", &sam)
        .await
        .problem(404);
}
both!(bad_input);

/// Expired posts leave the board, the photo's readers and the index; retention purges them
/// with their photos, and keeps what has not expired.
async fn expiry_and_retention(b: Backend) {
    let Some(mut s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam Staff").await;
    let png = image_with_thumbnail(&s, &sam).await;
    let mut short = wallet(&[&png]);
    short["expires_at"] = json!(in_days(1));
    let gone = id(&create(&s, &sam, short).await);
    let kept = id(&create(&s, &sam, keys()).await);
    s.eventually("both posts are searchable", || async {
        hits(&s, &sam, "zorblat").await == 1 && hits(&s, &sam, "market").await == 1
    })
    .await;

    // Two days on.
    let admin = later(&mut s, "172800", &t.admin_email).await;
    let t = Tenant {
        admin_token: admin.clone(),
        ..t
    };
    let sam = s.login_token("acme", "sam.staff@acme.test").await;
    assert_eq!(ids(&board(&s, &sam, "").await), vec![kept.clone()]);
    s.get(&format!("/api/v1/bulletin/posts/{gone}"), &sam)
        .await
        .problem(404);
    s.req(
        "PATCH",
        &format!("/api/v1/bulletin/posts/{gone}"),
        Some(&sam),
        Some(json!({ "title": "back" })),
    )
    .await
    .problem(404);
    assert_eq!(hits(&s, &sam, "zorblat").await, 0);
    // The photo's uploader still reads their own file; nobody else does.
    let (_, lan) = s.staff(&t, "Lan Staff").await;
    assert_eq!(s.download(&lan, &png, &[]).await.0, 404);
    // The expiry pass queues the entry's removal; the relay removes it.
    let swept =
        format!("select count(*) from bulletin_posts where id = '{gone}' and expiry_swept = 1");
    s.eventually("the expiry pass", || async { s.count(&swept).await == 1 })
        .await;
    let pending = "select count(*) from outbox where topic = 'search.index' \
                   and done_at is null and dead_at is null";
    s.eventually("the index catches up", || async {
        s.count(pending).await == 0
    })
    .await;
    s.stop();
    assert_eq!(indexed(&s, "bulletin_post", &gone), "0");
    assert_eq!(indexed(&s, "bulletin_post", &kept), "1");
    s.spawn().await;
    let admin = s.login_token("acme", &t.admin_email).await;
    let sam = s.login_token("acme", "sam.staff@acme.test").await;

    // Retention: posts a day past their expiry go, with their photos.
    let r = s
        .req(
            "PUT",
            "/api/v1/retention/policy",
            Some(&admin),
            Some(json!({ "set": [{ "class": "bulletin_posts", "days": 1 }] })),
        )
        .await;
    r.ok(200);
    let preview = s.post("/api/v1/retention/preview", &admin, json!({})).await;
    let preview = preview.ok(200).clone();
    let class = preview["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "bulletin_posts")
        .cloned()
        .unwrap();
    assert_eq!(class["items"], 1, "{preview}");
    let run = s
        .post(
            "/api/v1/retention/runs",
            &admin,
            json!({ "dry_run": false }),
        )
        .await;
    let run = id(run.ok(202));
    let path = format!("/api/v1/retention/runs/{run}");
    s.eventually("the retention run ends", || async {
        s.get(&path, &admin).await.ok(200)["status"] != "running"
    })
    .await;
    let report = s.get(&path, &admin).await.ok(200).clone();
    assert_eq!(report["status"], "done", "{report}");
    let rows = |table: &'static str, col: &'static str, v: String| {
        let s = &s;
        async move {
            s.count(&format!("select count(*) from {table} where {col} = '{v}'"))
                .await
        }
    };
    assert_eq!(rows("bulletin_posts", "id", gone.clone()).await, 0);
    assert_eq!(rows("bulletin_photos", "post_id", gone.clone()).await, 0);
    assert_eq!(rows("files", "id", png.clone()).await, 0);
    assert_eq!(rows("file_previews", "file_id", png.clone()).await, 0);
    assert_eq!(rows("bulletin_posts", "id", kept.clone()).await, 1);
    assert_eq!(ids(&board(&s, &sam, "").await), vec![kept]);
}
both!(expiry_and_retention);

/// A person's export holds their posts and photos; erasing them removes their posts (with the
/// photos) from every store and leaves others' posts alone.
async fn erasure_and_export(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let tok = t.admin_token.clone();
    let (carol_id, carol) = s.staff(&t, "Carol Staff").await;
    let (_, dan) = s.staff(&t, "Dan Staff").await;
    let png = image_with_thumbnail(&s, &carol).await;
    let mut mine = wallet(&[&png]);
    mine["description"] = json!("qwxcanary wallet, call me");
    let post = id(&create(&s, &carol, mine).await);
    let dans = id(&create(&s, &dan, keys()).await);

    // Her export: the post and the photo as uploaded.
    let e = s.post("/api/v1/me/export", &carol, json!({})).await;
    let export_id = id(e.ok(202));
    let path = format!("/api/v1/me/exports/{export_id}");
    let start = std::time::Instant::now();
    loop {
        let e = s.get(&path, &carol).await.ok(200).clone();
        assert_ne!(e["status"], "failed", "{e}");
        if e["status"] == "ready" {
            break;
        }
        assert!(patient(start), "the export is not ready: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let url = s
        .post(
            &format!("/api/v1/exports/{export_id}/link"),
            &carol,
            json!({}),
        )
        .await
        .ok(200)["url"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.http().get(s.url(&url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut posts = String::new();
    z.by_name("bulletin/posts.json")
        .unwrap()
        .read_to_string(&mut posts)
        .unwrap();
    let posts: Value = serde_json::from_str(&posts).unwrap();
    assert_eq!(posts.as_array().unwrap().len(), 1, "{posts}");
    assert_eq!(posts[0]["id"], post.as_str());
    assert_eq!(posts[0]["description"], "qwxcanary wallet, call me");
    let photo_path = posts[0]["photos"][0]["path"].as_str().unwrap().to_string();
    let mut photo = Vec::new();
    z.by_name(&photo_path)
        .unwrap()
        .read_to_end(&mut photo)
        .unwrap();
    assert_eq!(photo, PIXEL_PNG);
    assert!(!posts.to_string().contains(&dans));

    // Erased: her post and its photo go from every store; Dan's stays.
    s.eventually("the post is searchable", || async {
        hits(&s, &dan, "qwxcanary").await == 1
    })
    .await;
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&tok),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": true })),
    )
    .await
    .ok(200);
    s.post(
        &format!("/api/v1/users/{carol_id}/deletion"),
        &tok,
        json!({}),
    )
    .await
    .ok(202);
    let path = format!("/api/v1/users/{carol_id}/deletion");
    s.eventually("the erasure ends", || async {
        s.get(&path, &tok).await.ok(200)["status"] == "erased"
    })
    .await;
    assert_eq!(ids(&board(&s, &dan, "").await), vec![dans]);
    s.get(&format!("/api/v1/bulletin/posts/{post}"), &dan)
        .await
        .problem(404);
    assert_eq!(
        s.count(&format!("select count(*) from files where id = '{png}'"))
            .await,
        0
    );
    assert_eq!(
        s.count("select count(*) from bulletin_posts where description like '%qwxcanary%'")
            .await,
        0
    );
    s.eventually("the erased post leaves the index", || async {
        hits(&s, &dan, "qwxcanary").await == 0
    })
    .await;
}
both!(erasure_and_export);
