//! Extraction tests: every format, and the limits that hold against hostile files.

use super::*;
use std::io::Cursor;
use std::io::Write;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn run(kind: Kind, bytes: &[u8]) -> Result<String, ExtractError> {
    extract(kind, bytes, &Limits::default())
}

fn zip_of(parts: &[(&str, &str)], method: CompressionMethod) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(method);
    for (name, body) in parts {
        w.start_file(*name, opts).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn package(ct: &str, parts: &[(&str, &str)]) -> Vec<u8> {
    let types = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/{}" ContentType="{ct}"/></Types>"#,
        parts[0].0
    );
    let mut all = vec![("[Content_Types].xml", types.as_str())];
    all.extend_from_slice(parts);
    zip_of(&all, CompressionMethod::Deflated)
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

#[test]
fn docx() {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>
        <w:p><w:r><w:t>Xin chào Hà Nội</w:t></w:r></w:p>
        <w:p><w:r><w:t xml:space="preserve">Tom &amp; Jerry &#x263A; </w:t></w:r><w:r><w:t>北京大学</w:t></w:r></w:p>
        <w:p><w:r><w:instrText>PAGE</w:instrText><w:delText>gone</w:delText></w:r></w:p>
        <w:tbl><w:tr><w:tc><w:p><w:r><w:t>a1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
        </w:body></w:document>"#
    );
    let notes = format!(
        r#"<w:footnotes {W}><w:footnote><w:p><w:r><w:t>note</w:t></w:r></w:p></w:footnote></w:footnotes>"#
    );
    let ct = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
    let bytes = package(
        ct,
        &[("word/document.xml", &doc), ("word/footnotes.xml", &notes)],
    );
    let kind = kind_for("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    assert_eq!(kind, Some(Kind::Docx));
    let text = run(Kind::Docx, &bytes).unwrap();
    assert_eq!(
        text,
        "Xin chào Hà Nội\nTom & Jerry ☺ 北京大学\na1\nb1\nnote"
    );
}

#[test]
fn xlsx() {
    let sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2">
        <si><t>Hà Nội</t></si>
        <si><r><t>北京</t></r><r><t>大学</t></r><rPh><t>ペキン</t></rPh></si></sst>"#;
    let sheet1 = r#"<worksheet><sheetData>
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>42.5</v></c><c r="C1" t="inlineStr"><is><t>inline</t></is></c></row>
        <row r="2"><c r="A2" t="e"><v>#DIV/0!</v></c><c r="B2" t="s"><f>x</f><v>1</v></c></row></sheetData></worksheet>"#;
    let sheet10 =
        r#"<worksheet><sheetData><row><c t="str"><v>tenth</v></c></row></sheetData></worksheet>"#;
    let sheet2 =
        r#"<worksheet><sheetData><row><c t="b"><v>1</v></c></row></sheetData></worksheet>"#;
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
    let parts = [
        ("xl/workbook.xml", "<workbook/>"),
        ("xl/sharedStrings.xml", sst),
        ("xl/worksheets/sheet10.xml", sheet10),
        ("xl/worksheets/sheet1.xml", sheet1),
        ("xl/worksheets/sheet2.xml", sheet2),
    ];
    let text = run(Kind::Xlsx, &package(ct, &parts)).unwrap();
    assert_eq!(text, "Hà Nội 42.5 inline\n北京大学\n1\ntenth");
}

#[test]
fn pptx_slides_in_numeric_order() {
    let slide = |t: &str| {
        format!(
            r#"<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{t}</a:t></a:r><a:br/><a:r><a:t>x</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
        )
    };
    let (s1, s2, s10) = (slide("Hà Nội"), slide("北京大学"), slide("ten"));
    let ct = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml";
    let parts = [
        ("ppt/presentation.xml", "<p:presentation/>"),
        ("ppt/slides/slide10.xml", s10.as_str()),
        ("ppt/slides/slide2.xml", s2.as_str()),
        ("ppt/slides/slide1.xml", s1.as_str()),
        ("ppt/slides/_rels/slide1.xml.rels", "<Relationships/>"),
    ];
    let text = run(Kind::Pptx, &package(ct, &parts)).unwrap();
    assert_eq!(text, "Hà Nội\nx\n北京大学\nx\nten\nx");
}

#[test]
fn odt() {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:automatic-styles><style:style/></office:automatic-styles>
<office:body><office:text><text:h text:outline-level="1">Hà Nội</text:h>
<text:p>北京<text:span>大学</text:span><text:s/>end<office:annotation><dc:creator>Jane Doe</dc:creator><text:p>comment</text:p></office:annotation></text:p>
<text:p>word<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>footnote</text:p></text:note-body></text:note></text:p>
</office:text></office:body></office:document-content>"#;
    let parts = [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", content),
    ];
    let bytes = zip_of(&parts, CompressionMethod::Stored);
    assert_eq!(
        kind_for("application/vnd.oasis.opendocument.text"),
        Some(Kind::Odt)
    );
    let text = run(Kind::Odt, &bytes).unwrap();
    assert_eq!(text, "Hà Nội\n北京大学 end\nword\nfootnote");
    let content = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body>
        <office:spreadsheet><table:table><table:table-row><table:table-cell office:value="3"><text:p>3</text:p>
        </table:table-cell><table:table-cell><text:p>Hà Nội</text:p></table:table-cell></table:table-row>
        <table:table-row><table:table-cell><text:p>北京大学</text:p></table:table-cell></table:table-row>
        </table:table></office:spreadsheet></office:body></office:document-content>"#;
    let bytes = zip_of(&[("content.xml", content)], CompressionMethod::Deflated);
    let kind = kind_for("application/vnd.oasis.opendocument.spreadsheet").unwrap();
    assert_eq!(run(kind, &bytes).unwrap(), "3\nHà Nội\n北京大学");
}

#[test]
fn broken_xml_keeps_text_so_far() {
    let doc = format!(
        "<w:document {W}><w:body><w:p><w:r><w:t>kept</w:t></w:r></w:p><w:p><w:t>x</w:q></<<"
    );
    let bytes = package("x", &[("word/document.xml", &doc)]);
    assert!(run(Kind::Docx, &bytes).unwrap().starts_with("kept"));
    let bytes = package("x", &[("word/document.xml", "<<<&&")]);
    assert!(matches!(
        run(Kind::Docx, &bytes),
        Err(ExtractError::Malformed(_))
    ));
    let bytes = package("x", &[("other.xml", "<a/>")]);
    assert!(matches!(
        run(Kind::Docx, &bytes),
        Err(ExtractError::Malformed(_))
    ));
    assert!(matches!(
        run(Kind::Xlsx, b"PK\x03\x04 not really"),
        Err(ExtractError::Malformed(_))
    ));
}

#[test]
fn zip_bomb_and_unpacked_budget() {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    w.start_file("word/document.xml", opts).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..16 {
        w.write_all(&zeros).unwrap();
    }
    let bomb = w.finish().unwrap().into_inner();
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    let limits = Limits {
        max_unpacked_bytes: 8 << 20,
        ..Limits::default()
    };
    let err = extract(Kind::Docx, &bomb, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file too large: suspicious compression ratio (zip bomb?)"
    );
    // Incompressible-looking content (stored): the budget alone stops it.
    let big = format!(
        "<w:document {W}>{}</w:document>",
        "<w:p><w:t>abc</w:t></w:p>".repeat(100_000)
    );
    let bytes = zip_of(&[("word/document.xml", &big)], CompressionMethod::Stored);
    let limits = Limits {
        max_unpacked_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        extract(Kind::Docx, &bytes, &limits),
        Err(ExtractError::TooLarge(_))
    ));
    // ...and the same file with enough budget but a tiny output limit is truncated.
    let limits = Limits {
        max_output_chars: 7,
        ..Limits::default()
    };
    assert_eq!(extract(Kind::Docx, &bytes, &limits).unwrap(), "abc\nabc");
}

