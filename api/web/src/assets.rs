//! The pages' static files, embedded in the binary: ekino's own stylesheet and the vendored
//! npm files of `api/web/assets/vendor/` (fetched once by `scripts/vendor-assets.sh`, listed with
//! their sha256 and licence in `MANIFEST.tsv`, which a test checks). Served under `/assets/`
//! with a content hash in the link, so a new build never meets a stale cached copy.

use std::collections::HashMap;
use std::sync::LazyLock;

use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::Reply;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Files;

static HASHES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Files::iter()
        .filter_map(|name| {
            let file = Files::get(&name)?;
            Some((name.to_string(), hex(&Sha256::digest(&file.data))))
        })
        .collect()
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The link to an embedded file, with its content hash.
pub fn url(name: &str) -> String {
    match HASHES.get(name) {
        Some(h) => format!("/assets/{name}?v={}", &h[..12]),
        None => format!("/assets/{name}"),
    }
}

/// An embedded file's bytes (the PDF printer inlines them: `pdf`).
pub fn bytes(name: &str) -> Option<Vec<u8>> {
    Files::get(name).map(|f| f.data.into_owned())
}

/// An embedded text file (a stylesheet).
pub fn text(name: String) -> Option<String> {
    bytes(&name).and_then(|b| String::from_utf8(b).ok())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("woff2") => "font/woff2",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}

/// `GET /assets/{path}`: the file, cached for a year (its link changes with its content).
pub fn serve(path: &str) -> Response {
    match Files::get(path) {
        Some(file) => {
            let mut resp = Response::new(file.data.into_owned().into());
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                content_type(path).parse().expect("header"),
            );
            h.insert(
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable"
                    .parse()
                    .expect("header"),
            );
            h.insert("x-content-type-options", "nosniff".parse().expect("header"));
            resp
        }
        None => warp::reply::with_status("not found", StatusCode::NOT_FOUND).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every vendored file is the one the manifest names (package, version, sha256, licence),
    /// and nothing vendored is unlisted.
    #[test]
    fn vendored_files_match_their_manifest() {
        let manifest = Files::get("vendor/MANIFEST.tsv").expect("manifest");
        let text = String::from_utf8(manifest.data.into_owned()).unwrap();
        let mut listed = Vec::new();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{line}");
            let (file, sha, licence) = (cols[0], cols[3], cols[4]);
            let data = Files::get(&format!("vendor/{file}"))
                .unwrap_or_else(|| panic!("{file} is listed but not vendored"));
            assert_eq!(
                hex(&Sha256::digest(&data.data)),
                sha,
                "{file} differs from its manifest"
            );
            assert!(!licence.is_empty(), "{file} has no licence");
            listed.push(format!("vendor/{file}"));
        }
        for name in
            Files::iter().filter(|n| n.starts_with("vendor/") && !n.ends_with("MANIFEST.tsv"))
        {
            assert!(
                listed.contains(&name.to_string()),
                "{name} is vendored but not in the manifest"
            );
        }
        assert!(url("vendor/htmx.min.js").contains("?v="));
    }
}
