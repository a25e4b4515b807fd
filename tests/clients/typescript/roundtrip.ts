// A round trip through the API with a client generated from the served OpenAPI document:
// openapi-typescript makes `generated/api.d.ts`, openapi-fetch makes the calls. Everything
// below is checked by `tsc --noEmit` in strict mode; there is no `any` and no ts-ignore, so
// if the document's types were wrong for these calls, this file would not compile.
//
//   BASE_URL=http://127.0.0.1:18080 TOKEN=... FINANCE_TOKEN=... npx tsx typescript/roundtrip.ts
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.d.ts";

type Problem = components["schemas"]["Problem"];
type Money = components["schemas"]["Money"];
type FinancialYear = components["schemas"]["FinancialYear"];
type Contract = components["schemas"]["Contract"];
type AuditEvent = components["schemas"]["AuditEvent"];
type ReturnDue = components["schemas"]["ReturnDue"];

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`set ${name}`);
  return value;
}

const baseUrl = env("BASE_URL");
const commissioner = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${env("TOKEN")}` },
});
const finance = createClient<paths>({
  baseUrl,
  headers: { Authorization: `Bearer ${env("FINANCE_TOKEN")}` },
});

function fail(message: string): never {
  throw new Error(message);
}

/** The body of a successful call, or a failure naming the step and the problem the service gave. */
function ok<T>(step: string, result: { data?: T; error?: Problem | undefined; response: Response }): T {
  if (result.data === undefined) {
    const problem = result.error;
    const detail = problem ? `${problem.title}: ${problem.detail}` : "no body";
    return fail(`${step}: HTTP ${result.response.status}: ${detail}`);
  }
  return result.data;
}

function equal<T>(what: string, actual: T, expected: T): void {
  if (actual !== expected) fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  console.log(`ok   ${what} = ${String(actual)}`);
}

const run = Date.now().toString(36);
const year: FinancialYear = "2022-23";
const budget: Money = "664540.39";
const award: Money = "35000.50";

// 1. A funding stream with its 2022-23 budget.
const stream = ok(
  "POST /api/v1/funding-streams",
  await commissioner.POST("/api/v1/funding-streams", {
    body: {
      code: `TS-${run}`,
      name: "Victims Specialist Services",
      funder: "Ministry of Justice",
      ringfenced: true,
      budgets: [{ financial_year: year, amount: budget, status: "confirmed" }],
    },
  }),
);
console.log(`created funding stream ${stream.id} (${stream.code})`);

// 2. A provider.
const provider = ok(
  "POST /api/v1/providers",
  await commissioner.POST("/api/v1/providers", {
    body: { name: `Dandelion Time ${run}`, kind: "charity", charity_number: "1150222" },
  }),
);
console.log(`created provider ${provider.id}`);

// 3. A grant funded wholly from the stream in 2022-23.
const created = await commissioner.POST("/api/v1/contracts", {
  params: { header: { "Idempotency-Key": `ts-grant-${run}` } },
  body: {
    provider_id: provider.id,
    kind: "grant",
    title: "Support for children and families",
    start_date: "2022-04-01",
    end_date: "2023-03-31",
    value: award,
    funding_lines: [{ funding_stream_id: stream.id, financial_year: year, amount: award }],
  },
});
const contract = ok("POST /api/v1/contracts", created);
equal("new contract status", contract.status, "draft");
// The document declares the 201's ETag header; openapi-fetch hands back the raw Response for headers.
const etag = created.response.headers.get("ETag") ?? fail("POST /api/v1/contracts: no ETag header");
console.log(`created contract ${contract.id}, ETag ${etag}`);

// 4. Award it: If-Match with the ETag of the create response.
const awarded = ok(
  "POST /api/v1/contracts/{id}/status",
  await commissioner.POST("/api/v1/contracts/{id}/status", {
    params: { path: { id: contract.id }, header: { "If-Match": etag } },
    body: { status: "active" },
  }),
);
equal("contract status after award", awarded.status, "active");

// 5. The stream now shows the award as committed.
const streamAfter = ok(
  "GET /api/v1/funding-streams/{id}",
  await commissioner.GET("/api/v1/funding-streams/{id}", { params: { path: { id: stream.id } } }),
);
const yearBudget = streamAfter.budgets.find((b) => b.financial_year === year) ?? fail(`stream has no ${year} budget`);
equal("stream budget", yearBudget.budget, budget);
equal("stream committed", yearBudget.committed, award);

// 6. The budget report, as JSON (finance's token). The path answers JSON only, so the body is
// typed `BudgetReport` and is read without first ruling out a string.
const report = ok(
  "GET /api/v1/reports/budget",
  await finance.GET("/api/v1/reports/budget", { params: { query: { financial_year: year } } }),
);
const line =
  report.streams.find((s) => s.funding_stream_id === stream.id && s.financial_year === year) ??
  fail("budget report: no line for the new stream");
equal("budget report (JSON) stream committed", line.committed, award);
equal("budget report (JSON) stream budget", line.budget, budget);
equal("budget report (JSON) stream over_committed", line.over_committed, false);

// 7. The same report as CSV text: a .csv path documented as text/csv, read with parseAs "text".
const csv: string = ok(
  "GET /api/v1/reports/budget.csv",
  await finance.GET("/api/v1/reports/budget.csv", {
    params: { query: { financial_year: year } },
    parseAs: "text",
  }),
);
const [header, ...rows] = csv.trim().split(/\r?\n/).map((row) => row.split(","));
if (header === undefined) fail("budget.csv: empty");
const column = (name: string): number => {
  const index = header.indexOf(name);
  return index >= 0 ? index : fail(`budget.csv: no ${name} column in ${header.join(",")}`);
};
const streamRow =
  rows.find((row) => row[column("row")] === "stream" && row[column("funding_stream_id")] === stream.id) ??
  fail(`budget.csv: no stream row for ${stream.id}:\n${csv}`);
equal("budget report (CSV) stream committed", streamRow[column("committed")], award);
equal("budget report (CSV) stream budget", streamRow[column("budget")], budget);

// 8. Each report path answers one media type; an Accept that rules it out is a 406 problem,
// documented on both (so `error` is typed Problem, not unknown).
const notJson = await finance.GET("/api/v1/reports/budget", {
  params: { query: { financial_year: year } },
  headers: { Accept: "text/csv" },
});
equal("GET /api/v1/reports/budget with Accept: text/csv: status", notJson.response.status, 406);
equal("... its problem's status", notJson.error?.status, 406);
const notCsv = await finance.GET("/api/v1/reports/budget.csv", {
  params: { query: { financial_year: year } },
  headers: { Accept: "application/json" },
  parseAs: "text",
});
equal("GET /api/v1/reports/budget.csv with Accept: application/json: status", notCsv.response.status, 406);
equal("... its problem's status", notCsv.error?.status, 406);

// 9. Lists are pages of their own item schema: the contracts list holds the awarded grant.
const contracts = ok(
  "GET /api/v1/contracts",
  await commissioner.GET("/api/v1/contracts", { params: { query: { limit: 500 } } }),
);
const listed: Contract =
  contracts.items.find((c) => c.id === contract.id) ?? fail("contracts list: no new contract");
equal("contracts list: the grant's status", listed.status, "active");

// 10. The audit trail: resource_type is a ResourceType, before/after are open objects.
const trail = ok(
  "GET /api/v1/audit-events",
  await commissioner.GET("/api/v1/audit-events", {
    params: { query: { resource_type: "contract", resource_id: contract.id } },
  }),
);
const awardEvent: AuditEvent =
  trail.items.find((e) => e.action === "status_change") ?? fail("audit trail: no status_change for the grant");
equal("audit status_change resource_type", awardEvent.resource_type, "contract");
equal("audit status_change before.status", awardEvent.before?.["status"], "draft");
equal("audit status_change after.status", awardEvent.after?.["status"], "active");

// 11. Missing and late returns: a page of ReturnDue. The grant's four 2022-23 quarters are
// long past their due dates and nothing was submitted, so all four are missing.
const due = ok(
  "GET /api/v1/reports/missing-and-late-returns",
  await finance.GET("/api/v1/reports/missing-and-late-returns", {
    params: { query: { financial_year: year, provider_id: provider.id, limit: 500 } },
  }),
);
const missing: ReturnDue[] = due.items.filter((r) => r.contract_id === contract.id && r.state === "missing");
equal("missing returns for the grant", missing.map((r) => r.quarter).join(","), "Q1,Q2,Q3,Q4");

console.log("TypeScript client round trip: all checks passed");
