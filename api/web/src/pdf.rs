//! PDF of a page, printed by headless Chromium (Debian's `chromium`, installed by
//! `scripts/services.sh`) from the page's HTML as this process rendered it.
//!
//! # Contained
//! Chromium parses what a page shows, and pages show text that others typed (a film's title,
//! an applicant's name), so it is run as if that text were hostile:
//! - **no network**: the page is a file in a private folder (its stylesheets and fonts inlined,
//!   so it needs nothing else); Chromium runs in a network namespace of its own when the host
//!   allows one (`unshare --net`), and besides every request goes to a dead proxy and every
//!   name resolves nowhere, loopback included;
//! - **no scripts**: the page's `<script>` tags are removed and it carries a Content Security
//!   Policy ([`POLICY`]) that forbids every script, inline handlers included, and every fetch
//!   but its own inline styles and fonts. (`--disable-javascript` is not honoured by headless
//!   printing: an `onload` ran with it; `--blink-settings=scriptEnabled=false` stops the print
//!   itself. Both measured with Debian's Chromium.)
//! - **nobody's rights**: run as root, it drops to `nobody` (`setpriv`), with an environment
//!   of its own (no settings, no passwords: [`std::process::Command::env_clear`]);
//! - **a private folder**: a fresh random name made with mode 0700 (an existing path is an
//!   error, so nobody can prepare it), removed afterwards.
//!
//! # Bounded
//! At most [`MAX_AT_ONCE`] Chromiums at a time and one per client address (more: 503 busy),
//! each killed after [`TIMEOUT`]; the route is public, so the per-address rate limit applies
//! too. Without Chromium the answer is 503 problem+json, never the HTML in place of the PDF.

use std::collections::HashSet;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use rand::RngCore;
use tokio::sync::Semaphore;
use warp::http::header;
use warp::reply::Response;
use warp::Reply;

use api_core::error::ApiError;

pub const MAX_AT_ONCE: usize = 2;
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The user Chromium runs as when ekino runs as root (Debian's `nobody`).
const NOBODY: u32 = 65_534;

static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(MAX_AT_ONCE));
/// Client addresses with a print under way.
static PRINTING: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// `EKINO_CHROMIUM`, else the first of chromium, chromium-browser, google-chrome on `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EKINO_CHROMIUM").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::split_paths(&path)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
}

/// A client's place in the print queue; leaving frees it.
struct Turn(String);

impl Turn {
    fn take(client: &str) -> Option<Turn> {
        let mut printing = PRINTING.lock().unwrap_or_else(|e| e.into_inner());
        printing
            .insert(client.to_owned())
            .then(|| Turn(client.to_owned()))
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        PRINTING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.0);
    }
}

/// A private folder: a random name under the temp dir, mode 0700, created here or not at all.
struct Private(PathBuf);

impl Private {
    fn new() -> std::io::Result<Private> {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let name: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("ekino-pdf-{name}"));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(Private(dir))
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether this process runs as root (then Chromium drops to `nobody`): the owner of a file
/// it just made.
fn is_root(made: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(made).is_ok_and(|m| m.uid() == 0)
}

/// Whether a network namespace can be made here (root on a host that allows it), asked once.
fn netns_works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let ok = std::process::Command::new("unshare")
            .args(["--net", "true"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            tracing::warn!("no network namespace for chromium here (unshare --net failed); it prints with a dead proxy and no name resolution instead");
        }
        ok
    })
}

/// What the printed page may load and run: its inline styles and `data:` fonts and images,
/// nothing else (no script of any kind, no request).
pub const POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:";

