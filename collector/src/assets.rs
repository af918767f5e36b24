//! Web assets compiled into the binary: the dashboard and demo shop (`www/`) and the
//! tracker bundle (`tracker-wasm/pkg/`, produced by `tracker-wasm/build.sh`, with its
//! brotli and gzip copies).
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
#[include = "spur.js*"]
#[include = "spur-widgets.js*"]
struct Tracker;

/// A file ready to serve.
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub content_type: String,
    /// A strong validator: the file's SHA-256, quoted (each encoding is a file of its own).
    pub etag: String,
    /// How `bytes` are encoded.
    pub encoding: Encoding,
}

/// A file of the dashboard or demo shop, by path relative to `www/`.
pub fn www(path: &str) -> Option<Asset> {
    asset(Www::get(path)?, path, Encoding::Identity)
}

/// `spur.js` or `spur-widgets.js` (each with its wasm module inside), in `encoding`.
pub fn tracker(name: &str, encoding: Encoding) -> Option<Asset> {
    let file = match encoding.extension() {
        Some(extension) => Tracker::get(&format!("{name}.{extension}"))?,
        None => Tracker::get(name)?,
    };
    asset(file, name, encoding)
}

/// How a tracker bundle is stored: as it is, or compressed once by `build.sh` (brotli at
/// its best quality, gzip -9), so that what a page downloads is what the build measured
/// against the byte budget, and no request pays for compressing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Brotli,
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` value; `None` for the identity.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
        }
    }

    fn extension(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gz"),
        }
    }
}

fn asset(file: rust_embed::EmbeddedFile, path: &str, encoding: Encoding) -> Option<Asset> {
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
        encoding,
    })
}
