//! `ekino services up|down|status`: wraps `scripts/services.sh`, which does the work so that
//! CI and a fresh machine can start the services before anything is built.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

fn script() -> PathBuf {
    let root = std::env::var_os("EKINO_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    root.join("scripts/services.sh")
}

pub fn run(action: &str, service: Option<&str>) -> anyhow::Result<()> {
    let script = script();
    let mut cmd = Command::new("bash");
    cmd.arg(&script).arg(action);
    if let Some(s) = service {
        cmd.arg(s);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    anyhow::ensure!(status.success(), "services {action} failed ({status})");
    Ok(())
}
