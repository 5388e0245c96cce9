//! Thumbnails of images (JPEG, PNG, GIF, WebP), made once when a file is processed and kept
//! in the database next to the file row (so they leave with it).

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
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    ) && (f.size as u64) <= cfg.thumbnail_max_input_bytes
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
    let thumb = img.thumbnail(SIZE, SIZE).to_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&thumb)
        .map_err(|e| e.to_string())?;
    Ok(out)
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
}
