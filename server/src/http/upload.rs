//! Uploads: a streamed `multipart/form-data` body or raw bytes, never held whole in memory.

use crate::{
    blobs::ByteStream,
    error::{ApiError, ApiResult},
};
use futures_util::StreamExt;
use poem::{Body, Request, RequestBody};
use poem_openapi::{
    payload::{Binary, ParsePayload, Payload},
    registry::{MetaSchema, MetaSchemaRef},
    ApiRequest,
};

/// `multipart/form-data` with a `file` part (its `filename` names the file), streamed: the
/// server never holds the whole file in memory.
pub struct MultipartUpload {
    pub boundary: String,
    pub body: Body,
}

impl Payload for MultipartUpload {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("multipart/form-data"))
    }

    fn schema_ref() -> MetaSchemaRef {
        let binary = MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("binary"),
            ..MetaSchema::new("string")
        }));
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            properties: vec![("file", binary)],
            required: vec!["file"],
            ..MetaSchema::new("object")
        }))
    }
}

impl ParsePayload for MultipartUpload {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let ct = request.content_type().unwrap_or_default();
        let boundary = multer::parse_boundary(ct)
            .map_err(|_| ApiError::bad_request("multipart/form-data needs a boundary parameter"))?;
        Ok(MultipartUpload {
            boundary,
            body: body.take()?,
        })
    }
}

#[derive(ApiRequest)]
pub enum UploadBody {
    /// A form with one `file` part.
    Multipart(MultipartUpload),
    /// The raw content under any content type (the type is detected from the bytes). Name it
    /// with `?name=`.
    Raw(Binary<Body>),
}

fn io_stream(body: Body) -> ByteStream {
    Box::pin(body.into_bytes_stream())
}

/// The file part of a multipart upload, its file name, and the small text fields sent
/// before it (metadata such as a title).
pub async fn file_part(
    boundary: String,
    body: Body,
) -> ApiResult<(String, ByteStream, Vec<(String, String)>)> {
    const MAX_FIELDS: usize = 20;
    const MAX_FIELD_BYTES: usize = 16 * 1024;
    let stream = body.into_bytes_stream();
    let mut mp = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    loop {
        let field = mp
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
        let Some(mut field) = field else {
            return Err(ApiError::validation("file", "the form has no `file` part"));
        };
        if field.name() == Some("file") || field.file_name().is_some() {
            let name = field.file_name().unwrap_or("file").to_string();
            // The parser must outlive the part it yields.
            let s = field.map(move |r| {
                let _parser = &mp;
                r.map_err(std::io::Error::other)
            });
            return Ok((name, Box::pin(s), fields));
        }
        let key = field.name().unwrap_or("").to_string();
        if fields.len() >= MAX_FIELDS {
            return Err(ApiError::bad_request(format!(
                "at most {MAX_FIELDS} form fields before the file"
            )));
        }
        let mut value = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
        {
            value.extend_from_slice(&chunk);
            if value.len() > MAX_FIELD_BYTES {
                return Err(ApiError::validation(
                    &key,
                    format!("form fields are at most {MAX_FIELD_BYTES} bytes"),
                ));
            }
        }
        let value = String::from_utf8(value)
            .map_err(|_| ApiError::validation(&key, "form fields are UTF-8 text"))?;
        fields.push((key, value));
    }
}

/// The content length a raw upload declared.
pub fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// An upload body as (file name, stream, declared length, form fields).
pub async fn upload_parts(
    req: &Request,
    name: Option<String>,
    body: UploadBody,
) -> ApiResult<(String, ByteStream, Option<u64>, Vec<(String, String)>)> {
    Ok(match body {
        UploadBody::Raw(Binary(body)) => (
            name.unwrap_or_else(|| "file".into()),
            io_stream(body),
            declared_length(req),
            Vec::new(),
        ),
        // The form's framing makes Content-Length an upper bound only.
        UploadBody::Multipart(m) => {
            let (n, s, fields) = file_part(m.boundary, m.body).await?;
            (name.unwrap_or(n), s, None, fields)
        }
    })
}
