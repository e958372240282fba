#!/usr/bin/env bash
# The test command: services up (installed when missing), then every unit, property and
# end-to-end test of the workspace against the real services.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/services.sh up
python3 -c "import chdb" 2>/dev/null || pip install --quiet chdb-core
cargo test --workspace --no-fail-fast "$@"