/// The page as one self-contained file: [`POLICY`] first, stylesheets inlined (their fonts as
/// `data:` URLs), the scripts and every other link to `/assets/` removed.
pub fn self_contained(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256 * 1024);
    // Before anything the policy governs: right after `<head>`, else at the very start.
    let (before, mut rest) = match html.find("<head>") {
        Some(at) => html.split_at(at + "<head>".len()),
        None => ("", html),
    };
    out.push_str(before);
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"");
    out.push_str(POLICY);
    out.push_str("\">");
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        if tag.starts_with("<script") {
            // The element and its closing tag.
            let close = rest
                .find("</script>")
                .map_or(rest.len(), |e| e + "</script>".len());
            rest = &rest[close..];
            continue;
        }
        if tag.starts_with("<link") {
            if tag.contains("rel=\"stylesheet\"") {
                if let Some(css) = asset_of(tag).and_then(crate::assets::text) {
                    out.push_str("<style>");
                    out.push_str(&inline_fonts(&css));
                    out.push_str("</style>");
                }
            }
            // An icon or anything else: nothing to fetch.
            rest = &rest[end..];
            continue;
        }
        out.push_str(tag);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The embedded file a `<link href="/assets/NAME?v=…">` names.
fn asset_of(tag: &str) -> Option<String> {
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    let path = href.strip_prefix("/assets/")?;
    Some(path.split('?').next().unwrap_or(path).to_owned())
}

