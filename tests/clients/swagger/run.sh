#!/usr/bin/env bash
# Swagger UI "Try it out" check (by hand; not part of `cargo test`): puppeteer-core drives the
# system chromium headless over /docs/, authorises with the bearer token and executes every GET
# operation without path parameters; each must call its own path and answer 200. It then lists
# what "Try it out" pre-fills for every other operation and, on the throwaway service this script
# starts, executes the create operations with their example bodies as pre-filled, typing only
# the seeded records' ids and ETags where a path or If-Match needs one (notes, not failures).
#
#   COMMISSIONING_BIN=target/release/commissioning tests/clients/swagger/run.sh
#
# Needs chromium (Debian: apt-get install -y chromium), or CHROMIUM=/path/to/chrome.
set -euo pipefail
cd "$(dirname "$0")/.."            # tests/clients
export CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "no chromium: apt-get install -y chromium, or set CHROMIUM" >&2
  exit 2
fi
source lib/serve.sh
[ -d node_modules ] || npm ci --no-audit --no-fund

# Something for the lists and reports to show: the README's stream, provider and awarded grant,
# and a 2022-23 draft contract (no funding lines) for the write probes.
api="$BASE_URL/api/v1"
auth="Authorization: Bearer $TOKEN"
json="Content-Type: application/json"
id() { sed -nE 's/^\{"id":"([^"]+)".*/\1/p'; }
run=$(date +%s)
stream=$(curl -sf -X POST "$api/funding-streams" -H "$auth" -H "$json" -d '{
  "code": "VSS-'"$run"'", "name": "Victims Specialist Services", "funder": "Ministry of Justice",
  "ringfenced": true, "budgets": [{"financial_year": "2022-23", "amount": "213940.00", "status": "confirmed"}]}' | id)
provider=$(curl -sf -X POST "$api/providers" -H "$auth" -H "$json" -d '{
  "name": "Dandelion Time '"$run"'", "kind": "charity", "charity_number": "1150222"}' | id)
grant_etag=$(curl -sf -D - -o "$CHECK_WORK/grant.json" -X POST "$api/contracts" -H "$auth" -H "$json" -d '{
  "provider_id": "'"$provider"'", "kind": "grant", "title": "Support for children and families",
  "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "35000.00",
  "funding_lines": [{"funding_stream_id": "'"$stream"'", "financial_year": "2022-23", "amount": "35000.00"}]}' \
  | sed -n 's/^etag: *//Ip' | tr -d '\r')
grant=$(id <"$CHECK_WORK/grant.json")
curl -sf -o /dev/null -X POST "$api/contracts/$grant/status" -H "$auth" -H "$json" -H "If-Match: $grant_etag" \
  -d '{"status": "active"}'
draft=$(curl -sf -X POST "$api/contracts" -H "$auth" -H "$json" -d '{
  "provider_id": "'"$provider"'", "kind": "contract", "title": "Draft for the write probes",
  "start_date": "2022-04-01", "end_date": "2023-03-31", "value": "12000.00"}' | id)
echo "seeded stream $stream, provider $provider, awarded grant $grant, draft $draft"
export SEED_STREAM=$stream SEED_GRANT=$grant SEED_DRAFT=$draft

echo "== $(node -p 'require("puppeteer-core/package.json").version' | sed 's/^/puppeteer-core /'), $("$CHROMIUM" --version 2>/dev/null)"
WRITE_PROBES=$CHECK_OWN_SERVICE SCREENSHOTS=${SCREENSHOTS:-swagger/screenshots} node swagger/check.mjs
