//! Thumbnails of images (JPEG, PNG, GIF, WebP) and of the first page of PDFs (rendered with
//! hayro, a pure-Rust rasterizer), made once when a file is processed and kept in the database
//! next to the file row (so they leave with it).

use super::store::FileRow;
use image::{codecs::jpeg::JpegEncoder, ImageReader, Limits};
use std::io::Cursor;

/// Longest side of a thumbnail, in pixels.
pub const SIZE: u32 = 256;
const MAX_SIDE: u32 = 16_384;
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Whether a file gets a thumbnail.
pub fn wanted(f: &FileRow, cfg: &crate::config::DocumentsConfig) -> bool {
    matches!(
        f.content_type.as_str(),
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "application/pdf"
    ) && (f.size as u64) <= cfg.thumbnail_max_input_bytes
}

/// The job name under which [`convert`] is registered with `jobs::convert`.
pub const JOB: &str = "thumbnail";

/// The `thumbnail` converter. It parses untrusted images and PDFs, so it only ever runs in a
/// locked-down child process (`jobs::convert`), never in the server.
pub fn convert(args: &serde_json::Value, input: &[u8]) -> Result<Vec<u8>, String> {
    let ct = args
        .get("content_type")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    make(ct, input.to_vec())
}

/// A thumbnail of an image, or of a PDF's first page.
pub fn make(content_type: &str, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if content_type == "application/pdf" {
        pdf_thumbnail(bytes)
    } else {
        thumbnail(&bytes)
    }
}

/// The first page of a PDF, rendered on white and scaled to fit [`SIZE`]. The renderer runs on
/// its own thread with a large stack, and a panic in it is an error, not a crash.
pub fn pdf_thumbnail(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    let worker = std::thread::Builder::new()
        .name("pdf-thumbnail".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || std::panic::catch_unwind(move || render_first_page(bytes)))
        .map_err(|e| e.to_string())?;
    match worker.join() {
        Ok(Ok(r)) => r,
        _ => Err("the PDF renderer failed on this file".into()),
    }
}

fn render_first_page(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    use hayro::{
        hayro_interpret::InterpreterSettings, hayro_syntax::Pdf, render,
        vello_cpu::color::palette::css::WHITE, RenderCache, RenderSettings,
    };
    let pdf = Pdf::new(bytes).map_err(|e| format!("not a readable PDF: {e:?}"))?;
    let pages = pdf.pages();
    let page = pages.first().ok_or("the PDF has no pages")?;
    let (w, h) = page.render_dimensions();
    if !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0) {
        return Err("the first page has no size".into());
    }
    let scale = (SIZE as f32 / w.max(h)).min(4.0);
    let settings = RenderSettings {
        x_scale: scale,
        y_scale: scale,
        bg_color: WHITE,
        ..Default::default()
    };
    let pixmap = render(
        page,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &settings,
    );
    let (pw, ph) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    // Opaque on white, so premultiplied and straight RGBA agree.
    let rgba = image::RgbaImage::from_raw(pw, ph, pixmap.data_as_u8_slice().to_vec())
        .ok_or("the rendered page has an unexpected size")?;
    encode(&image::DynamicImage::ImageRgba8(rgba))
}

fn encode(img: &image::DynamicImage) -> Result<Vec<u8>, String> {
    let thumb = img.thumbnail(SIZE, SIZE).to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&thumb)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// A JPEG at most [`SIZE`] pixels on its longest side. Decoding is bounded in dimensions and
/// memory, so a decompression bomb fails instead of exhausting the server.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    encode(&img)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_are_small_jpegs_and_garbage_fails() {
        let img = image::RgbImage::from_fn(1000, 500, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let t = thumbnail(&png).unwrap();
        let back = image::load_from_memory(&t).unwrap();
        assert_eq!((back.width(), back.height()), (256, 128));
        assert!(thumbnail(b"not an image").is_err());
    }

    #[test]
    fn pdf_first_pages_render_and_garbage_fails() {
        // A one-page PDF (A4 portrait) with a filled black rectangle in the upper half.
        let content = "0 0 0 rg 100 500 400 200 re f";
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_string(),
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            ),
        ];
        let mut pdf = String::from("%PDF-1.4\n");
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
        }
        let xref = pdf.len();
        pdf.push_str(&format!(
            "xref\n0 {}\n0000000000 65535 f \n",
            objects.len() + 1
        ));
        for off in offsets {
            pdf.push_str(&format!("{off:010} 00000 n \n"));
        }
        pdf.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        ));
        let t = pdf_thumbnail(pdf.into_bytes()).unwrap();
        let back = image::load_from_memory(&t).unwrap().to_rgb8();
        assert_eq!(back.height(), 256);
        assert!(back.width() > 170 && back.width() < 190, "{}", back.width());
        // White margin, black rectangle.
        assert!(back.get_pixel(5, 5)[0] > 200);
        let (x, y) = (back.width() / 2, back.height() * 3 / 10);
        assert!(back.get_pixel(x, y)[0] < 60, "{:?}", back.get_pixel(x, y));
        assert!(pdf_thumbnail(b"%PDF-1.4 nonsense".to_vec()).is_err());
    }
}