#[test]
fn too_many_entries() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.xml")).collect();
    let parts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "<a/>")).collect();
    let bytes = zip_of(&parts, CompressionMethod::Stored);
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let err = extract(Kind::Odt, &bytes, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file too large: archive has 20 entries, the limit is 10"
    );
}

#[test]
fn limits_on_input_output_and_time() {
    let limits = Limits {
        max_input_bytes: 3,
        ..Limits::default()
    };
    assert!(matches!(
        extract(Kind::Text, b"four", &limits),
        Err(ExtractError::TooLarge(_))
    ));
    let limits = Limits {
        max_output_chars: 5,
        ..Limits::default()
    };
    assert_eq!(
        extract(Kind::Text, "Hà  Nội Việt".as_bytes(), &limits).unwrap(),
        "Hà Nộ"
    );
    let limits = Limits {
        timeout: Duration::ZERO,
        ..Limits::default()
    };
    let bytes = package("x", &[("word/document.xml", "<a/>")]);
    assert!(matches!(
        extract(Kind::Docx, &bytes, &limits),
        Err(ExtractError::Timeout)
    ));
}

#[test]
fn plain_text_encodings() {
    assert_eq!(
        run(Kind::Text, b"\xEF\xBB\xBF  a \t b\r\n\r\n c\x00d \xFF ").unwrap(),
        "a b\nc d \u{FFFD}"
    );
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("Hà Nội".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain("北京大学".encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    assert_eq!(run(Kind::Text, &le).unwrap(), "Hà Nội");
    assert_eq!(run(Kind::Text, &be).unwrap(), "北京大学");
    assert_eq!(kind_for("text/csv; charset=utf-8"), Some(Kind::Text));
    assert_eq!(kind_for("TEXT/Markdown"), Some(Kind::Markdown));
    assert_eq!(
        kind_for("application/vnd.oasis.opendocument.presentation"),
        Some(Kind::Odp)
    );
    assert_eq!(kind_for("application/pdf"), Some(Kind::Pdf));
    assert_eq!(kind_for("text/html; charset=UTF-8"), Some(Kind::Html));
    assert_eq!(kind_for("image/png"), None);
    assert_eq!(kind_for("video/mp4"), None);
}

#[test]
fn markdown_syntax_is_stripped() {
    let md = "# Hà Nội #\n\nSome *emphasis* and __strong__ text, a [link](http://x.org/a_(b)) and ![alt text](i.png).\n\
              snake_case_name stays, so does [unclosed](.\n\n```rust\nlet x = *ptr; // [a](b)\n```\n\
              > quoted `code`\n- item ~~old~~\n---\n| a | b |\n|---|---|\n[ref]: http://example.com\n## C# ##\n";
    let text = run(Kind::Markdown, md.as_bytes()).unwrap();
    let want = "Hà Nội\nSome emphasis and strong text, a link and alt text.\n\
                snake_case_name stays, so does unclosed(.\nlet x = *ptr; // [a](b)\nquoted code\nitem old\na b\nC#";
    assert_eq!(text, want);
}

#[test]
fn html_is_stripped() {
    let html = r#"<!DOCTYPE html><html><HEAD><title>T&iacute;tulo</title><style>p{color:red}</style>
        <SCRIPT type="text/javascript">var x = "<p>no</p>";</script></head><body><!-- hidden -->
        <h1 class="a>b">Hà&nbsp;Nội</h1><p>Tom &amp; Jerry &#8212; &#x5317;京 &bogus; a < b</p>
        <table><tr><td>x</td><td>y</td></tr></table><div>un<b>bro</b>ken<br>line</div><p>tail <a href="x"#;
    let text = run(Kind::Html, html.as_bytes()).unwrap();
    assert_eq!(
        text,
        "Título\nHà Nội\nTom & Jerry — 北京 &bogus; a < b\nx y\nunbroken\nline\ntail"
    );
    assert_eq!(run(Kind::Html, b"<p>x<script>never closed").unwrap(), "x");
}

fn pdf_of(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").bytes());
    }
    let trailer = format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend(trailer.bytes());
    out
}

fn stream(dict: &str, data: &str) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{data}\nendstream",
        data.len()
    )
}

