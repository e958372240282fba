//! Typed settings of the ingest process and of the services it talks to.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaSettings {
    /// `host:port[,host:port]`.
    pub brokers: String,
    pub topic: String,
    /// Declared sessions (`ekino.session/1`), keyed by the cinema's BIN; consumed by
    /// `ekino ingest` in the group `<group_id>.sessions`. Empty: not consumed.
    pub sessions_topic: String,
    /// Online sellers' records (`ekino.partner/1`), keyed by partner id; consumed by
    /// `ekino ingest` in the group `<group_id>.partners`. Empty: not consumed.
    pub partner_topic: String,
    pub group_id: String,
    /// How long the broker may hold a fetch waiting for data. Low values raise throughput on
    /// a local broker (500 ms default → ~60 k msg/s, 5 ms → ~490 k msg/s measured here) at the
    /// cost of more idle fetch requests.
    pub fetch_wait_max_ms: u32,
    /// How long librdkafka postpones the next fetch of a partition once its prefetch queue is
    /// full. librdkafka ≥ 2.4 waits 1 s by default: a consumer that judges more slowly than the
    /// broker delivers then empties its queue and idles until the second is over, which held
    /// ingest at ~55,000 events/s here; 50 ms measured fastest (10 ms: 212 k/s, 50 ms: 302 k/s,
    /// 200 ms: 221 k/s, 1 s: 68 k/s; consumer and judge alone, 1 M events).
    pub fetch_queue_backoff_ms: u32,
    /// The consumer polls while it waits for the writer or a partition's book (partitions
    /// paused), so this only has to cover the time between two polls of a busy consumer.
    /// It is also the *rebalance* timeout librdkafka sends, which is how long tansu's group
    /// coordinator waits for a killed member: short keeps a restart quick (see `watchdog`).
    pub max_poll_interval_ms: u32,
    pub session_timeout_ms: u32,
    /// Static group membership (Kafka's `group.instance.id`): a restarted ingest with the same
    /// id takes its partitions back at once instead of waiting for the coordinator to expire
    /// the dead member. One id per ingest process (e.g. the host name); empty to disable.
    /// Off by default: tansu 0.6 does not honour it (a restarted static member was seen never
    /// to get its partitions back); use it with Apache Kafka.
    pub group_instance_id: String,
    /// How every ekino client (ingest, the upload producer, the claim decider, the simulator,
    /// the benchmarks, topic set-up) meets the broker: librdkafka's `security.protocol`,
    /// `plaintext` (a loopback broker only), `ssl`, `sasl_plaintext` (a private network) or
    /// `sasl_ssl`.
    pub security_protocol: String,
    /// With SASL: `SCRAM-SHA-512` (what the compose shape runs), `SCRAM-SHA-256` or `PLAIN`.
    pub sasl_mechanism: String,
    /// The principal this process acts as (see README, "Trust model").
    pub sasl_username: String,
    #[serde(skip_serializing)]
    pub sasl_password: Secret,
    /// With TLS: the CA that signed the broker's certificate (PEM file); empty: the system's.
    pub ssl_ca_location: String,
    /// With mutual TLS: this client's certificate and key (PEM files), and the key's password.
    pub ssl_certificate_location: String,
    pub ssl_key_location: String,
    #[serde(skip_serializing)]
    pub ssl_key_password: Secret,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            topic: "ekino.tickets".into(),
            sessions_topic: "ekino.sessions".into(),
            partner_topic: "ekino.partner_sales".into(),
            group_id: "ekino-ingest".into(),
            fetch_wait_max_ms: 10,
            fetch_queue_backoff_ms: 50,
            max_poll_interval_ms: 10_000,
            session_timeout_ms: 6_000,
            group_instance_id: String::new(),
            security_protocol: "plaintext".into(),
            sasl_mechanism: String::new(),
            sasl_username: String::new(),
            sasl_password: Secret::default(),
            ssl_ca_location: String::new(),
            ssl_certificate_location: String::new(),
            ssl_key_location: String::new(),
            ssl_key_password: Secret::default(),
        }
    }
}

