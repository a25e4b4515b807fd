// Drives the Swagger UI docs page as a person would, in headless Chromium (puppeteer-core and
// the system chromium).
//
// The check: authorise with the bearer token, then for every GET operation without path
// parameters (every list, every report, the health probes) expand it, "Try it out", fill
// required inputs that are empty (a report's financial_year), "Execute", and read the Request
// URL and the response status Swagger shows. Each must be the operation's own path and 200.
//
// Then, not failed on, what "Try it out" pre-fills everywhere else: for every other operation
// the inputs and example body Swagger starts from; and with WRITE_PROBES=1 (run.sh sets it only
// for the throwaway service it starts) it executes some create operations exactly as pre-filled,
// to show what a person pressing Execute gets.
//
//   BASE_URL=http://127.0.0.1:18080 TOKEN=... node swagger/check.mjs
//   (CHROMIUM=/usr/bin/chromium by default; SCREENSHOTS=dir keeps a PNG per GET operation)
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
// Create operations executed as pre-filled by the write probes; funding_streams.create runs a
// second time after a reload (a new example body, the same pre-filled Idempotency-Key).
const WRITE_PROBES = [
  ["post", "/api/v1/funding-streams"],
  ["post", "/api/v1/providers"],
  ["post", "/api/v1/outcome-measures"],
  ["reload"],
  ["post", "/api/v1/funding-streams"],
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
      await (await block.$(`tr[data-param-name="${input.name}"][data-param-in="${input.in}"] input`)).type(want);
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
    const prefilled = (await readInputs(block)).filter((i) => i.value).map((i) => `${i.name}=${i.value}`);
    const body = await exampleBody(block);
    console.log(`${op.method.toUpperCase().padEnd(6)} ${op.path} (${op.operationId}): ${prefilled.join(" ") || "nothing pre-filled"}`);
    if (body) console.log(`       example body: ${body}`);
    await close(block);
  }

  if (writeProbes) {
    console.log("== create operations executed exactly as pre-filled");
    for (const [method, path] of WRITE_PROBES) {
      if (method === "reload") {
        console.log("(page reloaded)");
        await loadAndAuthorise(false);
        continue;
      }
      const op = others.find((o) => o.method === method && o.path === path);
      const block = await openTryItOut(op);
      const prefilled = (await readInputs(block)).filter((i) => i.value).map((i) => `${i.name}=${i.value}`);
      const body = await exampleBody(block);
      const result = await execute(block);
      console.log(`${method.toUpperCase()} ${path} (${op.operationId}) -> ${result.status}`);
      console.log(`       sent ${prefilled.join(" ") || "no parameters"}; body ${body}`);
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

async function loadAndAuthorise(first) {
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
  await page.type(".modal-ux .auth-container input", token);
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
