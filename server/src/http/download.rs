//! Downloads: the response type (bytes, a range, a redirect, 304 or 416) as the spec declares
//! it, and the content types a browser must never render.

use poem::IntoResponse;
use poem_openapi::{
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef},
    types::Type,
    ApiResponse,
};

/// A download: the bytes (whole or a range), a redirect to a presigned URL, or 416.
pub struct Download(poem::Response);

impl Download {
    pub fn new(resp: poem::Response) -> Download {
        Download(resp)
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> poem::Response {
        self.0
    }
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        let binary = MetaSchemaRef::Inline(Box::new(MetaSchema {
            format: Some("binary"),
            ..MetaSchema::new("string")
        }));
        let header = |name: &'static str, description: &'static str| MetaHeader {
            name: name.to_string(),
            description: Some(description.to_string()),
            required: false,
            deprecated: false,
            schema: String::schema_ref(),
        };
        let bytes = |status, description| MetaResponse {
            description,
            status: Some(status),
            status_range: None,
            // The file's own detected type, whatever it is.
            content: vec![MetaMediaType {
                content_type: "*/*",
                schema: binary.clone(),
            }],
            headers: vec![
                header(
                    "Content-Disposition",
                    "attachment with the file's name (RFC 6266)",
                ),
                header("ETag", "the content's SHA-256"),
                header("Accept-Ranges", "bytes"),
                header("Content-Range", "for 206: the bytes sent"),
            ],
        };
        MetaResponses {
            responses: vec![
                bytes(200, "The content (its detected type in Content-Type)"),
                bytes(206, "The requested byte range"),
                MetaResponse {
                    description:
                        "Fetch the content from this presigned URL (valid for at most a minute)",
                    status: Some(302),
                    status_range: None,
                    content: vec![],
                    headers: vec![header("Location", "the presigned URL")],
                },
                MetaResponse {
                    description: "Not modified (If-None-Match matched)",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![],
                },
                MetaResponse {
                    description: "The range lies outside the content",
                    status: Some(416),
                    status_range: None,
                    content: vec![],
                    headers: vec![header("Content-Range", "bytes */<size>")],
                },
            ],
        }
    }

    fn register(_registry: &mut poem_openapi::registry::Registry) {}
}

/// Types a browser could render as active content are sent as opaque bytes.
pub fn safe_content_type(ct: &str) -> &str {
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence.starts_with("text/html")
        || essence.contains("xml")
        || essence.contains("javascript")
        || essence == "image/svg+xml"
    {
        "application/octet-stream"
    } else {
        ct
    }
}