impl KafkaSettings {
    /// Cross-field checks of the broker credentials, naming the keys.
    pub fn validate(&self) -> Result<(), String> {
        let sasl = match self.security_protocol.as_str() {
            "plaintext" | "ssl" => false,
            "sasl_plaintext" | "sasl_ssl" => true,
            other => {
                return Err(format!(
                    "kafka.security_protocol must be plaintext, ssl, sasl_plaintext or sasl_ssl, not {other:?}"
                ))
            }
        };
        if sasl {
            if !matches!(
                self.sasl_mechanism.as_str(),
                "SCRAM-SHA-512" | "SCRAM-SHA-256" | "PLAIN"
            ) {
                return Err(format!(
                    "kafka.sasl_mechanism must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN with kafka.security_protocol {}, not {:?}",
                    self.security_protocol, self.sasl_mechanism
                ));
            }
            if self.sasl_username.is_empty() || self.sasl_password.expose().is_empty() {
                return Err(format!(
                    "kafka.sasl_username and kafka.sasl_password are required with kafka.security_protocol {}",
                    self.security_protocol
                ));
            }
        } else if !self.sasl_mechanism.is_empty() || !self.sasl_username.is_empty() {
            return Err(format!(
                "kafka.sasl_* are set but kafka.security_protocol is {}: the credentials would not be used",
                self.security_protocol
            ));
        }
        if self.ssl_certificate_location.is_empty() != self.ssl_key_location.is_empty() {
            return Err(
                "kafka.ssl_certificate_location and kafka.ssl_key_location go together".into(),
            );
        }
        Ok(())
    }

    /// A librdkafka configuration reaching the brokers as these settings say, named
    /// `client_id` in the broker's logs; each client adds its own properties.
    pub fn client(&self, client_id: &str) -> rdkafka::ClientConfig {
        let mut c = rdkafka::ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", client_id)
            .set("security.protocol", &self.security_protocol);
        for (key, value) in [
            ("sasl.mechanism", self.sasl_mechanism.as_str()),
            ("sasl.username", self.sasl_username.as_str()),
            ("sasl.password", self.sasl_password.expose()),
            ("ssl.ca.location", self.ssl_ca_location.as_str()),
            (
                "ssl.certificate.location",
                self.ssl_certificate_location.as_str(),
            ),
            ("ssl.key.location", self.ssl_key_location.as_str()),
            ("ssl.key.password", self.ssl_key_password.expose()),
        ] {
            if !value.is_empty() {
                c.set(key, value);
            }
        }
        c
    }
}

/// A password from settings: never printed (`Debug` and `Display` show `***`) and never
/// written back out (`Serialize` is skipped by the settings that hold one).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for the one place that sends it (the client's credentials).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// ClickHouse and the identities ekino uses there.
///
/// Storage is split in two databases (see `schemas::ddl::Store`): `database` holds the events
/// and aggregates, `app_database` (default `<database>_app`) the registry, keys, audit and
/// claims. `user` is the identity a process writes with (ingest: the events database; the API:
/// the application database); the API reads the events database as `read_user` (a
/// `readonly=2` user allowed both databases), which defaults to `user` for a single-user setup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseSettings {
    pub url: String,
    pub database: String,
    /// Empty: `<database>_app`.
    pub app_database: String,
    pub user: String,
    #[serde(skip_serializing)]
    pub password: Secret,
    /// Empty: `user` (and `password`).
    pub read_user: String,
    #[serde(skip_serializing)]
    pub read_password: Secret,
    pub query_timeout_ms: u64,
    /// Client side: a reply silent this long is abandoned (a hung server, a network that drops
    /// packets without a reset). Above the longest statement ingest sends (a day's rollup
    /// rebuild); the API reads with `api.query_timeout_ms` plus a second instead.
    pub read_timeout_ms: u64,
}

