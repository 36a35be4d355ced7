// The printable report: availability against the SLO per job and target, alert history, and the
// queries behind every number, fetched with the console's token. Everything from the server is put
// into the page as text (textContent), never as markup.
import { apiFetch } from "./token.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const period = params.get("period") || "7d";
const environment = params.get("environment") || "";
/** History rows drawn on the page; the downloads have them all. */
const ALERT_ROWS_SHOWN = 200;
const TIMEOUT_MS = 60_000;

let report;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function pct(v) {
  if (v === null || v === undefined) return "no data";
  return `${v.toFixed(3)}%`;
}

function minutes(v) {
  if (v === null || v === undefined) return "—";
  return v >= 120 ? `${v.toFixed(1)} min (${(v / 60).toFixed(1)} h)` : `${v.toFixed(1)} min`;
}

function when(iso) {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—";
}

function slo(met) {
  if (met === null || met === undefined) return "no data";
  return met ? "MET" : "MISSED";
}

/** A table from column definitions: [header, value(row), className?]. */
function fillTable(table, columns, rows, caption) {
  table.replaceChildren();
  if (caption) table.append(el("caption", caption));
  const head = el("thead");
  const tr = el("tr");
  for (const [header] of columns) tr.append(el("th", header));
  head.append(tr);
  const body = el("tbody");
  for (const row of rows) {
    const line = el("tr");
    for (const [, value, cls] of columns) {
      const cell = el("td", value(row), typeof cls === "function" ? cls(row) : cls);
      line.append(cell);
    }
    body.append(line);
  }
  if (rows.length === 0) {
    const line = el("tr");
    const cell = el("td", "None.");
    cell.colSpan = columns.length;
    line.append(cell);
    body.append(line);
  }
  table.append(head, body);
}

function queriesOf(name) {
  return (report.numbers[name] ?? []).join(", ");
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("status").textContent = "";
  document.body.dataset.state = "error";
}

async function getJson(path) {
  const res = await apiFetch(path, {}, { timeoutMs: TIMEOUT_MS });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(body?.error?.message ?? `The bot answered ${res.status}.`);
  return body;
}

function availabilityPath(format) {
  const q = new URLSearchParams({ period, format });
  if (environment) q.set("environment", environment);
  return `/api/v1/reports/availability?${q}`;
}

function exportPath(kind, format, limit) {
  const q = new URLSearchParams({ from: report.period.from, to: report.period.to, format });
  if (limit) q.set("limit", String(limit));
  return `/api/v1/${kind === "alerts" ? "alerts/history" : "audit"}?${q}`;
}

function drawSummary() {
  const observed = report.jobs.reduce((s, j) => s + j.observedMinutes, 0);
  const down = report.jobs.reduce((s, j) => s + j.downtimeMinutes, 0);
  const overall = observed > 0 ? 100 * (1 - down / observed) : null;
  const missing = report.targets.filter((t) => t.sloMet === false).length;
  const items = [
    ["Availability (all targets)", pct(overall), queriesOf("availabilityPct")],
    ["SLO", `${report.slo.targetPct}% per target and job`, ""],
    ["Targets missing the SLO", `${missing} of ${report.targets.length}`, queriesOf("availabilityPct")],
    ["Downtime", `${minutes(down)} (target-minutes)`, queriesOf("downtimeMinutes")],
    [
      "Period",
      `${when(report.period.from)} – ${when(report.period.to)}${report.period.complete ? "" : " (so far)"}`,
      "",
    ],
  ];
  const dl = $("summary");
  dl.replaceChildren();
  for (const [term, value, from] of items) {
    const dt = el("dt", term);
    const dd = el("dd", value);
    if (from) dd.append(el("span", ` from ${from}`, "from"));
    dl.append(dt, dd);
  }
  const problems = $("problems");
  problems.replaceChildren(...report.problems.map((p) => el("li", p)));
  $("summary-section").hidden = false;
}

function drawJobs() {
  fillTable(
    $("jobs"),
    [
      ["Job", (j) => j.job],
      ["Targets", (j) => j.targets, "num"],
      ["Availability", (j) => pct(j.availabilityPct), "num"],
      ["Downtime", (j) => minutes(j.downtimeMinutes), "num"],
      ["Outages", (j) => j.outages ?? "—", "num"],
      ["Error budget used", (j) => (j.errorBudgetUsedPct === null ? "—" : `${j.errorBudgetUsedPct}%`), "num"],
      ["SLO", (j) => slo(j.sloMet), (j) => (j.sloMet === false ? "bad" : "")],
    ],
    report.jobs,
  );
  $("jobs-section").hidden = false;
}

