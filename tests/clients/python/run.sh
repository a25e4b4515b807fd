#!/usr/bin/env bash
# Python client check (by hand; not part of `cargo test`): generate a client from the served
# OpenAPI document with openapi-python-client, then run check.py against the service: every
# operationId has a generated function, a stream -> provider -> contract -> award -> budget
# report round trip, the /reports/*.csv functions return str, a refused Accept is a 406, the
# lists and audit trail parse into their models, and every id field of every model is a UUID.
#
#   COMMISSIONING_BIN=target/release/commissioning tests/clients/python/run.sh
#
# The tools go in a virtualenv at tests/clients/python/.venv (ignored by git); the version of
# openapi-python-client is pinned in requirements.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."                      # tests/clients
source lib/serve.sh

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r "$here/requirements.txt"
# ruff must be on PATH: the generator formats its output with it, and warns when it cannot.
export PATH="$venv/bin:$PATH"

echo "== $(openapi-python-client --version) from $BASE_URL/openapi.json"
rm -rf "$here/generated"
mkdir -p "$here/generated"
log="$CHECK_WORK/openapi-python-client.log"
(cd "$here/generated" && openapi-python-client generate --url "$BASE_URL/openapi.json" \
    --meta none --output-path commissioning_client) 2>&1 | tee "$log"
if grep -qiE 'warning|error' "$log"; then
  echo "== the generator printed warnings (verbatim above, also in $log)"
else
  echo "== the generator printed no warnings"
fi

python "$here/check.py" "$CHECK_DOC" "$here/generated"