impl Default for ClickHouseSettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8123".into(),
            database: "ekino".into(),
            app_database: String::new(),
            user: "default".into(),
            password: Secret::default(),
            read_user: String::new(),
            read_password: Secret::default(),
            query_timeout_ms: 30_000,
            read_timeout_ms: 120_000,
        }
    }
}

impl ClickHouseSettings {
    /// The application database's name.
    pub fn app_database(&self) -> String {
        if self.app_database.is_empty() {
            format!("{}_app", self.database)
        } else {
            self.app_database.clone()
        }
    }

    /// The identity that reads the events database: `read_user`, else `user`.
    pub fn reader(&self) -> (&str, &Secret) {
        if self.read_user.is_empty() {
            (&self.user, &self.password)
        } else {
            (&self.read_user, &self.read_password)
        }
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn passwords_never_reach_debug_or_serialised_settings() {
        let s = ClickHouseSettings {
            password: Secret::new("hunter2"),
            read_password: Secret::new("s3cret"),
            ..Default::default()
        };
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cret"),
            "{debug}"
        );
        assert!(debug.contains("***"));
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            !json.contains("hunter2") && !json.contains("s3cret") && !json.contains("password"),
            "{json}"
        );
        assert_eq!(s.app_database(), "ekino_app");
        assert_eq!(s.reader().0, "default");
    }
}

/// Batching, back-pressure and retry limits.
///
/// Trade-off of the defaults: a batch closes at 50,000 rows, 16 MiB or 500 ms, whichever
/// comes first. Large batches keep ClickHouse parts few (18.16 merges slowly; "too many parts"
/// is the usual way to hurt it); 500 ms keeps reports within about a second of the till at
/// low traffic. Two batches may wait for the writer, so at most ~3 batches are in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    pub max_rows: usize,
    pub max_bytes: usize,
    pub period_ms: u64,
    pub channel_batches: usize,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    /// How long SIGTERM waits for the last batch to reach ClickHouse before exiting.
    pub shutdown_timeout_ms: u64,
    /// Where Prometheus `/metrics` listens; empty to disable.
    pub metrics_addr: String,
    /// Under a backlog, how long batches may share one recompute of the daily aggregates
    /// (and one offset commit). Without a backlog each batch settles at once.
    pub rollup_max_defer_ms: u64,
    /// A batch not written after this long raises `ekino_ingest_stalled` and an error log
    /// naming its partition and offset (ClickHouse down, or refusing every row alike).
    pub stall_alert_ms: u64,
    /// How long ingest remembers an event id to tell re-sends and conflicts (per partition,
    /// in memory; see `judge`). At least the stale limit, so an id cannot be forgotten while
    /// an event carrying it could still be accepted.
    pub dedup_horizon_days: u32,
    /// When the topic has lag that this process is not consuming for this long, it leaves
    /// and re-joins the group (a coordinator that waits on a dead member).
    pub watchdog_ms: u64,
    /// How long a revoked partition waits for the batch being stored before this member
    /// rejoins the group (see `fence`); below `kafka.max_poll_interval_ms`.
    pub revoke_wait_ms: u64,
}

impl Default for IngestSettings {
    fn default() -> Self {
        Self {
            max_rows: 50_000,
            max_bytes: 16 * 1024 * 1024,
            period_ms: 500,
            channel_batches: 2,
            retry_initial_ms: 100,
            retry_max_ms: 5_000,
            shutdown_timeout_ms: 8_000,
            metrics_addr: "127.0.0.1:9187".into(),
            rollup_max_defer_ms: 1000,
            stall_alert_ms: 60_000,
            dedup_horizon_days: 400,
            watchdog_ms: 60_000,
            revoke_wait_ms: 5_000,
        }
    }
}

