// Drives the Swagger UI docs page as a person would, in headless Chromium (puppeteer-core and
// the system chromium).
//
// The check: authorise with the bearer token, then for every GET operation without path
// parameters (every list, every report, the health probes) expand it, "Try it out", fill
// required inputs that are empty (a report's financial_year), "Execute", and read the Request
// URL and the response status Swagger shows. Each must be the operation's own path and 200.
//
// Then, not failed on, what "Try it out" pre-fills everywhere else: for every other operation
// the inputs and example body Swagger starts from (a pre-filled header or path id is called out:
// Idempotency-Key and If-Match have no example, and ids must come from the caller); and with
// WRITE_PROBES=1 (run.sh sets it only for the throwaway service it starts) it executes the create
// operations with their example bodies exactly as pre-filled, to show what a person pressing
// Execute gets. Where a path needs an id, the probe types one of the records run.sh seeded
// (SEED_STREAM, SEED_GRANT: awarded, SEED_DRAFT: a draft with no funding lines), and where
// If-Match is required, the ETag a GET of that record answers with, as a person would copy it.
//
//   BASE_URL=http://127.0.0.1:18080 TOKEN=... node swagger/check.mjs
//   (CHROMIUM=/usr/bin/chromium by default; SCREENSHOTS=dir keeps a PNG per GET operation;
//    FINANCE_TOKEN for the probes that need the finance role)
import { mkdirSync } from "node:fs";
import puppeteer from "puppeteer-core";

const baseUrl = process.env.BASE_URL ?? "http://127.0.0.1:18080";
const token = process.env.TOKEN || fail("set TOKEN");
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
const screenshots = process.env.SCREENSHOTS;
const writeProbes = process.env.WRITE_PROBES === "1";
// What to type into a report's input when Swagger leaves it empty. A list needs no input, and
// its optional filters are left as Swagger leaves them.
const REPORT_FILL = { financial_year: "2022-23" };
// Create operations executed with their example bodies as pre-filled by the write probes, in this
// order. `id` names the seeded record typed into the path, `ifMatch` the GET whose ETag is typed
// into If-Match, `as` the token to authorise with (the page is reloaded to change it).
const WRITE_PROBES = [
  { method: "post", path: "/api/v1/funding-streams" },
  { method: "post", path: "/api/v1/funding-streams", why: "Execute pressed a second time" },
  { method: "post", path: "/api/v1/providers" },
  { method: "post", path: "/api/v1/contracts" },
  { method: "post", path: "/api/v1/outcome-measures" },
  { method: "post", path: "/api/v1/outcome-returns" },
  { method: "post", path: "/api/v1/contracts/{id}/funding-lines", id: "SEED_DRAFT" },
  { method: "post", path: "/api/v1/contracts/{id}/status", id: "SEED_DRAFT", why: "If-Match left empty" },
  { method: "post", path: "/api/v1/contracts/{id}/status", id: "SEED_DRAFT", ifMatch: "/api/v1/contracts/{id}" },
  { method: "post", path: "/api/v1/contracts/{id}/variations", id: "SEED_GRANT", ifMatch: "/api/v1/contracts/{id}" },
  {
    method: "put",
    path: "/api/v1/funding-streams/{id}/budgets/{financial_year}",
    id: "SEED_STREAM",
    ifMatch: "/api/v1/funding-streams/{id}",
  },
  { method: "post", path: "/api/v1/contracts/{id}/payments", id: "SEED_GRANT", as: "FINANCE_TOKEN" },
];

function fail(message) {
  throw new Error(message);
}

