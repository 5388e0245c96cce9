//! Hostile files: a corpus generated here (deeply nested and truncated PDFs, a Flate bomb,
//! hundreds of thousands of path operations, a huge page tree, a zip bomb inside an Office
//! file, a decompression-bomb image) uploaded as files, as a message attachment and as a
//! document. Their parsers run in locked-down child processes: the server stays up and answers
//! other requests meanwhile, indexes an ordinary message while the converters are busy, marks
//! every hostile file failed with a reason, and restarts cleanly with conversions in flight.

use crate::both;
use crate::common::{personal_space, room, send, Backend, Server};
use flate2::{write::ZlibEncoder, Compression};
use serde_json::{json, Value};
use std::{
    io::Write,
    time::{Duration, Instant},
};

/// A PDF from its objects (numbered from 1), with a correct cross-reference table.
fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

fn zlib(chunk: &[u8], times: usize) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    for _ in 0..times {
        z.write_all(chunk).unwrap();
    }
    z.finish().unwrap()
}

/// A one-page PDF whose page carries `page_extra` and whose content stream is `content`.
fn one_page(page_extra: &str, content: Vec<u8>) -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R {page_extra} >>"
        )
        .into_bytes(),
        content,
    ])
}

/// Arrays nested four million deep: overflows any recursive parser's stack.
fn deep_nesting() -> Vec<u8> {
    let deep = "[".repeat(4_000_000);
    one_page(&format!("/Junk {deep}"), stream("", b"0 0 m 1 1 l S"))
}

/// A small content stream that inflates to 256 MiB (the test allows converters 128).
fn flate_bomb() -> Vec<u8> {
    let mb = vec![b' '; 1 << 20];
    one_page("", stream("/Filter /FlateDecode", &zlib(&mb, 256)))
}

/// 400,000 path operations in a small compressed stream: slow to render.
fn many_paths() -> Vec<u8> {
    let ops = b"0 0 m 595 842 l 0 842 l h f\n";
    one_page("", stream("/Filter /FlateDecode", &zlib(ops, 400_000)))
}

/// A page tree that claims 50,000 pages (all the same page).
fn many_pages() -> Vec<u8> {
    let kids = "3 0 R ".repeat(50_000);
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{kids}] /Count 50000 >>").into_bytes(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("", b"BT /F1 12 Tf 72 712 Td (page) Tj ET"),
    ])
}

/// A PDF cut off in the middle of its content.
fn truncated() -> Vec<u8> {
    let mut whole = one_page("", stream("", &b"0 0 m 9 9 l S\n".repeat(2000)));
    whole.truncate(whole.len() / 2);
    whole
}

/// A .docx whose document part inflates to 64 MiB of markup (the test allows 32).
fn docx_bomb() -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("[Content_Types].xml", opts).unwrap();
        z.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
        z.start_file("word/document.xml", opts).unwrap();
        z.write_all(b"<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>")
            .unwrap();
        let mb = vec![b'a'; 1 << 20];
        for _ in 0..64 {
            z.write_all(&mb).unwrap();
        }
        z.write_all(b"</w:t></w:r></w:p></w:body></w:document>")
            .unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// A PNG that declares 60,000 × 60,000 pixels (14 GB decoded) in a few hundred bytes.
fn png_bomb() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib(&[0u8; 4096], 64));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Whether a file's conversions are all finished, and its info.
async fn info(s: &Server, token: &str, id: &str) -> Value {
    s.get(&format!("/api/v1/files/{id}/info"), token)
        .await
        .ok(200)
        .clone()
}

fn settled(i: &Value) -> bool {
    i["extract_status"] != "pending" && i["preview_status"] != "pending"
}

/// A file that must have failed somewhere, with a reason a person can read.
fn assert_failed(name: &str, i: &Value) {
    let failed: Vec<String> = ["extract", "preview"]
        .iter()
        .filter(|k| i[format!("{k}_status")] == "failed")
        .map(|k| i[format!("{k}_error")].as_str().unwrap_or("").to_string())
        .collect();
    assert!(!failed.is_empty(), "{name}: nothing failed: {i}");
    assert!(
        failed.iter().all(|e| !e.trim().is_empty()),
        "{name}: a failure without a reason: {i}"
    );
}