impl IngestSettings {
    /// Cross-field checks, failing with a message that names the keys.
    pub fn validate(
        &self,
        kafka: &KafkaSettings,
        reporting: &schemas::clock::ReportingSettings,
    ) -> Result<(), String> {
        if self.max_rows == 0
            || self.max_bytes == 0
            || self.period_ms == 0
            || self.channel_batches == 0
        {
            return Err("ingest.max_rows, ingest.max_bytes, ingest.period_ms and ingest.channel_batches must be positive".into());
        }
        if self.retry_initial_ms == 0 || self.retry_initial_ms > self.retry_max_ms {
            return Err(
                "ingest.retry_initial_ms must be positive and at most ingest.retry_max_ms".into(),
            );
        }
        if u64::from(kafka.max_poll_interval_ms) <= self.retry_max_ms {
            return Err("kafka.max_poll_interval_ms must exceed ingest.retry_max_ms".into());
        }
        if self.dedup_horizon_days < reporting.max_event_age_days {
            return Err("ingest.dedup_horizon_days must be at least reporting.max_event_age_days (an id must outlive every event that may carry it)".into());
        }
        if u64::from(kafka.max_poll_interval_ms) <= self.revoke_wait_ms {
            return Err("kafka.max_poll_interval_ms must exceed ingest.revoke_wait_ms".into());
        }
        if self.stall_alert_ms == 0 || self.watchdog_ms == 0 {
            return Err("ingest.stall_alert_ms and ingest.watchdog_ms must be positive".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod kafka_tests {
    use super::*;

    fn sasl() -> KafkaSettings {
        KafkaSettings {
            brokers: "kafka:9092".into(),
            security_protocol: "sasl_ssl".into(),
            sasl_mechanism: "SCRAM-SHA-512".into(),
            sasl_username: "ekino_ingest".into(),
            sasl_password: Secret::new("hunter2"),
            ssl_ca_location: "/etc/ekino/kafka-ca.pem".into(),
            ..KafkaSettings::default()
        }
    }

    #[test]
    fn every_client_carries_the_credentials_and_only_the_ones_set() {
        let c = sasl().client("ekino-test");
        for (key, want) in [
            ("bootstrap.servers", "kafka:9092"),
            ("client.id", "ekino-test"),
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "ekino_ingest"),
            ("sasl.password", "hunter2"),
            ("ssl.ca.location", "/etc/ekino/kafka-ca.pem"),
        ] {
            assert_eq!(c.get(key), Some(want), "{key}");
        }
        assert_eq!(c.get("ssl.key.location"), None);
        let plain = KafkaSettings::default().client("ekino-test");
        assert_eq!(plain.get("security.protocol"), Some("plaintext"));
        assert_eq!(plain.get("sasl.username"), None);
    }

    #[test]
    fn credentials_are_checked_and_never_printed() {
        assert_eq!(sasl().validate(), Ok(()));
        assert_eq!(KafkaSettings::default().validate(), Ok(()));
        let no_password = KafkaSettings {
            sasl_password: Secret::default(),
            ..sasl()
        };
        assert!(no_password
            .validate()
            .unwrap_err()
            .contains("kafka.sasl_password"));
        let typo = KafkaSettings {
            security_protocol: "sasl-ssl".into(),
            ..sasl()
        };
        assert!(typo
            .validate()
            .unwrap_err()
            .contains("kafka.security_protocol"));
        let unused = KafkaSettings {
            security_protocol: "plaintext".into(),
            ..sasl()
        };
        assert!(unused.validate().unwrap_err().contains("would not be used"));
        let mechanism = KafkaSettings {
            sasl_mechanism: "GSSAPI".into(),
            ..sasl()
        };
        assert!(mechanism
            .validate()
            .unwrap_err()
            .contains("kafka.sasl_mechanism"));
        let debug = format!("{:?}", sasl());
        assert!(!debug.contains("hunter2"), "{debug}");
        let written = serde_json::to_string(&sasl()).unwrap();
        assert!(!written.contains("hunter2"), "{written}");
    }
}
