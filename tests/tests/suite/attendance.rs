//! Attendance: check-in rules (geofence boundary, missing coordinates, a spoofed
//! `X-Forwarded-For` that is not believed, one from a trusted proxy that is), schedules by
//! department and person (the nearest department wins, a person's own overrides), lateness in
//! the schedule's zone across a DST change and in Asia/Ho_Chi_Minh, corrections that keep the
//! original punches visible, absent and excused days, monthly summaries, the CSV export, and
//! erasure.

use crate::both;
use crate::common::{Backend, Resp, Server, Tenant};
use serde_json::{json, Value};

fn e7(d: f64) -> f64 {
    ((d * 1e7).round() as i64) as f64 / 1e7
}

/// The server's distance (haversine on the mean Earth radius), for points as it stores them.
fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().min(1.0).asin()
}

async fn put_settings(s: &Server, token: &str, body: Value) -> Resp {
    s.req(
        "PUT",
        "/api/v1/attendance/settings",
        Some(token),
        Some(body),
    )
    .await
}

async fn checkin(s: &Server, token: &str, body: Value) -> Resp {
    s.post("/api/v1/attendance/checkin", token, body).await
}

/// Check in with an `X-Forwarded-For` header.
async fn checkin_via(s: &Server, token: &str, forwarded_for: &str) -> Resp {
    let rb = s
        .http()
        .post(s.url("/api/v1/attendance/checkin"))
        .bearer_auth(token)
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({}));
    Server::finish(rb).await
}