async fn wait_settled(s: &Server, token: &str, ids: &[(String, String)]) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, id) in ids {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let i = info(s, token, id).await;
            if settled(&i) {
                out.push(i);
                break;
            }
            assert!(Instant::now() < deadline, "{name} never settled: {i}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    out
}

async fn hostile_files_fail_alone(b: Backend) {
    let env = [
        // Tight limits keep the test quick; the defaults are larger.
        ("STOA_CONVERT__MEMORY_MB", "128"),
        ("STOA_CONVERT__THUMBNAIL_TIMEOUT_SECS", "4"),
        ("STOA_SEARCH__EXTRACT_TIMEOUT_SECS", "4"),
        ("STOA_SEARCH__EXTRACT_MAX_UNPACKED_BYTES", "33554432"),
    ];
    let Some(mut s) = Server::start_with(b, &env).await else {
        return;
    };
    let t0 = Instant::now();
    let t = s.tenant("acme").await;
    let (_, sam) = s.staff(&t, "Sam").await;

    // Must fail: each one overflows, bloats or lies.
    let bomb = tokio::task::spawn_blocking(flate_bomb).await.unwrap();
    let corpus = tokio::task::spawn_blocking(|| {
        vec![
            ("deep.pdf", deep_nesting(), true),
            ("bomb.docx", docx_bomb(), true),
            ("bomb.png", png_bomb(), true),
            ("truncated.pdf", truncated(), false),
            ("paths.pdf", many_paths(), false),
            ("pages.pdf", many_pages(), false),
        ]
    })
    .await
    .unwrap();
    eprintln!("corpus made at {:?}", t0.elapsed());
    let mut ids = Vec::new();
    let mut must_fail = Vec::new();
    for (name, bytes, fails) in &corpus {
        let r = s.upload(&sam, name, bytes.clone()).await;
        ids.push((
            name.to_string(),
            r.ok(201)["id"].as_str().unwrap().to_string(),
        ));
        must_fail.push(*fails);
    }
    // The same bombs as a message attachment and as a document.
    let group = room(&s, &sam, json!({ "kind": "group", "name": "Drop box" })).await;
    let up = s.upload(&sam, "attached.pdf", corpus[0].1.clone()).await;
    let attached = up.ok(201)["id"].as_str().unwrap().to_string();
    send(&s, &sam, &group, json!({ "attachment_ids": [attached] })).await;
    ids.push(("attached.pdf".into(), attached));
    must_fail.push(true);
    let space = personal_space(&s, &sam).await;
    let doc = s
        .raw(
            "POST",
            &format!("/api/v1/spaces/{space}/documents?name=report.pdf"),
            Some(&sam),
            "application/octet-stream",
            bomb.clone(),
        )
        .await;
    let doc_id = doc.ok(201)["id"].as_str().unwrap().to_string();

    // Meanwhile the server answers promptly, and an ordinary message is indexed: the converters
    // hold back nothing else.
    send(&s, &sam, &group, json!({ "body": "the wombat quarterly" })).await;
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut found = false;
    while started.elapsed() < Duration::from_secs(60) {
        let t0 = Instant::now();
        s.get("/api/v1/me", &sam).await.ok(200);
        slowest = slowest.max(t0.elapsed());
        let hits = s.search(&sam, "wombat").await;
        if hits.ok(200)["items"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("message found at {:?}", t0.elapsed());
    assert!(
        found,
        "a message was not indexed while converters were busy"
    );
    assert!(
        slowest < Duration::from_secs(3),
        "a request took {slowest:?}"
    );

    let infos = wait_settled(&s, &sam, &ids).await;
    eprintln!("settled at {:?}: {infos:#?}", t0.elapsed());
    for (((name, _), i), fails) in ids.iter().zip(&infos).zip(&must_fail) {
        if *fails {
            assert_failed(name, i);
        }
    }
    // The document shows why its content has no preview.
    let d = s.get(&format!("/api/v1/documents/{doc_id}"), &sam).await;
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut d = d.ok(200).clone();
    while d["content"]["preview_status"] == "pending" || d["content"]["extract_status"] == "pending"
    {
        assert!(Instant::now() < deadline, "the document never settled: {d}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        d = s
            .get(&format!("/api/v1/documents/{doc_id}"), &sam)
            .await
            .ok(200)
            .clone();
    }
    assert_eq!(d["content"]["preview_status"], "failed", "{d}");
    // Out of memory, or out of time first on a busy machine: either way a reason, not a crash.
    assert!(
        d["content"]["preview_error"]
            .as_str()
            .is_some_and(|e| e.contains("memory") || e.contains(" s")),
        "{d}"
    );
    assert_eq!(d["has_thumbnail"], false);

    // Still the same process, still healthy.
    assert_eq!(
        s.raw("GET", "/healthz", None, "text/plain", Vec::new())
            .await
            .status,
        200
    );
    assert!(s.alive(), "the server died");

    // A crash with conversions in flight: the restarted server finishes them and stays up.
    let mut again = Vec::new();
    for (name, bytes) in [("deep.pdf", &corpus[0].1), ("bomb.pdf", &bomb)] {
        let r = s.upload(&sam, name, bytes.clone()).await;
        again.push((
            name.to_string(),
            r.ok(201)["id"].as_str().unwrap().to_string(),
        ));
    }
    eprintln!("restart at {:?}", t0.elapsed());
    s.kill_hard();
    s.spawn().await;
    for (i, (name, _)) in wait_settled(&s, &sam, &again).await.iter().zip(&again) {
        assert_failed(name, i);
    }
    assert!(s.alive(), "the restarted server died");
}
both!(hostile_files_fail_alone);
