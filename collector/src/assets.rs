//! Web assets compiled into the binary: the dashboard and demo shop (`www/`) and the
//! tracker bundle (`tracker-wasm/pkg/`, produced by `tracker-wasm/build.sh`).
//!
//! Release builds embed the files; debug builds read them from disk at run time, so a
//! rebuilt tracker is served without recompiling the collector. If the tracker was not
//! built, its routes answer 503 with a hint instead of failing to compile.

use std::borrow::Cow;

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../www/"]
#[exclude = "*.md"]
#[exclude = "node_modules/*"]
#[exclude = "charts/*"]
#[exclude = "*.json"]
#[exclude = "build.sh"]
struct Www;

#[derive(RustEmbed)]
#[folder = "../tracker-wasm/pkg/"]
#[include = "spur.js"]
#[include = "spur-widgets.js"]
struct Tracker;

/// A file ready to serve.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: String,
    /// A strong validator: the file's SHA-256, quoted.
    pub etag: String,
}

/// A file of the dashboard or demo shop, by path relative to `www/`.
pub fn www(path: &str) -> Option<Asset> {
    asset(Www::get(path)?, path)
}

/// `spur.js` or `spur-widgets.js` (each with its wasm module inside).
pub fn tracker(name: &str) -> Option<Asset> {
    asset(Tracker::get(name)?, name)
}

fn asset(file: rust_embed::EmbeddedFile, path: &str) -> Option<Asset> {
    let content_type = match path.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8".to_owned(),
        Some("html") => "text/html; charset=utf-8".to_owned(),
        Some("css") => "text/css; charset=utf-8".to_owned(),
        _ => mime_guess::from_path(path)
            .first_or_octet_stream()
            .to_string(),
    };
    let hash = file.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash.iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Some(Asset {
        bytes: file.data,
        content_type,
        etag,
    })
}
