//! PDF of a page, printed by headless Chromium (Debian's `chromium`, installed by
//! `scripts/services.sh`) from this server over loopback, with JavaScript off and every host
//! but loopback unresolvable, so the PDF holds exactly the printable page (its print CSS,
//! A4) and nothing fetched from elsewhere.
//!
//! Bounded: at most [`MAX_AT_ONCE`] Chromiums at a time (more: 503 busy), each killed after
//! [`TIMEOUT`]; the route is public, so the per-address limit applies too. Without Chromium
//! the answer is 503 problem+json, never the HTML in place of the PDF.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use tokio::sync::Semaphore;
use warp::http::header;
use warp::reply::Response;
use warp::Reply;

use api_core::error::ApiError;
use api_edge::State;

pub const MAX_AT_ONCE: usize = 2;
pub const TIMEOUT: Duration = Duration::from_secs(30);

static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(MAX_AT_ONCE));
static SEQ: AtomicU64 = AtomicU64::new(0);

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

/// The loopback address of this server, for Chromium to read the page from.
fn base(s: &State) -> String {
    let addr = s
        .settings
        .listen_addr
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    format!("http://{addr}")
}

async fn print(s: &State, path: &str) -> Result<Vec<u8>, ApiError> {
    let exe = chromium().ok_or_else(|| {
        ApiError::Unavailable(
            "printing to PDF needs Chromium, which is not installed on this server".into(),
        )
    })?;
    let _permit = PERMITS.try_acquire().map_err(|_| ApiError::Busy {
        retry_after_secs: 5,
    })?;
    let dir = std::env::temp_dir().join(format!(
        "ekino-pdf-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| ApiError::Internal(format!("pdf temp dir: {e}")))?;
    let out = dir.join("page.pdf");
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-javascript",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--no-pdf-header-footer",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()))
    .arg(format!("--print-to-pdf={}", out.display()))
    .arg(format!("{}{path}", base(s)))
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true);
    let result = tokio::time::timeout(TIMEOUT, cmd.status()).await;
    let bytes = std::fs::read(&out);
    let _ = std::fs::remove_dir_all(&dir);
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

pub async fn render(s: &State, path: &str, filename: &str) -> Response {
    match print(s, path).await {
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