/// A stylesheet with its `url(vendor/…)` fonts as `data:` URLs.
fn inline_fonts(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("url(") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let close = after.find(')').unwrap_or(after.len());
        let name = after[..close].trim_matches(['"', '\'']);
        match crate::assets::bytes(name) {
            Some(b) if name.ends_with(".woff2") => {
                out.push_str("url(data:font/woff2;base64,");
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
                out.push(')');
            }
            // Nothing that would be fetched.
            _ => out.push_str("url()"),
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Prints `html` (a whole page as rendered by this process) to PDF bytes; `client` is the
/// requesting address (one print at a time each).
pub async fn print_html(html: &str, client: &str) -> Result<Vec<u8>, ApiError> {
    print_file(&self_contained(html), client).await
}

/// Prints a page already made [`self_contained`] (tests give it one without the policy, to
/// see what the process's own containment holds).
async fn print_file(page_html: &str, client: &str) -> Result<Vec<u8>, ApiError> {
    let exe = chromium().ok_or_else(|| {
        ApiError::Unavailable(
            "printing to PDF needs Chromium, which is not installed on this server".into(),
        )
    })?;
    let busy = || ApiError::Busy {
        retry_after_secs: 5,
    };
    let _turn = Turn::take(client).ok_or_else(busy)?;
    let _permit = PERMITS.try_acquire().map_err(|_| busy())?;
    let dir = Private::new().map_err(|e| ApiError::Internal(format!("pdf temp dir: {e}")))?;
    let page = dir.0.join("page.html");
    std::fs::write(&page, page_html).map_err(|e| ApiError::Internal(format!("pdf page: {e}")))?;
    let out = dir.0.join("page.pdf");
    let root = is_root(&page);
    if root {
        // Chromium (as nobody) writes its profile and the PDF here, and reads the page.
        for p in [&dir.0, &page] {
            std::os::unix::fs::chown(p, Some(NOBODY), Some(NOBODY))
                .map_err(|e| ApiError::Internal(format!("pdf temp dir owner: {e}")))?;
        }
    }
    let mut argv: Vec<std::ffi::OsString> = Vec::new();
    if root && netns_works() {
        argv.extend(["unshare".into(), "--net".into(), "--".into()]);
    }
    if root {
        argv.extend([
            "setpriv".into(),
            format!("--reuid={NOBODY}").into(),
            format!("--regid={NOBODY}").into(),
            "--clear-groups".into(),
            "--".into(),
        ]);
    }
    argv.push(exe.into_os_string());
    argv.extend(
        [
            "--headless",
            // Chromium's own sandbox needs set-uid helpers or user namespaces that servers and
            // containers rarely have; the containment above stands in for it.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-javascript",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-pdf-header-footer",
        ]
        .map(Into::into),
    );
    argv.push(format!("--user-data-dir={}", dir.0.join("profile").display()).into());
    argv.push(format!("--print-to-pdf={}", out.display()).into());
    argv.push(format!("file://{}", page.display()).into());
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &dir.0)
        .env("TMPDIR", &dir.0)
        .env("XDG_CONFIG_HOME", dir.0.join("config"))
        .env("XDG_CACHE_HOME", dir.0.join("cache"))
        .env("LANG", "C.UTF-8")
        .current_dir(&dir.0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let result = tokio::time::timeout(TIMEOUT, cmd.status()).await;
    let bytes = std::fs::read(&out);
    drop(dir);
    match result {
        Err(_) => Err(ApiError::Unavailable(
            "printing to PDF took too long".into(),
        )),
        Ok(Err(e)) => Err(ApiError::Unavailable(format!(
            "chromium did not start: {e}"
        ))),
        Ok(Ok(_)) => match bytes {
            Ok(b) if b.starts_with(b"%PDF") => Ok(b),
            _ => Err(ApiError::Unavailable("chromium produced no PDF".into())),
        },
    }
}

/// The PDF of `html` as a reply (`inline`, named `filename`), or the problem that stopped it.
pub async fn render(html: &str, filename: &str, client: &str) -> Response {
    match print_html(html, client).await {
        Ok(bytes) => {
            let mut resp = warp::reply::with_header(bytes, header::CONTENT_TYPE, "application/pdf")
                .into_response();
            resp.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\"")
                    .parse()
                    .expect("header"),
            );
            resp
        }
        Err(e) => {
            tracing::warn!(error = %e, "pdf not rendered");
            api_edge::reply(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_becomes_one_file_with_nothing_to_fetch() {
        let css = crate::assets::url("ekino.css");
        let html = format!(
            "<html><head><link rel=\"stylesheet\" href=\"{css}\"><link rel=\"icon\" href=\"/assets/favicon.svg\"><script src=\"/assets/vendor/htmx.min.js\" defer></script></head><body><p>Ақтау</p><script>document.body.innerHTML='x'</script></body></html>"
        );
        let one = self_contained(&html);
        assert!(one.starts_with("<html><head><meta http-equiv=\"Content-Security-Policy\""));
        assert!(one.contains("<style>") && one.contains("data:font/woff2;base64,"));
        assert!(one.contains("<p>Ақтау</p>"));
        for gone in ["<script", "<link", "/assets/", "url(vendor"] {
            assert!(!one.contains(gone), "{gone} left in the page");
        }
    }

    /// The text of a PDF (poppler's `pdftotext`, installed by `scripts/services.sh`).
    fn text_of(pdf: &[u8]) -> String {
        let dir = Private::new().unwrap();
        let file = dir.0.join("t.pdf");
        std::fs::write(&file, pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A hostile page (an inline handler and a body `onload`, which survive the removal of
    /// `<script>` tags) is printed with its text and no script run; a page without the policy,
    /// with an image, a frame and a stylesheet on a loopback port, makes no connection (the
    /// process's own containment: its network namespace or the dead proxy); a second print of
    /// one client waits its turn.
    #[tokio::test]
    async fn chromium_prints_without_scripts_or_network() {
        let hostile = "<html><head></head>\
             <body onload=\"document.body.innerHTML='ONLOAD RAN'\"><p>Static text of the brief</p>\
             <img src=\"x.png\" onerror=\"document.body.innerHTML='HANDLER RAN'\"></body></html>";
        let pdf = print_html(hostile, "198.51.100.7").await.expect("a pdf");
        let text = text_of(&pdf);
        assert!(text.contains("Static text of the brief"), "{text}");
        assert!(!text.contains("RAN"), "a script ran: {text}");

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let fetching = format!(
            "<html><head><style>@import url(http://127.0.0.1:{port}/a.css);</style></head>\
             <body><p>Fetching</p><img src=\"http://127.0.0.1:{port}/leak.png\">\
             <iframe src=\"http://localhost:{port}/frame\"></iframe></body></html>"
        );
        let pdf = print_file(&fetching, "198.51.100.7").await.expect("a pdf");
        assert!(text_of(&pdf).contains("Fetching"));
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "chromium connected to loopback"
        );
        // One client, one print at a time.
        let _turn = Turn::take("198.51.100.8").unwrap();
        assert!(matches!(
            print_html(hostile, "198.51.100.8").await,
            Err(ApiError::Busy { .. })
        ));
    }
}
