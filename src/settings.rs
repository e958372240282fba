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
        Self::load_from(file, std::env::vars())
    }

    /// [`Settings::load`] from the given environment variables instead of the process's.
    pub fn load_from(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
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
                    vars.into_iter()
                        .filter(|(k, _)| k.starts_with("EKINO_") && k.contains("__"))
                        .collect(),
                )),
        );
        let raw = b.build().context("reading settings")?;
        let s: Settings = raw
            .try_deserialize()
            .context("settings do not match the expected keys")?;
        s.kafka.validate().map_err(anyhow::Error::msg)?;
        s.ingest
            .validate(&s.kafka, &s.reporting)
            .map_err(anyhow::Error::msg)?;
        s.reporting.validate().map_err(anyhow::Error::msg)?;
        s.api.signals.validate().map_err(anyhow::Error::msg)?;
        s.api.cases.validate().map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            s.api.max_connections >= 1
                && (1..=s.api.max_connections).contains(&s.api.max_connections_per_address),
            "api.max_connections_per_address must be from 1 to api.max_connections ({}), got {}",
            s.api.max_connections,
            s.api.max_connections_per_address
        );
        anyhow::ensure!(
            (1..=api_core::keys::MAX_EXPIRY_DAYS).contains(&s.api.ministry_key_days),
            "api.ministry_key_days must be from 1 to {}, got {}",
            api_core::keys::MAX_EXPIRY_DAYS,
            s.api.ministry_key_days
        );
        anyhow::ensure!(
            s.api.idle_timeout_ms >= 1000 && s.api.header_timeout_ms >= 100,
            "api.idle_timeout_ms must be at least 1000 and api.header_timeout_ms at least 100, got {} and {}",
            s.api.idle_timeout_ms,
            s.api.header_timeout_ms
        );
        anyhow::ensure!(
            (1..=100).contains(&s.api.completeness_target_percent),
            "api.completeness_target_percent must be from 1 to 100, got {}",
            s.api.completeness_target_percent
        );
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `environment:` of one service of `docker-compose.yml`, `${VAR...}` replaced by a
    /// stand-in (the compose file is plain enough for a line reader: two-space indents).
    fn compose_env(service: &str) -> Vec<(String, String)> {
        let text = include_str!("../docker-compose.yml");
        let mut lines = text
            .lines()
            .skip_while(|l| !l.starts_with(&format!("  {service}:")))
            .skip(1)
            .take_while(|l| l.starts_with("    ") || l.trim().is_empty());
        let mut env = Vec::new();
        let mut inside = false;
        for l in lines.by_ref() {
            if l.starts_with("    environment:") {
                inside = true;
            } else if inside && l.trim_start().starts_with('#') {
                continue;
            } else if inside && l.starts_with("      ") {
                let (k, v) = l.trim().split_once(": ").expect("KEY: value");
                let v = if v.starts_with("${") { "stand-in" } else { v };
                env.push((k.to_owned(), v.trim_matches('"').to_owned()));
            } else if inside {
                break;
            }
        }
        env
    }

    #[test]
    fn the_compose_shape_meets_kafka_with_the_credentials_its_acls_name() {
        let acls = include_str!("../scripts/compose/kafka-acls.sh");
        for (service, principal) in [
            ("migrate", "ekino_migrate"),
            ("ingest-1", "ekino_ingest"),
            ("api", "ekino_api"),
        ] {
            let env = compose_env(service);
            assert!(!env.is_empty(), "{service} has an environment");
            let s = Settings::load_from(None, env).unwrap_or_else(|e| panic!("{service}: {e:#}"));
            assert_eq!(s.kafka.validate(), Ok(()), "{service}");
            let c = s.kafka.client(service);
            assert_eq!(
                c.get("security.protocol"),
                Some("sasl_plaintext"),
                "{service}"
            );
            assert_eq!(c.get("sasl.mechanism"), Some("SCRAM-SHA-512"), "{service}");
            assert_eq!(c.get("sasl.username"), Some(principal), "{service}");
            assert_eq!(c.get("sasl.password"), Some("stand-in"), "{service}");
            assert!(
                acls.contains(&format!("user {principal} ")),
                "{principal} is made by kafka-acls.sh"
            );
        }
        // The broker offers what the clients use, and nothing anonymous off its loopback.
        let kafka = compose_env("kafka");
        let get = |k: &str| {
            kafka
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("KAFKA_SASL_ENABLED_MECHANISMS"), Some("SCRAM-SHA-512"));
        assert_eq!(get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"), Some("false"));
        let listeners = get("KAFKA_LISTENERS").unwrap();
        for l in listeners.split(',') {
            assert!(
                l.starts_with("SASL_") || l.contains("//127.0.0.1:"),
                "{l}: a listener without authentication outside loopback"
            );
        }
    }
}
