#!/bin/bash
# The ClickHouse users of the production shape (docker-compose.yml mounts this into
# /docker-entrypoint-initdb.d; the image runs it once, on an empty data volume). The same
# roles scripts/services.sh writes into users.xml for ClickHouse 18.16, here with SQL users
# and grants, which a current ClickHouse has:
#   ekino_admin     migrations and the operator's commands (`ekino migrate`, `registry load`, `keys`)
#   ekino_ingest    reads and writes the events database only
#   ekino_api       reads the events database (readonly) and writes the application database
#   ekino_bi        reads both (readonly=1), for Grafana, Superset or Metabase
# Passwords come from the environment (compose reads them from .env or the shell; never
# committed). The API's one user serves as both its identities here: a current ClickHouse
# grants per database, so `clickhouse.read_user` stays empty.
set -euo pipefail
: "${EKINO_CH_ADMIN_PASSWORD:?}" "${EKINO_CH_INGEST_PASSWORD:?}" "${EKINO_CH_API_PASSWORD:?}" "${EKINO_CH_BI_PASSWORD:?}"
EVENTS=${EKINO_CH_DATABASE:-ekino}
APP=${EVENTS}_app
clickhouse client --multiquery <<SQL
CREATE DATABASE IF NOT EXISTS ${EVENTS};
CREATE DATABASE IF NOT EXISTS ${APP};
CREATE USER IF NOT EXISTS ekino_admin IDENTIFIED WITH sha256_password BY '${EKINO_CH_ADMIN_PASSWORD}';
GRANT ALL ON ${EVENTS}.* TO ekino_admin;
GRANT ALL ON ${APP}.* TO ekino_admin;
GRANT SELECT ON system.* TO ekino_admin;
CREATE USER IF NOT EXISTS ekino_ingest IDENTIFIED WITH sha256_password BY '${EKINO_CH_INGEST_PASSWORD}' DEFAULT DATABASE ${EVENTS};
GRANT SELECT, INSERT ON ${EVENTS}.* TO ekino_ingest;
GRANT CREATE TEMPORARY TABLE ON *.* TO ekino_ingest;
CREATE USER IF NOT EXISTS ekino_api IDENTIFIED WITH sha256_password BY '${EKINO_CH_API_PASSWORD}' DEFAULT DATABASE ${APP} SETTINGS max_threads = 1;
GRANT SELECT ON ${EVENTS}.* TO ekino_api;
GRANT SELECT, INSERT ON ${APP}.* TO ekino_api;
CREATE SETTINGS PROFILE IF NOT EXISTS ekino_bi_profile SETTINGS readonly = 1;
CREATE USER IF NOT EXISTS ekino_bi IDENTIFIED WITH sha256_password BY '${EKINO_CH_BI_PASSWORD}' DEFAULT DATABASE ${EVENTS} SETTINGS PROFILE ekino_bi_profile;
GRANT SELECT ON ${EVENTS}.* TO ekino_bi;
GRANT SELECT ON ${APP}.* TO ekino_bi;
SQL
