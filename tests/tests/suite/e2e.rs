//! End-to-end encrypted rooms, played by two (then three) real clients with real cryptography:
//! X25519 device keys, room keys wrapped per device (ephemeral-static ECDH → SHA-256 →
//! AES-256-GCM), messages sealed with AES-256-GCM. The server stores and relays ciphertext only.

use crate::both;
use crate::common::{Backend, Server};
use aes_gcm::{aead::Aead, Aes256Gcm, KeyInit, Nonce};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

pub(crate) struct Device {
    pub(crate) id: String,
    secret: StaticSecret,
}

impl Device {
    pub(crate) fn new(id: &str) -> Device {
        Device {
            id: id.into(),
            secret: StaticSecret::random_from_rng(rand::rngs::OsRng),
        }
    }
    pub(crate) fn public_b64(&self) -> String {
        STANDARD.encode(PublicKey::from(&self.secret).as_bytes())
    }
    /// Unwrap a room key wrapped for this device.
    fn unwrap(&self, wrapped_b64: &str) -> [u8; 32] {
        let w = STANDARD.decode(wrapped_b64).unwrap();
        let eph = PublicKey::from(<[u8; 32]>::try_from(&w[..32]).unwrap());
        let shared = self.secret.diffie_hellman(&eph);
        let kek = Sha256::digest(shared.as_bytes());
        let cipher = Aes256Gcm::new_from_slice(&kek).unwrap();
        let key = cipher
            .decrypt(Nonce::from_slice(&w[32..44]), &w[44..])
            .expect("the wrapped key opens");
        key.try_into().unwrap()
    }
}

/// Wrap a room key for a device's public key (ephemeral-static X25519).
fn wrap(room_key: &[u8; 32], device_public_b64: &str) -> String {
    let their = PublicKey::from(
        <[u8; 32]>::try_from(STANDARD.decode(device_public_b64).unwrap().as_slice()).unwrap(),
    );
    let eph = StaticSecret::random_from_rng(rand::rngs::OsRng);
    let kek = Sha256::digest(eph.diffie_hellman(&their).as_bytes());
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = Aes256Gcm::new_from_slice(&kek)
        .unwrap()
        .encrypt(Nonce::from_slice(&nonce), room_key.as_slice())
        .unwrap();
    let mut out = PublicKey::from(&eph).as_bytes().to_vec();
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    STANDARD.encode(out)
}

pub(crate) fn seal(room_key: &[u8; 32], text: &str) -> String {
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = Aes256Gcm::new_from_slice(room_key)
        .unwrap()
        .encrypt(Nonce::from_slice(&nonce), text.as_bytes())
        .unwrap();
    STANDARD.encode([nonce.to_vec(), ct].concat())
}

fn open(room_key: &[u8; 32], b64: &str) -> Option<String> {
    let raw = STANDARD.decode(b64).ok()?;
    let pt = Aes256Gcm::new_from_slice(room_key)
        .ok()?
        .decrypt(Nonce::from_slice(&raw[..12]), &raw[12..])
        .ok()?;
    String::from_utf8(pt).ok()
}

/// A member rotates the room key: a fresh key wrapped for every current member device.
pub(crate) async fn rotate(s: &Server, token: &str, room: &str) -> ([u8; 32], i64) {
    let d = s.get(&format!("/api/v1/rooms/{room}/devices"), token).await;
    let info = d.ok(200).clone();
    let version =
        (info["latest_version"].as_i64().unwrap() + 1).max(info["key_epoch"].as_i64().unwrap());
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let keys: Vec<Value> = info["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|dev| json!({ "user_id": dev["user_id"], "device_id": dev["device_id"], "wrapped_key": wrap(&key, dev["public_key"].as_str().unwrap()) }))
        .collect();
    let r = s
        .post(
            &format!("/api/v1/rooms/{room}/keys"),
            token,
            json!({ "version": version, "keys": keys }),
        )
        .await;
    r.ok(200);
    (key, version)
}

async fn my_key(
    s: &Server,
    token: &str,
    room: &str,
    dev: &Device,
    version: i64,
) -> Option<[u8; 32]> {
    let r = s.get(&format!("/api/v1/rooms/{room}/keys"), token).await;
    r.ok(200)
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["version"] == version && k["device_id"] == dev.id.as_str())
        .map(|k| dev.unwrap(k["wrapped_key"].as_str().unwrap()))
}