function drawTargets() {
  const note = (t) =>
    [
      t.appeared ? `added ${when(t.firstSeen)}` : "",
      t.disappeared ? `last seen ${when(t.lastSeen)}` : "",
      t.coveragePct < 99.5 ? `observed ${t.coveragePct}% of the period` : "",
    ]
      .filter(Boolean)
      .join("; ");
  fillTable(
    $("targets"),
    [
      ["Job", (t) => t.job],
      ["Instance", (t) => t.instance],
      ["Availability", (t) => pct(t.availabilityPct), "num"],
      ["Downtime", (t) => minutes(t.downtimeMinutes), "num"],
      ["Outages", (t) => t.outages ?? "—", "num"],
      ["Error budget used", (t) => (t.errorBudgetUsedPct === null ? "—" : `${t.errorBudgetUsedPct}%`), "num"],
      ["SLO", (t) => slo(t.sloMet), (t) => (t.sloMet === false ? "bad" : "")],
      ["Note", note],
    ],
    report.targets,
  );
  $("targets-note").textContent = report.truncated
    ? `The first ${report.targets.length} of ${report.targetCount} targets; the CSV has the same rows.`
    : `${report.targets.length} targets. Availability and downtime from ${queriesOf("availabilityPct")}; outages from ${queriesOf("outages")}.`;
  $("targets-section").hidden = false;
}

function drawAlerts(history) {
  const s = history.summary;
  const sev = Object.entries(s.bySeverity)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const items = [
    ["Alerts", `${s.count} (${s.firing} firing, ${s.resolved} resolved)`],
    ["By severity", sev || "—"],
    ["Acknowledged", String(s.acknowledged)],
    ["Median time to acknowledge", minutes(s.medianMinutesToAcknowledge)],
    ["Median time to resolve", minutes(s.medianMinutesToResolve)],
  ];
  const dl = $("alerts-summary");
  dl.replaceChildren();
  for (const [term, value] of items) dl.append(el("dt", term), el("dd", value));
  $("alerts-note").textContent = s.partial
    ? `The bot keeps resolved alerts for ${s.retentionDays} days: alerts are complete from ${when(s.completeFrom)} only.`
    : "From the bot's alert store.";
  fillTable(
    $("alerts-top"),
    [
      ["Alert", (a) => a.alertname],
      ["Count", (a) => a.count, "num"],
    ],
    s.topAlertnames,
  );
  fillTable(
    $("alerts"),
    [
      ["Started", (r) => when(r.startsAt)],
      ["Alert", (r) => r.alertname],
      ["Severity", (r) => r.severity],
      ["Target", (r) => r.target],
      ["Status", (r) => r.status.toUpperCase()],
      ["To acknowledge", (r) => minutes(r.minutesToAcknowledge), "num"],
      ["To resolve", (r) => minutes(r.minutesToResolve), "num"],
    ],
    history.rows,
    history.total > history.rows.length
      ? `The first ${history.rows.length} of ${history.total}; the CSV download has all (up to 10,000).`
      : undefined,
  );
  $("alerts-section").hidden = false;
}

function drawMethod() {
  $("method").replaceChildren(...report.method.map((m) => el("li", m)));
  const usedFor = (name) =>
    Object.entries(report.numbers)
      .filter(([, qs]) => qs.includes(name))
      .map(([n]) => n)
      .join(", ");
  const evaluated = (q) =>
    q.kind === "range"
      ? `every ${q.step} from ${when(q.start)} to ${when(q.end)}`
      : `once at ${when(q.time)}`;
  fillTable(
    $("queries"),
    [
      ["Name", ([name]) => name],
      ["PromQL", ([, q]) => q.promql, "promql"],
      ["Evaluated", ([, q]) => evaluated(q)],
      ["Gives", ([name]) => usedFor(name)],
    ],
    Object.entries(report.queries),
  );
  $("method-section").hidden = false;
}

async function download(kind, format) {
  const path = kind === "availability" ? availabilityPath(format) : exportPath(kind, format);
  const res = await apiFetch(path, {}, { timeoutMs: TIMEOUT_MS });
  if (!res.ok) {
    const body = await res.json().catch(() => undefined);
    showError(body?.error?.message ?? `The download failed (${res.status}).`);
    return;
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${kind}-${report.period.param}.${format}`.replace(/[^A-Za-z0-9._-]+/g, "_");
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function environments() {
  const select = $("environment");
  try {
    const body = await getJson("/api/v1/environments");
    for (const name of body.environments) {
      const option = el("option", name);
      option.value = name;
      if (name === (environment || body.default)) option.selected = true;
      select.append(option);
    }
  } catch {
    select.hidden = true;
  }
}

async function main() {
  $("period").value = period;
  $("print").addEventListener("click", () => window.print());
  for (const b of document.querySelectorAll("[data-download]"))
    b.addEventListener("click", () => {
      if (report) void download(b.dataset.download, b.dataset.format);
    });
  $("choose").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ period: $("period").value.trim() });
    if ($("environment").value) q.set("environment", $("environment").value);
    location.search = `?${q}`;
  });
  await environments();
  try {
    report = await getJson(availabilityPath("json"));
  } catch (e) {
    showError(`No report for "${period}": ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  document.title = `Availability report — ${report.period.label} (${report.environment})`;
  $("title").textContent = `Availability report — ${report.period.label}`;
  $("status").textContent =
    `Environment ${report.environment}. SLO ${report.slo.targetPct}%. Made ${when(new Date().toISOString())}.`;
  drawSummary();
  drawJobs();
  drawTargets();
  drawMethod();
  try {
    drawAlerts(await getJson(exportPath("alerts", "json", ALERT_ROWS_SHOWN)));
  } catch (e) {
    $("alerts-note").textContent = `Alert history not read: ${e instanceof Error ? e.message : String(e)}`;
    $("alerts-section").hidden = false;
  }
  document.body.dataset.state = "ready";
}

void main();
