//! The calendar: the agenda (meeting occurrences and tasks due, in the person's zone, paged),
//! the secret feed address calendar apps subscribe to (read by a real iCalendar parser), and
//! importing an `.ics` file (parsed in the sandboxed converter).

use crate::both;
use crate::common::{raw_http, Backend, Server};
use crate::meetings::{parse_ics, reference_python};
use serde_json::{json, Value};

fn items(r: &Value) -> Vec<Value> {
    r["items"].as_array().cloned().unwrap_or_default()
}

async fn agenda_merges_meetings_and_tasks_in_the_persons_zone(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, ann) = s.staff(&t, "Ann").await;
    // A weekly stand-up at 09:00 Berlin time, across the spring DST change.
    let m = s
        .post(
            "/api/v1/meetings",
            &ann,
            json!({ "title": "Stand-up", "time_zone": "Europe/Berlin",
                    "start": "2026-03-23T09:00", "end": "2026-03-23T09:15",
                    "rrule": "FREQ=WEEKLY;COUNT=4" }),
        )
        .await;
    let mid = m.ok(201)["id"].as_str().unwrap().to_string();
    // A task due on a day, and one at a time in Hanoi.
    s.post(
        "/api/v1/tasks",
        &ann,
        json!({ "title": "Report", "due": { "date": "2026-03-31" } }),
    )
    .await
    .ok(201);
    s.post(
        "/api/v1/tasks",
        &ann,
        json!({ "title": "Call", "due": { "date": "2026-03-30", "time": "15:00", "zone": "Asia/Ho_Chi_Minh" } }),
    )
    .await
    .ok(201);
    // The profile's zone is the agenda's.
    s.req(
        "PATCH",
        "/api/v1/me",
        Some(&ann),
        Some(json!({ "time_zone": "Asia/Ho_Chi_Minh" })),
    )
    .await
    .ok(200);
    let r = s
        .get("/api/v1/agenda?from=2026-03-23&to=2026-04-12", &ann)
        .await;
    assert_eq!(r.ok(200)["zone"], "Asia/Ho_Chi_Minh");
    let got: Vec<(String, String, String)> = items(&r.body)
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["title"].as_str().unwrap_or("").to_string(),
                i["start_local"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // 09:00 Berlin is 15:00 in Hanoi before the change (UTC+1) and 14:00 after it (UTC+2).
    assert_eq!(
        got,
        vec![
            (
                "meeting".into(),
                "Stand-up".into(),
                "2026-03-23T15:00:00".into()
            ),
            (
                "meeting".into(),
                "Stand-up".into(),
                "2026-03-30T14:00:00".into()
            ),
            ("task".into(), "Call".into(), "2026-03-30T15:00:00".into()),
            ("task".into(), "Report".into(), "2026-03-31".into()),
            (
                "meeting".into(),
                "Stand-up".into(),
                "2026-04-06T14:00:00".into()
            ),
        ],
        "{}",
        r.text
    );
    assert_eq!(items(&r.body)[0]["id"], mid.as_str());
    assert_eq!(items(&r.body)[0]["time_zone"], "Europe/Berlin");
    // A zone asked for wins over the profile's; pages follow one another without gaps.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = s
            .get(
                &format!(
                    "/api/v1/agenda?from=2026-03-23&to=2026-04-12&zone=Europe/Berlin&limit=2{cursor}"
                ),
                &ann,
            )
            .await;
        assert_eq!(r.ok(200)["zone"], "Europe/Berlin");
        for i in items(&r.body) {
            seen.push(i["start_local"].as_str().unwrap().to_string());
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            "2026-03-23T09:00:00",
            "2026-03-30T09:00:00",
            "2026-03-30T10:00:00",
            "2026-03-31",
            "2026-04-06T09:00:00"
        ]
    );
    // Bad ranges and zones are clear 422s.
    for q in [
        "from=2026-03-23&to=2026-03-01",
        "from=2026-01-01&to=2027-06-01",
        "from=yesterday",
        "zone=Mars/Base",
    ] {
        s.get(&format!("/api/v1/agenda?{q}"), &ann)
            .await
            .problem(422);
    }
    // A cursor this server did not issue is a 400, as on every list.
    s.get("/api/v1/agenda?cursor=%%%", &ann).await.problem(400);
    // Someone else's agenda does not show Ann's meetings.
    let (_, bob) = s.staff(&t, "Bob").await;
    let r = s
        .get("/api/v1/agenda?from=2026-03-23&to=2026-04-12", &bob)
        .await;
    assert!(items(r.ok(200)).is_empty(), "{}", r.text);
}
both!(agenda_merges_meetings_and_tasks_in_the_persons_zone);