async fn dept(s: &Server, t: &Tenant, name: &str, parent: Option<&str>) -> String {
    s.post(
        "/api/v1/directory/departments",
        &t.admin_token,
        json!({ "name": name, "parent_id": parent }),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn place(s: &Server, t: &Tenant, who: &str, department: &str) {
    s.req(
        "PUT",
        &format!("/api/v1/directory/people/{who}"),
        Some(&t.admin_token),
        Some(json!({ "primary_department_id": department })),
    )
    .await
    .ok(200);
}

async fn schedule(s: &Server, t: &Tenant, body: Value) -> String {
    s.post("/api/v1/attendance/schedules", &t.admin_token, body)
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn correct(s: &Server, token: &str, who: &str, date: &str, body: Value) -> Resp {
    s.post(
        &format!("/api/v1/attendance/records/{who}/{date}/corrections"),
        token,
        body,
    )
    .await
}

async fn days(s: &Server, token: &str, who: &str, from: &str, to: &str) -> Value {
    s.get(
        &format!("/api/v1/attendance/records?user_id={who}&from={from}&to={to}"),
        token,
    )
    .await
    .ok(200)
    .clone()
}

/// An active person with this name and email: (id, token).
async fn named(s: &Server, t: &Tenant, name: &str, email: &str) -> (String, String) {
    let body = s
        .post(
            "/api/v1/users",
            &t.admin_token,
            json!({ "display_name": name, "email": email }),
        )
        .await
        .ok(201)
        .clone();
    let inv = body["invitation"]["token"].as_str().unwrap().to_string();
    let token = s.accept(&inv, crate::common::PASSWORD).await.ok(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    (body["user"]["id"].as_str().unwrap().to_string(), token)
}

fn day<'a>(days: &'a Value, date: &str) -> &'a Value {
    days["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("{date} in {days}"))
}

/// Check-in without rules, once a day, check-out; the geofence rule: coordinates required,
/// outside by a millimetre rejected with the reason, exactly at the radius accepted; bad
/// settings.
async fn checkin_and_geofence(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let (_, ann) = s.staff(&a, "Ann Staff").await;
    let (_, bob) = s.staff(&a, "Bob Staff").await;
    // No rule on: anyone with attendance.checkin checks in, once a day.
    let d = checkin(&s, &ann, json!({})).await.ok(200).clone();
    assert_eq!(d["status"], "present");
    assert!(d["check_in_at"].is_string());
    assert_eq!(d["check_in_at"], d["original_check_in_at"]);
    assert_eq!(checkin(&s, &ann, json!({})).await.problem(409), "conflict");
    let out = s
        .post("/api/v1/attendance/checkout", &ann, json!({}))
        .await
        .ok(200)
        .clone();
    assert!(out["check_out_at"].is_string());
    // Bob cannot check out before checking in; staff cannot read the rules.
    s.post("/api/v1/attendance/checkout", &bob, json!({}))
        .await
        .problem(409);
    s.get("/api/v1/attendance/settings", &bob)
        .await
        .problem(403);

    // The geofence rule. A point about 100 m north of the centre, as the server stores both.
    let (clat, clon) = (10.7769, 106.7009);
    let (plat, plon) = (10.7778, 106.7009);
    let dist = haversine(e7(clat), e7(clon), e7(plat), e7(plon));
    let mm = (dist * 1000.0).ceil();
    let fence = |radius_mm: f64| {
        json!({ "geofence_required": true, "network_required": false, "networks": [],
                "geofences": [{ "name": "HQ", "latitude": clat, "longitude": clon,
                                "radius_m": radius_mm / 1000.0 }] })
    };
    let tok = a.admin_token.clone();
    let set = put_settings(&s, &tok, fence(mm - 1.0))
        .await
        .ok(200)
        .clone();
    assert_eq!(set["geofences"][0]["name"], "HQ");
    assert_eq!(set["geofence_required"], true);
    // Missing coordinates: rejected, saying why.
    let r = checkin(&s, &bob, json!({})).await;
    assert_eq!(r.problem(422), "checkin_rejected");
    assert_eq!(r.body["field"], "latitude");
    assert!(r.text.contains("location required"), "{}", r.text);
    // Half a position is bad input.
    let r = checkin(&s, &bob, json!({ "latitude": plat })).await;
    assert_eq!(r.problem(422), "validation_failed");
    let r = checkin(&s, &bob, json!({ "latitude": 91.0, "longitude": 0.0 })).await;
    assert_eq!(r.problem(422), "validation_failed");
    // One millimetre outside the radius: rejected, naming the nearest geofence.
    let r = checkin(&s, &bob, json!({ "latitude": plat, "longitude": plon })).await;
    assert_eq!(r.problem(422), "checkin_rejected");
    assert!(
        r.text.contains("outside every geofence") && r.text.contains("HQ"),
        "{}",
        r.text
    );
    // Far away.
    let r = checkin(
        &s,
        &bob,
        json!({ "latitude": 21.0285, "longitude": 105.8542 }),
    )
    .await;
    assert_eq!(r.problem(422), "checkin_rejected");
    // Exactly at the radius (to the millimetre): inside.
    put_settings(&s, &tok, fence(mm)).await.ok(200);
    let d = checkin(&s, &bob, json!({ "latitude": plat, "longitude": plon }))
        .await
        .ok(200)
        .clone();
    assert_eq!(d["status"], "present");

    // Bad settings: a rule without places, coordinates and radius out of range, a bad network.
    for (body, field) in [
        (
            json!({ "geofence_required": true, "network_required": false, "geofences": [], "networks": [] }),
            "geofences",
        ),
        (
            json!({ "geofence_required": false, "network_required": true, "geofences": [], "networks": [] }),
            "networks",
        ),
        (
            json!({ "geofence_required": false, "network_required": false, "networks": [],
                    "geofences": [{ "name": "X", "latitude": 91.0, "longitude": 0.0, "radius_m": 10.0 }] }),
            "geofences.latitude",
        ),
        (
            json!({ "geofence_required": false, "network_required": false, "networks": [],
                    "geofences": [{ "name": "X", "latitude": 1.0, "longitude": 0.0, "radius_m": 0.0 }] }),
            "geofences.radius_m",
        ),
        (
            json!({ "geofence_required": false, "network_required": false, "geofences": [],
                    "networks": [{ "cidr": "10.0.0.0/33" }] }),
            "networks.cidr",
        ),
    ] {
        let r = put_settings(&s, &tok, body).await;
        assert_eq!(r.problem(422), "validation_failed", "{field}");
        assert_eq!(r.body["field"], field);
    }
    // The rules as set stay (the failed puts changed nothing).
    let now = s
        .get("/api/v1/attendance/settings", &tok)
        .await
        .ok(200)
        .clone();
    assert_eq!(
        now["geofences"][0]["radius_m"].as_f64().unwrap(),
        mm / 1000.0
    );
}
both!(checkin_and_geofence);

/// The network rule: an `X-Forwarded-For` from a peer that is not a trusted proxy is not
/// believed (the peer's address counts); from a trusted proxy it is.
async fn network_rule_and_forwarded_for(backend: Backend) {
    let net = |cidr: &str| {
        json!({ "geofence_required": false, "network_required": true, "geofences": [],
                "networks": [{ "cidr": cidr, "label": "office" }] })
    };
    // 127.0.0.1 (the test client) is no trusted proxy here.
    let Some(s) = Server::start_with(backend, &[("STOA_TRUSTED_PROXIES", "10.0.0.0/8")]).await
    else {
        return;
    };
    let a = s.tenant("alpha").await;
    let (_, ann) = s.staff(&a, "Ann Staff").await;
    put_settings(&s, &a.admin_token, net("203.0.113.0/24"))
        .await
        .ok(200);
    let r = checkin_via(&s, &ann, "203.0.113.7").await;
    assert_eq!(r.problem(422), "checkin_rejected");
    assert!(
        r.text.contains("127.0.0.1") && !r.text.contains("203.0.113.7"),
        "{}",
        r.text
    );
    // The real address is allowed: the spoofed header changes nothing.
    put_settings(&s, &a.admin_token, net("127.0.0.0/8"))
        .await
        .ok(200);
    checkin_via(&s, &ann, "203.0.113.7").await.ok(200);
    drop(s);

    // Behind a trusted proxy (127.0.0.1), the forwarded address counts.
    let Some(s) = Server::start_with(backend, &[("STOA_TRUSTED_PROXIES", "127.0.0.1")]).await
    else {
        return;
    };
    let a = s.tenant("alpha").await;
    let (_, ann) = s.staff(&a, "Ann Staff").await;
    put_settings(&s, &a.admin_token, net("203.0.113.0/24"))
        .await
        .ok(200);
    let r = checkin_via(&s, &ann, "198.51.100.4").await;
    assert_eq!(r.problem(422), "checkin_rejected");
    assert!(r.text.contains("198.51.100.4"), "{}", r.text);
    checkin_via(&s, &ann, "203.0.113.7").await.ok(200);
}
both!(network_rule_and_forwarded_for);

/// Schedules: a department's applies below it unless a nearer department has one, a person's
/// own overrides; lateness is judged in the schedule's zone, across New York's DST change and
/// in Ho Chi Minh City; conflicts and bad input.
async fn schedules_and_lateness(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let (dan, dan_tok) = s.staff(&a, "Dan North").await;
    let (carol, _) = s.staff(&a, "Carol Own").await;
    let sales = dept(&s, &a, "Sales", None).await;
    let north = dept(&s, &a, "North", Some(&sales)).await;
    place(&s, &a, &dan, &north).await;
    place(&s, &a, &carol, &north).await;
    let ny = schedule(
        &s,
        &a,
        json!({ "name": "New York office", "zone": "America/New_York", "days": [1, 2, 3, 4, 5],
                "start": "09:00", "end": "17:00", "grace_minutes": 5, "departments": [sales] }),
    )
    .await;
    let saigon = schedule(
        &s,
        &a,
        json!({ "name": "Saigon", "zone": "Asia/Ho_Chi_Minh", "days": [1, 2, 3, 4, 5, 6],
                "start": "08:00", "end": "17:00", "grace_minutes": 10, "people": [carol] }),
    )
    .await;
    let list = s
        .get("/api/v1/attendance/schedules", &tok)
        .await
        .ok(200)
        .clone();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // Dan follows Sales's schedule through North; Carol her own.
    let d = days(&s, &tok, &dan, "2026-03-06", "2026-03-09").await;
    assert_eq!(d["schedule"]["id"], ny.as_str());
    // Dan reads his own days without user_id; not Carol's.
    let own = s
        .get(
            "/api/v1/attendance/records?from=2026-03-06&to=2026-03-06",
            &dan_tok,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(own["user_id"], dan.as_str());
    s.get(
        &format!("/api/v1/attendance/records?user_id={carol}&from=2026-03-06&to=2026-03-06"),
        &dan_tok,
    )
    .await
    .problem(403);

    // New York, 09:00 with 5 minutes' grace. Friday 6 March is EST (UTC-5), Monday 9 March
    // EDT (UTC-4): 14:04Z is 09:04 on the Friday (on time), 13:10Z is 09:10 on the Monday
    // (late; a fixed EST offset would call it 08:10).
    correct(&s, &tok, &dan, "2026-03-06", json!({ "check_in_at": "2026-03-06T14:04:00Z", "check_out_at": "2026-03-06T22:00:00Z", "reason": "badge reader down" }))
        .await
        .ok(200);
    let m = correct(&s, &tok, &dan, "2026-03-09", json!({ "check_in_at": "2026-03-09T13:10:00Z", "check_out_at": "2026-03-09T20:30:00Z", "reason": "badge reader down" }))
        .await
        .ok(200)
        .clone();
    assert_eq!(m["late"], true);
    assert_eq!(m["late_minutes"], 10);
    // 20:30Z is 16:30 EDT: half an hour early.
    assert_eq!(m["early_leave"], true);
    assert_eq!(m["early_minutes"], 30);
    let d = days(&s, &tok, &dan, "2026-03-06", "2026-03-09").await;
    let fri = day(&d, "2026-03-06");
    assert_eq!(fri["late"], false);
    assert_eq!(fri["early_leave"], false);
    assert_eq!(fri["scheduled"], true);
    // The weekend is no work day.
    assert_eq!(day(&d, "2026-03-08")["scheduled"], false);
    assert_eq!(day(&d, "2026-03-08")["status"], "off");

    // Ho Chi Minh City (UTC+7, no DST), 08:00 with 10 minutes' grace: 01:09Z is on time,
    // 01:15Z late by 15 minutes.
    let c = correct(
        &s,
        &tok,
        &carol,
        "2026-03-02",
        json!({ "check_in_at": "2026-03-02T01:15:00Z", "reason": "forgot" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(c["late"], true);
    assert_eq!(c["late_minutes"], 15);
    let c = correct(
        &s,
        &tok,
        &carol,
        "2026-03-02",
        json!({ "check_in_at": "2026-03-02T01:09:00Z", "reason": "the gate log says 08:09" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(c["late"], false);
    assert_eq!(c["corrections"].as_array().unwrap().len(), 2);
    // A check-in that is not on the day in the record's zone (00:30 on the 3rd in Saigon).
    let r = correct(
        &s,
        &tok,
        &carol,
        "2026-03-02",
        json!({ "check_in_at": "2026-03-02T17:30:00Z", "reason": "x" }),
    )
    .await;
    assert_eq!(r.problem(422), "validation_failed");
    assert_eq!(r.body["field"], "check_in_at");

    // The nearest department wins: North gets its own schedule, then loses it.
    let berlin = schedule(
        &s,
        &a,
        json!({ "name": "North hours", "zone": "Europe/Berlin", "days": [1, 2, 3, 4],
                "start": "07:30", "end": "16:00", "departments": [north] }),
    )
    .await;
    let d = days(&s, &tok, &dan, "2026-03-09", "2026-03-09").await;
    assert_eq!(d["schedule"]["id"], berlin.as_str());
    let d = days(&s, &tok, &carol, "2026-03-09", "2026-03-09").await;
    assert_eq!(d["schedule"]["id"], saigon.as_str());
    s.delete(&format!("/api/v1/attendance/schedules/{berlin}"), &tok)
        .await;
    let d = days(&s, &tok, &dan, "2026-03-09", "2026-03-09").await;
    assert_eq!(d["schedule"]["id"], ny.as_str());
    s.delete(&format!("/api/v1/attendance/schedules/{berlin}"), &tok)
        .await
        .problem(404);

    // A department follows one schedule at a time.
    let r = s
        .post(
            "/api/v1/attendance/schedules",
            &tok,
            json!({ "name": "Other", "zone": "UTC", "days": [1], "start": "09:00", "end": "10:00",
                    "departments": [sales] }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    assert_eq!(r.body["field"], "departments");
    // Replacing a schedule keeps its id and changes its rules.
    let put = s
        .req(
            "PUT",
            &format!("/api/v1/attendance/schedules/{ny}"),
            Some(&tok),
            Some(json!({ "name": "New York office", "zone": "America/New_York", "days": [1, 2, 3, 4, 5],
                         "start": "09:00", "end": "17:00", "grace_minutes": 15, "departments": [sales] })),
        )
        .await;
    assert_eq!(put.ok(200)["grace_minutes"], 15);
    let d = days(&s, &tok, &dan, "2026-03-09", "2026-03-09").await;
    assert_eq!(day(&d, "2026-03-09")["late"], false);
    // Bad input.
    for (body, field) in [
        (
            json!({ "name": "Z", "zone": "Mars/Olympus", "days": [1], "start": "09:00", "end": "10:00" }),
            "zone",
        ),
        (
            json!({ "name": "Z", "zone": "UTC", "days": [8], "start": "09:00", "end": "10:00" }),
            "days",
        ),
        (
            json!({ "name": "Z", "zone": "UTC", "days": [1], "start": "9am", "end": "10:00" }),
            "start",
        ),
        (
            json!({ "name": "Z", "zone": "UTC", "days": [1], "start": "18:00", "end": "10:00" }),
            "end",
        ),
        (
            json!({ "name": "Z", "zone": "UTC", "days": [1], "start": "09:00", "end": "10:00", "people": ["nobody"] }),
            "people",
        ),
    ] {
        let r = s.post("/api/v1/attendance/schedules", &tok, body).await;
        assert_eq!(r.problem(422), "validation_failed", "{field}");
        assert_eq!(r.body["field"], field);
    }
    let r = s
        .get(
            &format!("/api/v1/attendance/records?user_id={dan}&from=2026-01-01&to=2026-06-01"),
            &tok,
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
}
both!(schedules_and_lateness);

/// A correction keeps the original punches visible (to the person too), every correction is
/// listed and audited, and only `attendance.manage` corrects.
async fn corrections_keep_the_original(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let (ann, ann_tok) = s.staff(&a, "Ann Staff").await;
    let d = checkin(&s, &ann_tok, json!({})).await.ok(200).clone();
    let punched = d["check_in_at"].as_str().unwrap().to_string();
    let date = d["date"].as_str().unwrap().to_string();
    // Midnight UTC of the same day (no schedule: the day is a UTC day).
    let midnight = format!("{date}T00:00:00Z");
    correct(
        &s,
        &ann_tok,
        &ann,
        &date,
        json!({ "check_in_at": midnight, "reason": "mine" }),
    )
    .await
    .problem(403);
    let c = correct(
        &s,
        &tok,
        &ann,
        &date,
        json!({ "check_in_at": midnight, "reason": "came in early, phone was off" }),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(
        c["check_in_at"],
        "{date}T00:00:00.000Z".replace("{date}", &date)
    );
    assert_eq!(c["original_check_in_at"], punched.as_str());
    assert_eq!(
        c["corrections"][0]["reason"],
        "came in early, phone was off"
    );
    assert_eq!(c["corrections"][0]["corrected_by"], a.admin_id.as_str());
    // The person sees both.
    let own = s
        .get(
            &format!("/api/v1/attendance/records?from={date}&to={date}"),
            &ann_tok,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(own["days"][0]["original_check_in_at"], punched.as_str());
    assert_eq!(own["days"][0]["check_in_at"], c["check_in_at"]);
    // Bad corrections.
    for (body, field) in [
        (json!({ "check_in_at": midnight, "reason": " " }), "reason"),
        (json!({ "reason": "nothing to change" }), "check_in_at"),
        (
            json!({ "check_in_at": "yesterday", "reason": "x" }),
            "check_in_at",
        ),
        (
            json!({ "check_out_at": midnight, "reason": "before the check-in" }),
            "check_out_at",
        ),
        (
            json!({ "check_in_at": "2999-01-01T00:00:00Z", "reason": "x" }),
            "check_in_at",
        ),
    ] {
        let r = correct(&s, &tok, &ann, &date, body).await;
        assert_eq!(r.problem(422), "validation_failed", "{field}");
        assert_eq!(r.body["field"], field);
    }
    let r = correct(
        &s,
        &tok,
        &ann,
        "2026-13-01",
        json!({ "check_in_at": midnight, "reason": "x" }),
    )
    .await;
    assert_eq!(r.body["field"], "date");
    correct(
        &s,
        &tok,
        "0190b0b0-0000-7000-8000-000000000000",
        &date,
        json!({ "check_in_at": midnight, "reason": "x" }),
    )
    .await
    .problem(404);
    // Audited, with the reason, against the person.
    assert_eq!(
        s.count("select count(*) from audit_log where action = 'attendance.corrected'")
            .await,
        1
    );
    // A day without any punch (a forgotten check-in) can be corrected too.
    let f = correct(&s, &tok, &ann, "2026-02-02", json!({ "check_in_at": "2026-02-02T08:00:00Z", "check_out_at": "2026-02-02T16:00:00Z", "reason": "forgot the app" }))
        .await
        .ok(200)
        .clone();
    assert_eq!(f["status"], "present");
    assert!(f["original_check_in_at"].is_null());
    assert_eq!(f["worked_minutes"], 480);
}
both!(corrections_keep_the_original);

/// Monthly summaries per person and department, and the CSV export's content.
async fn summaries_and_csv(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let (eve, eve_tok) = named(&s, &a, "@Eve Ops", "eve@alpha.test").await;
    let (gus, _) = s.staff(&a, "Gus Ops").await;
    let ops = dept(&s, &a, "Ops", None).await;
    let night = dept(&s, &a, "Night", Some(&ops)).await;
    place(&s, &a, &eve, &ops).await;
    place(&s, &a, &gus, &night).await;
    schedule(
        &s,
        &a,
        json!({ "name": "Saigon", "zone": "Asia/Ho_Chi_Minh", "days": [1, 2, 3, 4, 5],
                "start": "08:00", "end": "17:00", "grace_minutes": 10, "departments": [ops] }),
    )
    .await;
    // Eve: late on Monday 2 March (08:20), early on Tuesday (16:30); Gus on time on the 2nd.
    for (who, date, cin, cout) in [
        (
            &eve,
            "2026-03-02",
            "2026-03-02T01:20:00Z",
            "2026-03-02T10:00:00Z",
        ),
        (
            &eve,
            "2026-03-03",
            "2026-03-03T00:55:00Z",
            "2026-03-03T09:30:00Z",
        ),
        (
            &gus,
            "2026-03-02",
            "2026-03-02T01:00:00Z",
            "2026-03-02T10:05:00Z",
        ),
    ] {
        correct(
            &s,
            &tok,
            who,
            date,
            json!({ "check_in_at": cin, "check_out_at": cout, "reason": "import" }),
        )
        .await
        .ok(200);
    }
    let p = s
        .get(
            &format!("/api/v1/attendance/summary?month=2026-03&user_id={eve}"),
            &tok,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(p["month"], "2026-03");
    assert_eq!(p["counts"]["present_days"], 2);
    assert_eq!(p["counts"]["late_days"], 1);
    assert_eq!(p["counts"]["late_minutes"], 20);
    assert_eq!(p["counts"]["early_leave_days"], 1);
    assert_eq!(p["counts"]["corrected_days"], 2);
    // Before her account existed, days without a check-in are nobody's work days.
    assert_eq!(p["counts"]["absent_days"], 0);
    assert_eq!(p["counts"]["worked_minutes"], 520 + 515);
    // Her own, without user_id; not someone else's.
    let own = s
        .get("/api/v1/attendance/summary?month=2026-03", &eve_tok)
        .await
        .ok(200)
        .clone();
    assert_eq!(own["counts"], p["counts"]);
    s.get(
        &format!("/api/v1/attendance/summary?month=2026-03&user_id={gus}"),
        &eve_tok,
    )
    .await
    .problem(403);
    let bad = s
        .get("/api/v1/attendance/summary?month=2026-3x", &tok)
        .await;
    assert_eq!(bad.problem(422), "validation_failed");
    // The department, with its sub-department by default, or alone.
    let d = s
        .get(
            &format!("/api/v1/attendance/departments/{ops}/summary?month=2026-03"),
            &tok,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(d["people"].as_array().unwrap().len(), 2);
    assert_eq!(d["totals"]["present_days"], 3);
    assert_eq!(d["totals"]["late_days"], 1);
    let alone = s
        .get(
            &format!("/api/v1/attendance/departments/{ops}/summary?month=2026-03&subtree=false"),
            &tok,
        )
        .await
        .ok(200)
        .clone();
    assert_eq!(alone["people"].as_array().unwrap().len(), 1);
    assert_eq!(alone["people"][0]["user_id"], eve.as_str());

    // The CSV: a header, then one row per person and day of the month.
    let r = s
        .get(
            &format!("/api/v1/attendance/export?month=2026-03&department_id={ops}"),
            &tok,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("attendance-2026-03.csv"));
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(
        lines[0],
        "user_id,display_name,date,status,scheduled,check_in_at,check_out_at,\
         original_check_in_at,original_check_out_at,corrected,late,late_minutes,early_leave,\
         early_minutes,missing_check_out,worked_minutes,excused"
    );
    assert_eq!(lines.len(), 1 + 2 * 31);
    // A name a spreadsheet would run as a formula is defused.
    let monday = format!(
        "{eve},'@Eve Ops,2026-03-02,present,1,2026-03-02T01:20:00.000Z,2026-03-02T10:00:00.000Z,,,1,1,20,0,0,0,520,"
    );
    assert!(lines.contains(&monday.as_str()), "{monday} in {}", r.text);
    let tuesday = format!(
        "{eve},'@Eve Ops,2026-03-03,present,1,2026-03-03T00:55:00.000Z,2026-03-03T09:30:00.000Z,,,1,0,0,1,30,0,515,"
    );
    assert!(lines.contains(&tuesday.as_str()), "{tuesday} in {}", r.text);
    let sunday = format!("{eve},'@Eve Ops,2026-03-01,off,0,,,,,0,0,0,0,0,0,0,");
    assert!(lines.contains(&sunday.as_str()), "{sunday} in {}", r.text);
    // One person; everyone.
    let one = s
        .get(
            &format!("/api/v1/attendance/export?month=2026-03&user_id={gus}"),
            &tok,
        )
        .await;
    assert_eq!(one.text.lines().count(), 1 + 31);
    let all = s.get("/api/v1/attendance/export?month=2026-02", &tok).await;
    // admin, eve and gus: every active person.
    assert_eq!(all.text.lines().count(), 1 + 3 * 28);
    s.get("/api/v1/attendance/export?month=2026-03", &eve_tok)
        .await
        .problem(403);
}
both!(summaries_and_csv);

/// Absent is flagged on a past scheduled work day without a check-in, never on an excused
/// day; removing the excuse brings the absence back. The server is restarted six days in the
/// future to make the days past.
async fn absent_and_excused(backend: Backend) {
    let Some(mut s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let (fay, _) = s.staff(&a, "Fay Field").await;
    schedule(
        &s,
        &a,
        json!({ "name": "Every day", "zone": "Asia/Ho_Chi_Minh", "days": [1, 2, 3, 4, 5, 6, 7],
                "start": "08:00", "end": "17:00", "people": [fay] }),
    )
    .await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive();
    let date = |n: i64| {
        (today + chrono::Duration::days(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let ex = s
        .post(
            "/api/v1/attendance/excused",
            &a.admin_token,
            json!({ "user_id": fay, "first_date": date(2), "last_date": date(3), "kind": "leave",
                    "note": "annual leave" }),
        )
        .await
        .ok(201)
        .clone();
    assert_eq!(ex["source"], "manual");
    for (body, field) in [
        (
            json!({ "user_id": fay, "first_date": date(2), "last_date": date(3), "kind": "holiday" }),
            "kind",
        ),
        (
            json!({ "user_id": fay, "first_date": date(3), "last_date": date(2), "kind": "leave" }),
            "last_date",
        ),
        (
            json!({ "user_id": "nobody", "first_date": date(2), "last_date": date(3), "kind": "leave" }),
            "user_id",
        ),
    ] {
        let r = s
            .post("/api/v1/attendance/excused", &a.admin_token, body)
            .await;
        assert_eq!(r.problem(422), "validation_failed", "{field}");
        assert_eq!(r.body["field"], field);
    }
    // Nothing is absent yet: the days have not ended.
    let d = days(&s, &a.admin_token, &fay, &date(1), &date(4)).await;
    assert_eq!(day(&d, &date(1))["status"], "pending");
    assert_eq!(day(&d, &date(2))["status"], "excused");

    // Six days later.
    s.stop();
    s.set_env("STOA_CLOCK_OFFSET_SECS", &(6 * 86_400).to_string());
    s.spawn().await;
    let tok = s.login_token("alpha", &a.admin_email).await;
    let d = days(&s, &tok, &fay, &date(0), &date(4)).await;
    for (n, status) in [
        (0, "absent"),
        (1, "absent"),
        (2, "excused"),
        (3, "excused"),
        (4, "absent"),
    ] {
        assert_eq!(day(&d, &date(n))["status"], status, "day {n}: {d}");
    }
    assert_eq!(day(&d, &date(2))["excused"], "leave");
    // The excuse withdrawn: absent.
    let id = ex["id"].as_str().unwrap();
    s.delete(&format!("/api/v1/attendance/excused/{id}"), &tok)
        .await;
    let d = days(&s, &tok, &fay, &date(2), &date(2)).await;
    assert_eq!(day(&d, &date(2))["status"], "absent");
    s.delete(&format!("/api/v1/attendance/excused/{id}"), &tok)
        .await
        .problem(404);
}
both!(absent_and_excused);

/// Erasing a person removes their records, corrections and excused days; a correction they
/// made of someone else's day stays without their name.
async fn erasure(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let tok = a.admin_token.clone();
    let (hal, hal_tok) = s.staff(&a, "Hal Leaving").await;
    let roles = s.builtin_role_id(&a, "admin").await;
    let (mgr, mgr_tok) = s.member(&a, "Mia Manager", json!([roles])).await;
    let (ivy, _) = s.staff(&a, "Ivy Staying").await;
    checkin(
        &s,
        &hal_tok,
        json!({ "latitude": 10.0, "longitude": 106.0 }),
    )
    .await
    .ok(200);
    correct(
        &s,
        &tok,
        &hal,
        "2026-02-02",
        json!({ "check_in_at": "2026-02-02T08:00:00Z", "reason": "hal forgot" }),
    )
    .await
    .ok(200);
    correct(
        &s,
        &mgr_tok,
        &ivy,
        "2026-02-02",
        json!({ "check_in_at": "2026-02-02T08:00:00Z", "reason": "ivy forgot" }),
    )
    .await
    .ok(200);
    s.post(
        "/api/v1/attendance/excused",
        &tok,
        json!({ "user_id": hal, "first_date": "2026-02-03", "last_date": "2026-02-04", "kind": "trip" }),
    )
    .await
    .ok(201);
    s.req(
        "PUT",
        "/api/v1/settings/account-deletion",
        Some(&tok),
        Some(json!({ "grace_days": 0, "authored_messages": "delete", "sign_in_cancels": false })),
    )
    .await
    .ok(200);
    for who in [&hal, &mgr] {
        s.post(&format!("/api/v1/users/{who}/deletion"), &tok, json!({}))
            .await
            .ok(202);
    }
    for who in [&hal, &mgr] {
        let path = format!("/api/v1/users/{who}/deletion");
        s.eventually("the erasure ends", || async {
            s.get(&path, &tok).await.ok(200)["status"] == "erased"
        })
        .await;
    }
    for sql in [
        format!("select count(*) from attendance_records where user_id = '{hal}'"),
        format!("select count(*) from attendance_corrections where user_id = '{hal}'"),
        format!("select count(*) from attendance_excused where user_id = '{hal}'"),
        format!("select count(*) from attendance_corrections where corrected_by = '{mgr}'"),
    ] {
        assert_eq!(s.count(&sql).await, 0, "{sql}");
    }
    let d = days(&s, &tok, &ivy, "2026-02-02", "2026-02-02").await;
    assert_eq!(d["days"][0]["corrections"][0]["reason"], "ivy forgot");
    assert_eq!(d["days"][0]["corrections"][0]["corrected_by"], "");
}
both!(erasure);

/// A person's data export has their records: punches with coordinates and client address,
/// corrections with their reasons, excused days.
async fn personal_export(backend: Backend) {
    let Some(s) = Server::start(backend).await else {
        return;
    };
    let a = s.tenant("alpha").await;
    let (jo, jo_tok) = s.staff(&a, "Jo Export").await;
    checkin(
        &s,
        &jo_tok,
        json!({ "latitude": 10.7769, "longitude": 106.7009 }),
    )
    .await
    .ok(200);
    correct(
        &s,
        &a.admin_token,
        &jo,
        "2026-02-02",
        json!({ "check_in_at": "2026-02-02T08:00:00Z", "reason": "badge at the side door" }),
    )
    .await
    .ok(200);
    s.post(
        "/api/v1/attendance/excused",
        &a.admin_token,
        json!({ "user_id": jo, "first_date": "2026-02-03", "last_date": "2026-02-03", "kind": "trip", "note": "Da Nang" }),
    )
    .await
    .ok(201);
    let e = s
        .post("/api/v1/me/export", &jo_tok, json!({}))
        .await
        .ok(202)
        .clone();
    let export_id = e["id"].as_str().unwrap().to_string();
    crate::exports::ready(&s, &jo_tok, "/api/v1/me/exports", &export_id).await;
    let url = crate::exports::link(&s, &jo_tok, &export_id).await;
    let (status, bytes, _) = crate::exports::fetch(&s, &url).await;
    assert_eq!(status, 200);
    let entries = crate::exports::unzip(&bytes);
    let records: Value =
        serde_json::from_slice(entries.get("attendance/records.json").expect("records")).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    let today = records.iter().find(|r| r["check_in"].is_object()).unwrap();
    assert_eq!(today["check_in"]["latitude"], 10.7769);
    assert_eq!(today["check_in"]["client_address"], "127.0.0.1");
    let fixed = records.iter().find(|r| r["date"] == "2026-02-02").unwrap();
    assert_eq!(fixed["corrections"][0]["reason"], "badge at the side door");
    let excused: Value = serde_json::from_slice(
        entries
            .get("attendance/excused_days.json")
            .expect("excused"),
    )
    .unwrap();
    assert_eq!(excused[0]["note"], "Da Nang");
}
both!(personal_export);