/// Catalog, pages node, one page (MediaBox inherited), Helvetica, content.
fn hello_pdf(pages_extra: &str, page_extra: &str, content: &str, more: &[String]) -> Vec<u8> {
    let mut objs = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!("<< /Type /Pages /Kids [3 0 R] /Count 1 {pages_extra} >>"),
        format!("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> {page_extra} >> /Contents 5 0 R >>"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        stream("", content),
    ];
    objs.extend_from_slice(more);
    pdf_of(&objs)
}

const HELLO: &str = "BT /F1 24 Tf 72 700 Td (Hello PDF world) Tj ET";

#[test]
fn pdf_hello() {
    let pdf = hello_pdf("/MediaBox [0 0 612 792]", "", HELLO, &[]);
    assert_eq!(run(Kind::Pdf, &pdf).unwrap(), "Hello PDF world");
    // A /Parent cycle with no MediaBox anywhere: pdf-extract alone would recurse forever.
    let pdf = hello_pdf("/Parent 3 0 R", "", HELLO, &[]);
    assert_eq!(run(Kind::Pdf, &pdf).unwrap(), "Hello PDF world");
}

#[test]
fn pdf_form_cycle_is_refused_not_a_stack_overflow() {
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /X0 6 0 R >> >>",
        "/X0 Do",
    );
    let pdf = hello_pdf(
        "/MediaBox [0 0 612 792]",
        "/XObject << /X0 6 0 R >>",
        "/X0 Do",
        &[form],
    );
    assert!(matches!(
        run(Kind::Pdf, &pdf),
        Err(ExtractError::Malformed(_))
    ));
    // A form without resources of its own, calling itself through the page's.
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 9 9]",
        &format!("{HELLO} /X0 Do"),
    );
    let pdf = hello_pdf(
        "/MediaBox [0 0 612 792]",
        "/XObject << /X0 6 0 R >>",
        "/X0 Do",
        &[form],
    );
    assert!(matches!(
        run(Kind::Pdf, &pdf),
        Err(ExtractError::Malformed(_))
    ));
    // A legitimate form is followed.
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 9 9] /Resources << /Font << /F1 4 0 R >> >>",
        HELLO,
    );
    let pdf = hello_pdf(
        "/MediaBox [0 0 612 792]",
        "/XObject << /X0 6 0 R >>",
        "/X0 Do",
        &[form],
    );
    assert_eq!(run(Kind::Pdf, &pdf).unwrap(), "Hello PDF world");
}

#[test]
fn pdf_garbage_is_malformed() {
    let not_pdf = run(Kind::Pdf, b"GIF89a....").unwrap_err();
    assert_eq!(not_pdf.to_string(), "damaged or invalid file: not a PDF");
    assert!(matches!(
        run(Kind::Pdf, b"%PDF-1.7\n\x00\xFF garbage"),
        Err(ExtractError::Malformed(_))
    ));
    let pdf = hello_pdf("/MediaBox [0 0 612 792]", "", HELLO, &[]);
    for cut in [20, pdf.len() / 2, pdf.len() - 30] {
        assert!(matches!(
            run(Kind::Pdf, &pdf[..cut]),
            Err(ExtractError::Malformed(_))
        ));
    }
    // pdf-extract panics on a `Do` without an XObject resource: caught, not propagated.
    let pdf = hello_pdf("/MediaBox [0 0 612 792]", "", "/Nope Do", &[]);
    let err = run(Kind::Pdf, &pdf).unwrap_err();
    assert_eq!(
        err.to_string(),
        "damaged or invalid file: the parser could not read it"
    );
}
