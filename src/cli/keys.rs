//! `ekino keys create|list|revoke`. `create` prints the new key alone on stdout, once; only its
//! hash is stored. `list` shows every key with its label, role, scope, creation, last use (from
//! the audit log: no write per request), expiry and revocation. `revoke` appends a revocation
//! record naming the operating-system user; a running API refuses the key within
//! `api.keys_refresh_ms` (1 s).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use api::auth::{self, KeyRow, KeyStore, RevocationRow, Role};
use clickhouse::Row;
use serde::{Deserialize, Serialize};

use crate::settings::Settings;

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Creates a key and prints it once.
    Create {
        /// cinema, producer, ministry or commission.
        #[arg(long)]
        role: String,
        /// The BIN a cinema or producer key acts for.
        #[arg(long)]
        bin: Option<String>,
        /// A producer key of a registered foreign applicant (`PUT /v1/applicants/{id}`), which
        /// has no BIN.
        #[arg(long, conflicts_with = "bin")]
        applicant: Option<String>,
        /// Who holds the key (a person or an organisation).
        #[arg(long, default_value = "")]
        label: String,
        /// Days until the key stops working; without it, it works until revoked.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Lists every key (never its secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revokes a key by its id (the part after `ek_`, before the second `_`).
    Revoke {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

fn now_secs() -> u32 {
    u32::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

fn when(secs: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(secs), 0).map(|t| t.with_timezone(&schemas::time::kz_offset()).to_rfc3339()).unwrap_or_default()
}

pub async fn run(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    ingest::clickhouse_store::check_schema(&settings.clickhouse, &[schemas::ddl::Store::App]).await?;
    let client = ingest::clickhouse_store::app_client(&settings.clickhouse);
    match cmd {
        KeysCommand::Create { role, bin, applicant, label, expires_in_days } => create(&client, &role, bin, applicant, label, expires_in_days).await,
        KeysCommand::List { json } => list(&client, json).await,
        KeysCommand::Revoke { id, reason } => revoke(&client, &id, reason).await,
    }
}

async fn create(client: &clickhouse::Client, role: &str, bin: Option<String>, applicant: Option<String>, label: String, expires_in_days: Option<u32>) -> anyhow::Result<()> {
    let role = Role::parse(role).ok_or_else(|| anyhow::anyhow!("--role: must be cinema, producer, ministry or commission, got {role:?}"))?;
    let bin = bin.map(|b| schemas::Bin::parse(&b).map_err(|e| anyhow::anyhow!("--bin: {e}"))).transpose()?;
    if let Some(a) = &applicant {
        anyhow::ensure!(role == Role::Producer, "--applicant: only a producer key acts for a foreign applicant");
        api::applicants::ApplicantId::parse(a).map_err(|e| anyhow::anyhow!("--applicant: {e}"))?;
        let registered = api::applicants::load(client, a).await.map_err(|e| anyhow::anyhow!("reading the applicant: {e}"))?;
        anyhow::ensure!(registered.is_some(), "--applicant: {a} is not registered (PUT /v1/applicants/{a})");
    }
    match (role.needs_bin(), &bin, &applicant) {
        (true, None, None) => anyhow::bail!("--bin: a {} key acts for one BIN (or, for a producer, --applicant) and needs it", role.as_str()),
        (false, Some(_), _) => anyhow::bail!("--bin: a {} key is not scoped to a BIN", role.as_str()),
        _ => {}
    }
    if label.chars().count() > 200 {
        anyhow::bail!("--label: at most 200 characters");
    }
    if expires_in_days == Some(0) {
        anyhow::bail!("--expires-in-days: must be at least 1");
    }
    let now = now_secs();
    let (token, mut row) = auth::generate(role, bin.as_ref(), now);
    row.label = label;
    row.applicant_id = applicant.unwrap_or_default();
    row.expires_at = expires_in_days.map_or(0, |d| now.saturating_add(d.saturating_mul(86_400)));
    ingest::clickhouse_store::insert_rows(client, "api_keys", std::slice::from_ref(&row), Duration::from_secs(10)).await.context("storing the key")?;
    tracing::info!(key_id = %row.key_id, role = role.as_str(), label = %row.label, expires_at = row.expires_at, "api key created");
    println!("{token}");
    Ok(())
}

#[derive(Debug, Row, Deserialize)]
struct LastUse {
    key_id: String,
    at: u32,
}

#[derive(Debug, Row, Deserialize)]
struct Revoked {
    key_id: String,
    revoked_at: u32,
    revoked_by: String,
}

#[derive(Debug, Serialize)]
struct Listed {
    id: String,
    label: String,
    role: String,
    bin: Option<String>,
    /// A foreign applicant's producer key.
    applicant: Option<String>,
    created: String,
    last_used: Option<String>,
    expires: Option<String>,
    revoked: Option<String>,
    revoked_by: Option<String>,
}

async fn list(client: &clickhouse::Client, json: bool) -> anyhow::Result<()> {
    let stored = KeyStore::load(client).await.context("reading keys")?;
    let last: HashMap<String, u32> = client
        .query("SELECT key_id, toUInt32(max(at)) AS at FROM api_audit WHERE key_id != '' GROUP BY key_id")
        .fetch_all::<LastUse>()
        .await
        .context("reading last use from the audit log")?
        .into_iter()
        .map(|l| (l.key_id, l.at))
        .collect();
    let revoked: HashMap<String, Revoked> = client
        .query("SELECT key_id, toUInt32(min(revoked_at)) AS revoked_at, any(revoked_by) AS revoked_by FROM api_key_revocations GROUP BY key_id")
        .fetch_all::<Revoked>()
        .await
        .context("reading revocations")?
        .into_iter()
        .map(|r| (r.key_id.clone(), r))
        .collect();
    let mut rows: Vec<&KeyRow> = stored.rows.iter().collect();
    rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key_id.cmp(&b.key_id)));
    let listed: Vec<Listed> = rows
        .into_iter()
        .map(|r| Listed {
            id: r.key_id.clone(),
            label: r.label.clone(),
            role: r.role.clone(),
            bin: (!r.bin.is_empty()).then(|| r.bin.clone()),
            applicant: (!r.applicant_id.is_empty()).then(|| r.applicant_id.clone()),
            created: when(r.created_at),
            last_used: last.get(&r.key_id).map(|t| when(*t)),
            expires: (r.expires_at > 0).then(|| when(r.expires_at)),
            revoked: revoked.get(&r.key_id).map(|v| when(v.revoked_at)).or_else(|| (r.revoked != 0).then(|| "yes".to_owned())),
            revoked_by: revoked.get(&r.key_id).map(|v| v.revoked_by.clone()),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    println!("{:<12}  {:<24}  {:<10}  {:<12}  {:<25}  {:<25}  {:<25}  revoked", "id", "label", "role", "bin/applicant", "created", "last used", "expires");
    for k in &listed {
        println!(
            "{:<12}  {:<24}  {:<10}  {:<12}  {:<25}  {:<25}  {:<25}  {}",
            k.id,
            k.label,
            k.role,
            k.bin.as_deref().or(k.applicant.as_deref()).unwrap_or("-"),
            k.created,
            k.last_used.as_deref().unwrap_or("never"),
            k.expires.as_deref().unwrap_or("never"),
            k.revoked.as_ref().map_or_else(|| "no".to_owned(), |r| format!("{r} by {}", k.revoked_by.as_deref().unwrap_or("?"))),
        );
    }
    Ok(())
}

async fn revoke(client: &clickhouse::Client, id: &str, reason: String) -> anyhow::Result<()> {
    let stored = KeyStore::load(client).await.context("reading keys")?;
    if !stored.rows.iter().any(|r| r.key_id == id) {
        anyhow::bail!("no key with id {id:?} (ekino keys list shows them)");
    }
    let by = ingest::backfill::operator();
    let row = RevocationRow { key_id: id.to_owned(), revoked_at: now_secs(), revoked_by: by.clone(), reason };
    ingest::clickhouse_store::insert_rows(client, "api_key_revocations", std::slice::from_ref(&row), Duration::from_secs(10)).await.context("storing the revocation")?;
    tracing::info!(key_id = %id, revoked_by = %by, "api key revoked");
    println!("revoked {id}; a running API refuses it within api.keys_refresh_ms (1 s)");
    Ok(())
}
