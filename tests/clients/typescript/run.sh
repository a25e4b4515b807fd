#!/usr/bin/env bash
# TypeScript client check (by hand; not part of `cargo test`): generate types from the served
# OpenAPI document with openapi-typescript, type-check a round trip written with openapi-fetch
# (`tsc --noEmit`, strict, no `any` and no ts-ignore), then run it against the service.
#
#   COMMISSIONING_BIN=target/release/commissioning tests/clients/typescript/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."            # tests/clients
source lib/serve.sh
[ -d node_modules ] || npm ci --no-audit --no-fund

echo "== openapi-typescript $(npx openapi-typescript --version) from $BASE_URL/openapi.json"
rm -rf typescript/generated
npx openapi-typescript "$BASE_URL/openapi.json" -o typescript/generated/api.d.ts

echo "== no escape hatches in the program"
if grep -nE '(:|\bas|<|\|)\s*any\b|@ts-ignore|@ts-expect-error|@ts-nocheck|as unknown as' typescript/roundtrip.ts; then
  echo "roundtrip.ts must not use any, casts through unknown, or ts-ignore comments" >&2
  exit 1
fi

echo "== tsc $(npx tsc --version) --noEmit (strict)"
npx tsc -p typescript/tsconfig.json --noEmit

echo "== round trip against $BASE_URL"
npx tsx typescript/roundtrip.ts
