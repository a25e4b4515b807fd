# Sourced by the run.sh of each client check. Starts the service on a throwaway SQLite
# database with an organisation and two tokens, fetches the served OpenAPI document, and
# stops the service when the calling script exits. Builds nothing: it runs a binary that
# is already built.
#
# In:  COMMISSIONING_BIN  the service binary (default: target/release/commissioning, then
#                         target/debug/commissioning)
#      PORT               where to serve (default 18080)
#      BASE_URL + TOKEN + FINANCE_TOKEN   all three set: use that running service instead
#                         of starting one (the check then writes records into its database)
# Out: BASE_URL, TOKEN (commissioner), FINANCE_TOKEN (finance), CHECK_WORK (a temp folder),
#      CHECK_DOC (the served document, saved in CHECK_WORK), CHECK_OWN_SERVICE (1 when this
#      script started the service, so its database is a throwaway one; else 0)

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CHECK_WORK=$(mktemp -d "${TMPDIR:-/tmp}/client-check.XXXXXX")
export CHECK_WORK

if [ -n "${BASE_URL:-}" ] && [ -n "${TOKEN:-}" ] && [ -n "${FINANCE_TOKEN:-}" ]; then
  echo "using the running service at $BASE_URL"
  CHECK_OWN_SERVICE=0
else
  bin=${COMMISSIONING_BIN:-}
  if [ -z "$bin" ]; then
    for candidate in "$repo_root/target/release/commissioning" "$repo_root/target/debug/commissioning"; do
      [ -x "$candidate" ] && { bin=$candidate; break; }
    done
  fi
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "no service binary: build one (cargo build --release) or set COMMISSIONING_BIN" >&2
    exit 2
  fi
  port=${PORT:-18080}
  if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then
    echo "something already answers on 127.0.0.1:$port; stop it or set PORT" >&2
    exit 2
  fi
  export DATABASE_URL="sqlite://$CHECK_WORK/db.sqlite" PORT=$port HOST=127.0.0.1
  export TOKEN_SECRET=client-check-secret-at-least-32-bytes-long
  "$bin" migrate >"$CHECK_WORK/setup.log" 2>&1
  # `organisation create` prints the id on stdout and says where it wrote on stderr.
  org=$("$bin" organisation create --name "Example OPCC" 2>>"$CHECK_WORK/setup.log")
  TOKEN=$("$bin" token --organisation "$org" --role commissioner --subject client-check-commissioner 2>>"$CHECK_WORK/setup.log")
  FINANCE_TOKEN=$("$bin" token --organisation "$org" --role finance --subject client-check-finance 2>>"$CHECK_WORK/setup.log")
  LOG_LEVEL=warn "$bin" serve >"$CHECK_WORK/service.log" 2>&1 &
  service_pid=$!
  # Stop the service we started (by its pid) however the calling script ends.
  trap 'kill "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null || true' EXIT
  BASE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 50); do curl -sf "$BASE_URL/readyz" >/dev/null && break; sleep 0.2; done
  if ! curl -sf "$BASE_URL/readyz" >/dev/null; then
    echo "the service did not become ready; its log:" >&2
    cat "$CHECK_WORK/service.log" >&2
    exit 2
  fi
  CHECK_OWN_SERVICE=1
  echo "service $bin on $BASE_URL (database $DATABASE_URL, pid $service_pid)"
fi
export BASE_URL TOKEN FINANCE_TOKEN CHECK_OWN_SERVICE

CHECK_DOC="$CHECK_WORK/openapi.json"
export CHECK_DOC
curl -sf "$BASE_URL/openapi.json" -o "$CHECK_DOC"
if cmp -s "$CHECK_DOC" "$repo_root/openapi/openapi.json"; then
  echo "served /openapi.json is byte-identical to openapi/openapi.json"
else
  echo "WARNING: served /openapi.json differs from the committed openapi/openapi.json:" >&2
  diff <(python3 -m json.tool --sort-keys "$repo_root/openapi/openapi.json") \
       <(python3 -m json.tool --sort-keys "$CHECK_DOC") | head -40 >&2 || true
fi
