#!/usr/bin/env bash
# Benchmark: importing 100,000 award rows (issue 10) on SQLite and PostgreSQL,
# through the command line, which runs the same import as the API.
#
#   benches/import_awards.sh [ROWS]        # default 100000
#
# Generates (awk) a streams file (10 streams, two years, budgets large enough),
# 1,000 providers and ROWS award rows: half of the contracts one row with no
# year or amount (profiled by the service over two years), half two rows (two
# streams part-funding one year). Loads streams and providers, then times the
# awards import and reports rows/s and peak memory (GNU time). Needs a release
# build (`cargo build --release`) and, for PostgreSQL, a server at
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# where it creates and drops a database.
set -euo pipefail
ROWS=${1:-100000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${COMMISSIONING_BIN:-$HERE/target/release/commissioning}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ADMIN_URL=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

awk 'BEGIN {
  print "code,name,funder,ringfenced,financial_year,budget,budget_status"
  for (s = 1; s <= 10; s++) for (y = 0; y < 2; y++)
    printf "S%02d,Stream %d,Funder %d,true,%s,9000000000.00,confirmed\n", s, s, s, (y ? "2023-24" : "2022-23")
}' > "$WORK/funding-streams.csv"
awk 'BEGIN {
  print "name,kind,charity_number,company_number"
  for (p = 1; p <= 1000; p++) printf "Provider %d,charity,%d,\n", p, 1100000 + p
}' > "$WORK/providers.csv"
awk -v rows="$ROWS" 'BEGIN {
  print "reference,provider,kind,title,start_date,end_date,value,funding_stream_code,financial_year,amount,status"
  n = 0; c = 0
  while (n < rows) {
    c++; p = 1100001 + (c % 1000); s = 1 + (c % 10); t = 1 + ((c + 3) % 10)
    if (c % 2 == 0 || rows - n < 2) {
      printf "B%06d,%d,grant,Service %d,2022-10-01,2023-09-30,%d.%02d,S%02d,,,active\n", c, p, c, 1000 + c % 9000, c % 100, s
      n++
    } else {
      printf "B%06d,%d,contract,Service %d,2022-04-01,2023-03-31,3000.00,S%02d,2022-23,1000.00,active\n", c, p, c, s
      printf "B%06d,%d,contract,Service %d,2022-04-01,2023-03-31,3000.00,S%02d,2022-23,2000.00,active\n", c, p, c, t
      n += 2
    }
  }
}' > "$WORK/awards.csv"
echo "generated $(($(wc -l < "$WORK/awards.csv") - 1)) award rows ($(du -h "$WORK/awards.csv" | cut -f1))"

run() {
  local label=$1 url=$2
  export DATABASE_URL=$url TOKEN_SECRET_FILE=$WORK/secret LOG_LEVEL=error
  local org
  org=$("$BIN" organisation create --name "Bench $label" 2>/dev/null)
  "$BIN" import funding-streams "$WORK/funding-streams.csv" --organisation "$org" --quiet >/dev/null
  "$BIN" import providers "$WORK/providers.csv" --organisation "$org" --quiet >/dev/null
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss" \
    "$BIN" import awards "$WORK/awards.csv" --organisation "$org" --quiet >/dev/null
  end=$(date +%s.%N)
  awk -v rows="$ROWS" -v s="$start" -v e="$end" -v label="$label" -v kb="$(cat "$WORK/rss")" 'BEGIN {
    printf "%-10s %d award rows in %.1f s (%.0f rows/s), peak memory %.0f MB\n", label, rows, e - s, rows / (e - s), kb / 1024
  }'
}

run sqlite "sqlite://$WORK/bench.db"
DB=commissioning_bench_import_$$
psql "$ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
trap 'psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null; rm -rf "$WORK"' EXIT
run postgres "${ADMIN_URL%/*}/$DB"