async fn encrypted_room_end_to_end(b: Backend) {
    let Some(s) = Server::start(b).await else {
        return;
    };
    let t = s.tenant("acme").await;
    let (_, alice) = s.staff(&t, "Alice").await;
    let (bob_id, bob) = s.staff(&t, "Bob").await;
    let (carol_id, carol) = s.staff(&t, "Carol").await;
    let (a_dev, b_dev, c_dev) = (
        Device::new("alice-phone"),
        Device::new("bob-laptop"),
        Device::new("carol-phone"),
    );
    for (tok, dev) in [(&alice, &a_dev), (&bob, &b_dev), (&carol, &c_dev)] {
        let r = s
            .req(
                "PUT",
                &format!("/api/v1/me/devices/{}", dev.id),
                Some(tok),
                Some(json!({ "public_key": dev.public_b64() })),
            )
            .await;
        r.ok(200);
    }
    let r = s
        .req(
            "PUT",
            "/api/v1/me/devices/x",
            Some(&alice),
            Some(json!({ "public_key": "bm90IGEga2V5" })),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let room = s
        .post(
            "/api/v1/rooms",
            &alice,
            json!({ "kind": "group", "name": "Board", "encrypted": true, "member_ids": [bob_id] }),
        )
        .await;
    assert_eq!(room.ok(201)["encrypted"], true);
    let room = room.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/rooms/{room}/messages");

    // No key yet: nothing can be sent; plaintext is refused outright.
    let r = s
        .post(&path, &alice, json!({ "body": "the plan in clear" }))
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let (k1, v1) = rotate(&s, &alice, &room).await;
    assert_eq!(v1, 1);
    let ct = seal(&k1, "Kế hoạch sáp nhập: tuyệt mật");
    let m = s
        .post(
            &path,
            &alice,
            json!({ "ciphertext": ct, "key_version": v1 }),
        )
        .await;
    let m = m.ok(201).clone();
    assert_eq!(m["body"], "");

    // Bob unwraps the room key with his device's secret and reads it.
    let bk1 = my_key(&s, &bob, &room, &b_dev, v1)
        .await
        .expect("bob has version 1");
    let page = s.get(&path, &bob).await;
    let got = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        open(&bk1, got["ciphertext"].as_str().unwrap()).as_deref(),
        Some("Kế hoạch sáp nhập: tuyệt mật")
    );

    // Never indexed, never stored in the clear.
    let r = s
        .http()
        .get(s.url("/api/v1/search"))
        .query(&[("q", "tuyệt mật")])
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["items"].as_array().unwrap().is_empty());
    let evs = s
        .get(&format!("/api/v1/rooms/{room}/events?limit=200"), &bob)
        .await;
    assert!(!evs.text.contains("tuyệt"), "plaintext in the event log");

    // Carol joins: the old key no longer goes; a new version wrapped for all three does.
    s.post(
        &format!("/api/v1/rooms/{room}/members"),
        &alice,
        json!({ "user_ids": [carol_id] }),
    )
    .await
    .ok(200);
    let r = s
        .post(
            &path,
            &alice,
            json!({ "ciphertext": seal(&k1, "stale"), "key_version": v1 }),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    let (k2, v2) = rotate(&s, &bob, &room).await;
    assert_eq!(v2, 2);
    s.post(
        &path,
        &bob,
        json!({ "ciphertext": seal(&k2, "welcome Carol"), "key_version": v2 }),
    )
    .await
    .ok(201);
    let ck2 = my_key(&s, &carol, &room, &c_dev, v2)
        .await
        .expect("carol has version 2");
    assert!(
        my_key(&s, &carol, &room, &c_dev, v1).await.is_none(),
        "carol never got version 1"
    );
    let page = s.get(&path, &carol).await;
    let texts: Vec<Option<String>> = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| open(&ck2, m["ciphertext"].as_str().unwrap_or("")))
        .collect();
    assert!(texts.contains(&Some("welcome Carol".into())));
    assert!(!texts.contains(&Some("Kế hoạch sáp nhập: tuyệt mật".into())));

    // Wrapping for a non-member's device is refused; Bob leaves and the key rotates again.
    let (_, dave) = s.staff(&t, "Dave").await;
    let d_dev = Device::new("dave");
    s.req(
        "PUT",
        "/api/v1/me/devices/dave",
        Some(&dave),
        Some(json!({ "public_key": d_dev.public_b64() })),
    )
    .await
    .ok(200);
    let r = s
        .req(
            "DELETE",
            &format!("/api/v1/rooms/{room}/members/{bob_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let bad = json!({ "version": 3, "keys": [{ "user_id": bob_id, "device_id": b_dev.id, "wrapped_key": wrap(&k2, &b_dev.public_b64()) }] });
    assert_eq!(
        s.post(&format!("/api/v1/rooms/{room}/keys"), &alice, bad)
            .await
            .problem(422),
        "validation_failed"
    );
    let (k3, v3) = rotate(&s, &alice, &room).await;
    assert_eq!(v3, 3);
    s.post(
        &path,
        &alice,
        json!({ "ciphertext": seal(&k3, "after Bob"), "key_version": v3 }),
    )
    .await
    .ok(201);
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{room}/keys"), &bob)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        s.get(&format!("/api/v1/rooms/{room}/keys"), &dave)
            .await
            .problem(404),
        "not_found"
    );
    // Plain rooms refuse ciphertext; encrypted messages are not edited by the server.
    let plain = s
        .post(
            "/api/v1/rooms",
            &alice,
            json!({ "kind": "group", "name": "Plain" }),
        )
        .await;
    let plain = plain.ok(201)["id"].as_str().unwrap().to_string();
    let r = s
        .post(
            &format!("/api/v1/rooms/{plain}/messages"),
            &alice,
            json!({ "ciphertext": "AAAA", "key_version": 1 }),
        )
        .await;
    assert_eq!(r.problem(422), "validation_failed");
    let mid = m["id"].as_str().unwrap();
    let r = s
        .req(
            "PATCH",
            &format!("{path}/{mid}"),
            Some(&alice),
            Some(json!({ "body": "x" })),
        )
        .await;
    assert_eq!(r.problem(409), "conflict");
    let _ = carol;
}
both!(encrypted_room_end_to_end);
