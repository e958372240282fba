//! The one typed settings tree: defaults, then an optional TOML file (`--config` or
//! `EKINO_CONFIG`), then environment variables such as `EKINO_KAFKA__BROKERS` or
//! `EKINO_CLICKHOUSE__DATABASE`. Unknown keys are refused at start-up.

use std::path::Path;

use anyhow::Context;
use ingest::{ClickHouseSettings, IngestSettings, KafkaSettings};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub kafka: KafkaSettings,
    pub clickhouse: ClickHouseSettings,
    pub ingest: IngestSettings,
    pub api: api_core::config::ApiSettings,
    pub reporting: schemas::clock::ReportingSettings,
}

impl Settings {
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut b = config::Config::builder();
        if let Some(f) = file {
            b = b.add_source(
                config::File::from(f)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        b = b.add_source(
            config::Environment::with_prefix("EKINO")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                // Only `EKINO_SECTION__KEY` variables are settings; `EKINO_LOG`, `EKINO_HOME`
                // and the like belong to other parts of the tool.
                .source(Some(
                    std::env::vars()
                        .filter(|(k, _)| k.starts_with("EKINO_") && k.contains("__"))
                        .collect(),
                )),
        );
        let raw = b.build().context("reading settings")?;
        let s: Settings = raw
            .try_deserialize()
            .context("settings do not match the expected keys")?;
        s.ingest
            .validate(&s.kafka, &s.reporting)
            .map_err(anyhow::Error::msg)?;
        s.reporting.validate().map_err(anyhow::Error::msg)?;
        Ok(s)
    }
}
