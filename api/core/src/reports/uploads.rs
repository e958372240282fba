//! Lines of ticket uploads the API refused itself (`upload_rejects`).

use clickhouse::Client;
use schemas::storage::UploadRejectRow;

use super::error::ReportError;

/// Stores refused upload lines; all or nothing.
pub async fn keep_rejects(client: &Client, rows: &[UploadRejectRow]) -> Result<(), ReportError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = client.insert::<UploadRejectRow>("upload_rejects").await?;
    for r in rows {
        insert.write(r).await?;
    }
    insert.end().await?;
    Ok(())
}