async fn feed_is_secret_revocable_and_current(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (ann_id, ann) = s.staff(&t, "Ann").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let now = chrono::Utc::now();
    let day = |d: i64| {
        (now + chrono::Duration::days(d))
            .format("%Y-%m-%dT10:00")
            .to_string()
    };
    s.post(
        "/api/v1/meetings",
        &ann,
        json!({ "title": "Planning", "time_zone": "Asia/Ho_Chi_Minh",
                "start": day(3), "end": day(3).replace("T10", "T11"),
                "rrule": "FREQ=WEEKLY;COUNT=3",
                "attendees": [{ "kind": "person", "id": bob_id }] }),
    )
    .await
    .ok(201);
    let r = s.get("/api/v1/calendar/feed", &bob).await;
    assert_eq!(r.ok(200)["active"], false);
    let r = s.post("/api/v1/calendar/feed", &bob, json!({})).await;
    let url = r.ok(201)["url"].as_str().unwrap().to_string();
    assert!(r.body["webcal_url"]
        .as_str()
        .unwrap()
        .starts_with("webcal://"));
    let path = url[url.find("/api/v1/").unwrap()..].to_string();
    // No session needed: the address is the credential.
    let feed = s.req("GET", &path, None, None).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    assert!(feed
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    assert!(feed.text.contains("SUMMARY:Planning"), "{}", feed.text);
    if let Some(python) = reference_python() {
        let parsed = parse_ics(&python, &feed.text);
        let ev = &parsed["events"][0];
        assert_eq!(ev["summary"], "Planning");
        assert_eq!(ev["rrule"], "FREQ=WEEKLY;COUNT=3");
        assert!(
            ev["start"].as_str().unwrap().ends_with("10:00:00+07:00"),
            "{ev}"
        );
    }
    assert_eq!(
        s.get("/api/v1/calendar/feed", &bob).await.ok(200)["active"],
        true
    );
    // Current state: Bob removed from the meeting, the feed no longer shows it.
    let mid = s.get("/api/v1/agenda", &ann).await.body["items"][0]["id"]
        .as_str()
        .map(str::to_string);
    if let Some(mid) = mid {
        s.req(
            "PATCH",
            &format!("/api/v1/meetings/{mid}"),
            Some(&ann),
            Some(json!({ "attendees": [] })),
        )
        .await
        .ok(200);
        let feed = s.req("GET", &path, None, None).await;
        assert_eq!(feed.status, 200);
        assert!(!feed.text.contains("Planning"), "{}", feed.text);
    }
    // Unknown addresses are 404; a new address replaces the old one; revoking ends it.
    assert_eq!(
        s.req("GET", "/api/v1/calendar/feed/stoa_cal_nope.ics", None, None)
            .await
            .status,
        404
    );
    let r = s.post("/api/v1/calendar/feed", &bob, json!({})).await;
    let url2 = r.ok(201)["url"].as_str().unwrap().to_string();
    assert_ne!(url, url2);
    assert_eq!(s.req("GET", &path, None, None).await.status, 404);
    let path2 = url2[url2.find("/api/v1/").unwrap()..].to_string();
    assert_eq!(s.req("GET", &path2, None, None).await.status, 200);
    // A disabled account's feed stops answering at once.
    s.post(
        &format!("/api/v1/users/{bob_id}/disable"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(s.req("GET", &path2, None, None).await.status, 401);
    s.post(
        &format!("/api/v1/users/{bob_id}/enable"),
        &t.admin_token,
        json!({}),
    )
    .await
    .ok(200);
    let bob = s.login_token("acme", "bob@acme.test").await;
    s.delete("/api/v1/calendar/feed", &bob).await;
    assert_eq!(s.req("GET", &path2, None, None).await.status, 404);
    s.delete("/api/v1/calendar/feed", &bob).await.problem(404);
    let _ = (ann_id, ann);
}
both!(feed_is_secret_revocable_and_current);

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Stoa tests//EN\r\n\
BEGIN:VEVENT\r\nUID:standup@example.com\r\nSUMMARY:Stand-up\\, team A\r\n\
DTSTART;TZID=Europe/Berlin:20260302T090000\r\nDTEND;TZID=Europe/Berlin:20260302T091500\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:20260309T090000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:tet@example.com\r\nSUMMARY:Tết holiday\r\nDTSTART;VALUE=DATE:20260304\r\n\
DTEND;VALUE=DATE:20260306\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:lunch@example.com\r\nSUMMARY:Lunch\r\nDTSTART:20260303T120000\r\n\
DTEND:20260303T130000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:standup@example.com\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260316T090000\r\n\
SUMMARY:Moved stand-up\r\nDTSTART;TZID=Europe/Berlin:20260316T100000\r\n\
DTEND;TZID=Europe/Berlin:20260316T101500\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:bad-rule@example.com\r\nSUMMARY:Odd\r\nDTSTART:20260305T090000Z\r\n\
DTEND:20260305T100000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n\
BEGIN:VTODO\r\nUID:todo@example.com\r\nSUMMARY:A to-do\r\nEND:VTODO\r\n\
END:VCALENDAR\r\n";

async fn import_ics_reports_what_it_skipped(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, ann) = s.staff(&t, "Ann").await;
    s.req(
        "PATCH",
        "/api/v1/me",
        Some(&ann),
        Some(json!({ "time_zone": "Asia/Ho_Chi_Minh" })),
    )
    .await
    .ok(200);
    let r = s
        .raw(
            "POST",
            "/api/v1/calendar/import",
            Some(&ann),
            "text/calendar",
            ICS.into(),
        )
        .await;
    r.ok(200);
    let titles: Vec<&str> = r.body["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["Stand-up, team A", "Tết holiday", "Lunch"],
        "{}",
        r.text
    );
    let skipped: Vec<(&str, &str)> = r.body["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["uid"].as_str().unwrap(), i["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped.len(), 2, "{}", r.text);
    assert!(skipped
        .iter()
        .any(|(u, why)| *u == "standup@example.com" && why.contains("RECURRENCE-ID")));
    assert!(skipped.iter().any(|(u, _)| *u == "bad-rule@example.com"));
    assert_eq!(r.body["other_components"], 1);
    // The events are in the agenda: the excluded Monday is gone, floating times are Hanoi's.
    let a = s
        .get(
            "/api/v1/agenda?from=2026-03-01&to=2026-03-31&zone=Europe/Berlin",
            &ann,
        )
        .await;
    let got: Vec<(String, String)> = items(a.ok(200))
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_string(),
                i["start_local"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("Stand-up, team A".into(), "2026-03-02T09:00:00".into()),
            ("Lunch".into(), "2026-03-03T06:00:00".into()),
            ("Tết holiday".into(), "2026-03-04".into()),
            ("Stand-up, team A".into(), "2026-03-16T09:00:00".into()),
            ("Stand-up, team A".into(), "2026-03-23T09:00:00".into()),
        ],
        "{}",
        a.text
    );
    // Importing the same file again adds nothing.
    let r = s
        .raw(
            "POST",
            "/api/v1/calendar/import",
            Some(&ann),
            "text/calendar",
            ICS.into(),
        )
        .await;
    assert_eq!(r.ok(200)["already_imported"], 3);
    assert!(r.body["imported"].as_array().unwrap().is_empty());
    // Hostile or broken files are a clear 4xx, and the server carries on.
    for bad in [
        b"\xff\xfe\x00garbage".to_vec(),
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n".to_vec(),
        Vec::new(),
        format!("BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n", "X-A:".repeat(10)).into_bytes(),
    ] {
        let r = s
            .raw(
                "POST",
                "/api/v1/calendar/import",
                Some(&ann),
                "text/calendar",
                bad,
            )
            .await;
        assert!((400..500).contains(&r.status), "{}: {}", r.status, r.text);
    }
    // Too large: refused on the declared length. Only the head is sent; a client still writing
    // 3 MiB may see the early 413's connection close as a broken pipe instead of the answer.
    let head = format!(
        "POST /api/v1/calendar/import HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {ann}\r\ncontent-type: text/calendar\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        3 * 1024 * 1024
    );
    let (status, body) = raw_http(&s.base, head, Vec::new()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");
    s.get("/api/v1/me", &ann).await.ok(200);
    // Importing makes meetings: a role without `meetings.use` may not.
    let role = s
        .post(
            "/api/v1/roles",
            &t.admin_token,
            json!({ "name": "Readers", "permissions": ["messages.send"] }),
        )
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, reader) = s.member(&t, "Rita", json!([role])).await;
    let r = s
        .raw(
            "POST",
            "/api/v1/calendar/import",
            Some(&reader),
            "text/calendar",
            ICS.into(),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    // Another tenant's people see nothing of Ann's imports.
    let other = s.tenant("other").await;
    let r = s
        .get(
            "/api/v1/agenda?from=2026-03-01&to=2026-03-31",
            &other.admin_token,
        )
        .await;
    assert!(items(r.ok(200)).is_empty());
}
both!(import_ics_reports_what_it_skipped);