const doc = await (await fetch(`${baseUrl}/openapi.json`)).json();
const gets = [];
const others = [];
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (!["get", "put", "post", "delete", "patch"].includes(method)) continue;
    const entry = { method, path, operationId: op.operationId };
    (method === "get" && !path.includes("{") ? gets : others).push(entry);
  }
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const rows = [];
const notes = [];
const consoleErrors = [];
let phase = "load";
let page;
try {
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on("console", (message) => {
    // Only while loading and executing the GETs: the write probes' 422s log errors by design.
    if (message.type() === "error" && phase !== "probes") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  await loadAndAuthorise(true);

  console.log("== every GET without path parameters: Try it out, Execute");
  for (const op of gets) {
    const block = await openTryItOut(op);
    if (!block) {
      rows.push({ ...op, url: "(operation not shown on the page)", status: "-", ok: false });
      continue;
    }
    const inputs = await readInputs(block);
    const prefilled = inputs.filter((i) => i.value);
    const typed = [];
    for (const input of inputs) {
      if (input.value) continue;
      const want = op.path.startsWith("/api/v1/reports/") ? REPORT_FILL[input.name] : undefined;
      if (!want && !input.required) continue;
      if (!want) fail(`${op.operationId}: required input ${input.name} is empty and this script has no value for it`);
      await typeInto(block, input.name, input.in, want);
      typed.push(`${input.name}=${want}`);
    }
    const result = await execute(block);
    let urlPath;
    try {
      urlPath = new URL(result.url).pathname;
    } catch {
      urlPath = `(not a URL: ${result.url})`;
    }
    const ok = urlPath === op.path && result.code === 200;
    rows.push({
      ...op,
      ...result,
      ok,
      prefilled: prefilled.map((i) => `${i.name}=${i.value}`).join(" ") || "-",
      typed: typed.join(" ") || "-",
    });
    if (!ok) {
      notes.push(`${op.operationId}: ${urlPath !== op.path ? `path ${urlPath}, not ${op.path}; ` : ""}status ${result.status}: ${result.body.slice(0, 300)}`);
    }
    if (result.status.includes("Undocumented")) notes.push(`${op.operationId}: Swagger marks status ${result.code} as undocumented`);
    if (screenshots) {
      mkdirSync(screenshots, { recursive: true });
      await block.screenshot({ path: `${screenshots}/${op.operationId}.png` });
    }
    await close(block);
  }

  phase = "probes";
  console.log("== what Try it out pre-fills for every other operation (not executed)");
  for (const op of others) {
    const block = await openTryItOut(op);
    if (!block) {
      notes.push(`${op.method.toUpperCase()} ${op.path} (${op.operationId}) is not shown on the page`);
      continue;
    }
    const inputs = await readInputs(block);
    const prefilled = inputs.filter((i) => i.value).map((i) => `${i.name}=${i.value}`);
    for (const input of inputs.filter((i) => i.value && (i.in === "header" || (i.in === "path" && /(^|_)id$/.test(i.name))))) {
      notes.push(`${op.operationId}: Try it out pre-fills ${input.in} ${input.name}=${input.value}`);
    }
    const body = await exampleBody(block);
    console.log(`${op.method.toUpperCase().padEnd(6)} ${op.path} (${op.operationId}): ${prefilled.join(" ") || "nothing pre-filled"}`);
    if (body) console.log(`       example body: ${body}`);
    await close(block);
  }

  const prefillNotes = notes.filter((n) => n.includes("Try it out pre-fills")).length;
  console.log(prefillNotes ? `${prefillNotes} pre-filled headers or path ids (see the notes)` : "no header and no path id is pre-filled");

  if (writeProbes) {
    console.log("== create operations executed with their example bodies as pre-filled");
    let as = "TOKEN";
    for (const probe of WRITE_PROBES) {
      const wanted = probe.as ?? "TOKEN";
      if (wanted !== as) {
        await loadAndAuthorise(false, process.env[wanted] || fail(`set ${wanted}`));
        as = wanted;
        console.log(`(page reloaded, authorised with ${wanted})`);
      }
      const op = others.find((o) => o.method === probe.method && o.path === probe.path) ?? fail(`no ${probe.method} ${probe.path}`);
      const block = await openTryItOut(op);
      if (!block) fail(`${op.operationId} is not shown on the page`);
      const typed = [];
      if (probe.id) {
        const id = process.env[probe.id] || fail(`set ${probe.id}`);
        await typeInto(block, "id", "path", id);
        typed.push(`id=${probe.id}`);
        if (probe.ifMatch) {
          const read = await fetch(`${baseUrl}${probe.ifMatch.replace("{id}", id)}`, {
            headers: { Authorization: `Bearer ${process.env[as]}` },
          });
          const etag = read.headers.get("etag") ?? fail(`GET ${probe.ifMatch}: no ETag`);
          await typeInto(block, "If-Match", "header", etag);
          typed.push(`If-Match=(ETag of GET ${probe.ifMatch})`);
        }
      }
      const inputs = await readInputs(block);
      const prefilled = inputs.filter((i) => i.value && !typed.some((t) => t.startsWith(`${i.name}=`))).map((i) => `${i.name}=${i.value}`);
      const body = await exampleBody(block);
      const title = `${probe.method.toUpperCase()} ${probe.path} (${op.operationId})${probe.why ? `, ${probe.why}` : ""}`;
      const empty = inputs.filter((i) => i.required && !i.value).map((i) => i.name);
      if (empty.length) {
        // Swagger UI does not send a request with a required input empty: it marks the input.
        await (await block.$(".btn.execute")).click();
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const sent = (await block.$(".request-url pre")) !== null;
        const marked = await block.$$eval("tr[data-param-name] .invalid", (els) => els.length);
        console.log(`${title}: ${sent ? "SENT" : "not sent"}, ${marked} input(s) marked invalid (required, empty: ${empty.join(", ")})`);
        await close(block);
        continue;
      }
      const result = await execute(block);
      console.log(`${title} -> ${result.status}`);
      console.log(`       pre-filled ${prefilled.join(" ") || "no parameters"}; typed ${typed.join(" ") || "nothing"}`);
      console.log(`       body ${body}`);
      console.log(`       got ${result.body.replace(/\s+/g, " ").slice(0, 400)}`);
      await close(block);
    }
  }
} finally {
  await browser.close();
}

console.log("== results");
const columns = ["operationId", "prefilled", "typed", "url", "status"];
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
const line = (cells) => `| ${cells.map((c, i) => String(c ?? "").padEnd(widths[i])).join(" | ")} |`;
console.log(line(columns));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(columns.map((c) => row[c])));
for (const note of notes) console.log(`NOTE ${note}`);
if (consoleErrors.length) console.log(`NOTE browser console errors:\n  ${[...new Set(consoleErrors)].join("\n  ")}`);
const failed = rows.filter((r) => !r.ok);
console.log(`${rows.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);

async function loadAndAuthorise(first, bearer = token) {
  await page.goto(`${baseUrl}/docs/`, { waitUntil: "networkidle0" });
  await page.waitForSelector(".opblock", { timeout: 20000 });
  if (first) {
    const version = await page.evaluate(() => globalThis.versions?.swaggerUI?.version ?? "unknown");
    console.log(`Swagger UI ${version} at ${baseUrl}/docs/, ${await browser.version()}`);
    const specErrors = await page.$$eval(".errors-wrapper .error-wrapper", (els) => els.map((e) => e.textContent.trim()));
    if (specErrors.length) notes.push(`Swagger UI shows errors for the document: ${specErrors.join(" | ")}`);
  }
  // Authorize: the bearer scheme's value field, Authorize, Close.
  await page.click(".auth-wrapper .btn.authorize");
  await page.waitForSelector(".modal-ux .auth-container input");
  const schemes = await page.$$eval(".modal-ux .auth-container h4", (els) => els.map((e) => e.textContent.trim()));
  await page.type(".modal-ux .auth-container input", bearer);
  await page.click(".modal-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize");
  await page.waitForSelector(".modal-ux .auth-btn-wrapper .btn-done");
  const dialog = await page.$eval(".modal-ux .auth-container", (e) => e.textContent);
  if (!/Authorized/.test(dialog)) fail(`the Authorize dialog did not accept the token: ${dialog}`);
  await page.click(".modal-ux .auth-btn-wrapper .btn-done");
  await page.waitForSelector(".modal-ux", { hidden: true });
  if (first) console.log(`authorised (${schemes.join(", ")})`);
}

/** Expands the operation and presses "Try it out"; null when the page does not show it. */
async function openTryItOut(op) {
  let block = null;
  for (const candidate of await page.$$(`.opblock.opblock-${op.method}`)) {
    const shown = await candidate.$eval(".opblock-summary-path", (e) => e.getAttribute("data-path") ?? e.textContent.trim());
    if (shown === op.path) {
      block = candidate;
      break;
    }
  }
  if (!block) return null;
  await block.evaluate((el) => el.scrollIntoView());
  if (!(await block.$(".opblock-body"))) await (await block.$(".opblock-summary")).click();
  await block.waitForSelector(".try-out__btn", { timeout: 10000 });
  await (await block.$(".try-out__btn")).click();
  await block.waitForSelector(".btn.execute", { timeout: 10000 });
  return block;
}

/** Types a value into a parameter's input. */
async function typeInto(block, name, where, value) {
  const input = (await block.$(`tr[data-param-name="${name}"][data-param-in="${where}"] input`)) ?? fail(`no ${where} input ${name}`);
  await input.click({ clickCount: 3 });
  await input.type(value);
}

/** Every parameter input as it stands. */
async function readInputs(block) {
  return block.$$eval("tr[data-param-name]", (trs) =>
    trs.map((tr) => {
      const field = tr.querySelector("input, select, textarea");
      return {
        name: tr.getAttribute("data-param-name"),
        in: tr.getAttribute("data-param-in"),
        required: tr.querySelector(".parameter__name.required") !== null,
        value: field ? field.value : null,
      };
    }),
  );
}

async function exampleBody(block) {
  const text = await block.$eval("textarea.body-param__text", (e) => e.value).catch(() => null);
  return text === null ? null : JSON.stringify(JSON.parse(text));
}

/** Presses Execute; the Request URL and the status Swagger shows, and the body it shows. */
async function execute(block) {
  await (await block.$(".btn.execute")).click();
  await block.waitForSelector(".request-url pre", { timeout: 15000 });
  const statusCell = ".live-responses-table tbody .response .response-col_status";
  await block.waitForSelector(statusCell, { timeout: 15000 });
  const url = (await block.$eval(".request-url pre", (e) => e.textContent)).trim();
  const status = (await block.$eval(statusCell, (e) => e.textContent)).trim().replace(/\s+/g, " ");
  const body = await block
    .$eval(".live-responses-table .response-col_description pre, .live-responses-table .response-col_description a", (e) => e.textContent)
    .catch(() => "");
  return { url, status, code: Number.parseInt(status, 10), body };
}

/** Cancels "Try it out" and collapses the operation, so the page stays short. */
async function close(block) {
  const cancel = await block.$(".try-out__btn.cancel");
  if (cancel) await cancel.click();
  await (await block.$(".opblock-summary")).click();
}
