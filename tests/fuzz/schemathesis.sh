#!/usr/bin/env bash
# Fuzzes the running service against its own OpenAPI document with schemathesis
# (pip install schemathesis), as a commissioner and as a provider, on SQLite and
# on PostgreSQL. Not part of `cargo test`: it takes minutes and needs PyPI.
#
#   tests/fuzz/schemathesis.sh [sqlite|postgres|both] [max-examples per operation]
#
# Each backend gets a fresh database with an organisation, a stream, a provider
# and an active contract, so provider-scoped routes have something to find.
# Exits non-zero when schemathesis reports a failure (a 5xx, a response that
# does not match the document, ...).
set -euo pipefail
cd "$(dirname "$0")/../.."

backends=${1:-both}
examples=${2:-30}
[ "$backends" = both ] && backends="sqlite postgres"
cargo build -q
bin=target/debug/commissioning
export TOKEN_SECRET=schemathesis-secret-of-at-least-32-bytes-long
work=$(mktemp -d)
status=0

run_backend() {
  local backend=$1 port=$2 url
  case $backend in
    sqlite) url="sqlite://$work/fuzz.db" ;;
    postgres)
      local name="commissioning_fuzz_$$"
      psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
      url="postgres://postgres@127.0.0.1:5432/$name" ;;
  esac
  export DATABASE_URL=$url PORT=$port HOST=127.0.0.1
  local org token api=http://127.0.0.1:$port/api/v1
  org=$($bin organisation create --name "Fuzzed commissioner")
  token=$($bin token --organisation "$org" --role commissioner --subject fuzz-commissioner)
  LOG_LEVEL=warn $bin serve >"$work/$backend.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  local auth="Authorization: Bearer $token" json="Content-Type: application/json" stream provider contract
  stream=$(curl -sf -X POST "$api/funding-streams" -H "$auth" -H "$json" -d '{"code":"FUZZ","name":"Fuzz","funder":"Ministry of Justice","ringfenced":true,"budgets":[{"financial_year":"2022-23","amount":"100000.00","status":"confirmed"}]}' | sed -E 's/^\{"id":"([^"]+)".*/\1/')
  provider=$(curl -sf -X POST "$api/providers" -H "$auth" -H "$json" -d '{"name":"Fuzzed charity","kind":"charity"}' | sed -E 's/^\{"id":"([^"]+)".*/\1/')
  contract=$(curl -sf -X POST "$api/contracts" -H "$auth" -H "$json" -d '{"provider_id":"'"$provider"'","kind":"grant","title":"Fuzz","start_date":"2022-04-01","end_date":"2023-03-31","value":"1000.00","funding_lines":[{"funding_stream_id":"'"$stream"'","financial_year":"2022-23","amount":"1000.00"}]}' | sed -E 's/^\{"id":"([^"]+)".*/\1/')
  local tag
  tag=$(curl -s -D - -o /dev/null "$api/contracts/$contract" -H "$auth" | sed -n 's/^etag: *//Ip' | tr -d '\r')
  curl -sf -X POST "$api/contracts/$contract/status" -H "$auth" -H "$json" -H "If-Match: $tag" -d '{"status":"active"}' >/dev/null
  local provider_token
  provider_token=$($bin token --organisation "$org" --role provider --provider "$provider" --subject fuzz-provider)
  for who in commissioner provider; do
    local t=$token
    [ $who = provider ] && t=$provider_token
    echo "== schemathesis: $backend as $who (max $examples examples per operation)"
    if ! st --config-file tests/fuzz/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
        --url "http://127.0.0.1:$port" \
        -H "Authorization: Bearer $t" \
        --checks all --max-examples "$examples" --workers 2 \
        --report junit --report-dir "$work/$backend-$who" \
        --suppress-health-check all; then
      status=1
    fi
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if grep -q "panicked" "$work/$backend.log"; then echo "the service panicked on $backend:"; grep -A3 panicked "$work/$backend.log"; status=1; fi
  if [ "$backend" = postgres ]; then
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS commissioning_fuzz_$$ WITH (FORCE)"
  fi
}

port=${FUZZ_PORT:-18180}
for backend in $backends; do run_backend "$backend" $port; port=$((port + 1)); done
echo "reports and service logs: $work"
exit $status
