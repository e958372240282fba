//! `ekino keys create|list|revoke`. `create` prints the new key alone on stdout, once; only its
//! hash is stored. `list` shows every key with its label, role, scope, creation, last use (from
//! the audit log: no write per request), expiry and revocation. `revoke` appends a revocation
//! record naming the operating-system user; a running API refuses the key within
//! `api.keys_refresh_ms` (1 s).

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

use schemas::clock::wall_secs as now_secs;

pub async fn run(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    ingest::clickhouse_store::check_schema(&settings.clickhouse, &[schemas::ddl::Store::App])
        .await?;
    let client = ingest::clickhouse_store::app_client(&settings.clickhouse);
    match cmd {
        KeysCommand::Create {
            role,
            bin,
            applicant,
            label,
            expires_in_days,
        } => {
            let ministry_days = settings.api.ministry_key_days;
            let new = (role, bin, applicant, label, expires_in_days);
            create(&client, new, ministry_days).await
        }
        KeysCommand::List { json } => list(&client, json).await,
        KeysCommand::Revoke { id, reason } => revoke(&client, &id, reason).await,
    }
}

/// Issues a key on the operator's own authority (storage credentials): also the first ministry
/// key, which nobody could approve (`api_core::key_requests`).
async fn create(
    client: &clickhouse::Client,
    (role, bin, applicant, label, expires_in_days): (
        String,
        Option<String>,
        Option<String>,
        String,
        Option<u32>,
    ),
    ministry_days: u32,
) -> anyhow::Result<()> {
    // Every key carries a label; without --label it names the role and scope.
    let label = if label.trim().is_empty() {
        let scope = bin
            .as_deref()
            .or(applicant.as_deref())
            .map(|x| format!(" for {x}"))
            .unwrap_or_default();
        format!("{role} key{scope}")
    } else {
        label
    };
    let new = api_core::keys::NewKey {
        role: role.clone(),
        bin,
        applicant_id: applicant,
        label,
        expires_in_days,
    };
    let by = ingest::backfill::operator();
    let issued = api_core::keys::issue(client, new, &by, now_secs(), ministry_days)
        .await
        .map_err(cli_error)?;
    println!("{}", issued.token);
    Ok(())
}

/// An API error as the command's: `--<field>: <reason>`.
fn cli_error(e: api_core::error::ApiError) -> anyhow::Error {
    match e {
        api_core::error::ApiError::BadRequest { field, reason } => {
            anyhow::anyhow!("--{}: {reason}", field.replace('_', "-"))
        }
        api_core::error::ApiError::NotFound => {
            anyhow::anyhow!("no such key (ekino keys list shows them)")
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn list(client: &clickhouse::Client, json: bool) -> anyhow::Result<()> {
    let listed = api_core::keys::list(client, now_secs())
        .await
        .map_err(cli_error)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    println!(
        "{:<12}  {:<24}  {:<10}  {:<12}  {:<25}  {:<25}  {:<25}  revoked",
        "id", "label", "role", "bin/applicant", "created", "last used", "expires"
    );
    for k in &listed {
        println!(
            "{:<12}  {:<24}  {:<10}  {:<12}  {:<25}  {:<25}  {:<25}  {}",
            k.key_id,
            k.label,
            k.role,
            k.bin
                .as_deref()
                .or(k.applicant_id.as_deref())
                .unwrap_or("-"),
            k.created_at,
            k.last_used_at.as_deref().unwrap_or("never"),
            k.expires_at.as_deref().unwrap_or("never"),
            k.revoked_at.as_ref().map_or_else(
                || "no".to_owned(),
                |r| format!("{r} by {}", k.revoked_by.as_deref().unwrap_or("?"))
            ),
        );
    }
    Ok(())
}

async fn revoke(client: &clickhouse::Client, id: &str, reason: String) -> anyhow::Result<()> {
    let reason = if reason.trim().is_empty() {
        "revoked by the operator".to_owned()
    } else {
        reason
    };
    let by = ingest::backfill::operator();
    api_core::keys::revoke(client, id, &reason, &by, now_secs())
        .await
        .map_err(|e| match e {
            api_core::error::ApiError::NotFound => {
                anyhow::anyhow!("no key with id {id:?} (ekino keys list shows them)")
            }
            other => cli_error(other),
        })?;
    println!("revoked {id}; a running API refuses it within api.keys_refresh_ms (1 s)");
    Ok(())
}
