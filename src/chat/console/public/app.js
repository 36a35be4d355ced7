// The CloudOps web console: a chat transcript over POST /api/v1/ask. Every string from the server is
// untrusted and goes into the page with textContent, never as HTML. Status is shown as words in
// badges (status.js), never as an emoji the system may have no font for.
import { badge, statusNodes, stripLeadingMarker, TONES, toneStatus } from "./status.js";
import { apiFetch } from "./token.js";

const transcript = document.getElementById("transcript");
const form = document.getElementById("ask");
const input = document.getElementById("question");
const envSelect = document.getElementById("environment");
const empty = document.getElementById("empty");

const EXAMPLES = [
  "What's the current system health?",
  "Show me CPU trends for the last hour",
  "Top 5 hosts by memory",
  "Which targets are down?",
  "Any anomalies?",
];
const HISTORY_KEY = "cloudops.history";
const TIMEOUT_MS = 25_000;

let history = [];
try {
  history = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]")
    .filter((q) => typeof q === "string")
    .slice(-50);
} catch {
  history = [];
}
let historyIndex = history.length;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A message's text from the server as plain characters (errors), with status badges, without HTML. */
function plainTextEl(text) {
  const p = el("div", "text");
  p.append(...statusNodes(String(text)));
  return p;
}

/** A reply's text from its typed pieces (text, code, mention, link): drawn, never parsed, never HTML. */
function richText(pieces) {
  const p = el("div", "text");
  for (const piece of Array.isArray(pieces) ? pieces : []) {
    if (typeof piece?.code === "string") p.append(el("code", "", piece.code));
    else if (typeof piece?.mention === "string") p.append(el("strong", "mention", `@${piece.mention}`));
    else if (piece?.link && typeof piece.link.label === "string") {
      const href = safeUrl(String(piece.link.url));
      if (href) {
        const a = el("a", "", piece.link.label || href);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener";
        p.append(a);
      } else p.append(document.createTextNode(piece.link.label));
    } else if (typeof piece?.text === "string") p.append(...statusNodes(piece.text));
  }
  return p;
}

/** An element whose text may carry status markers. */
function statusEl(tag, className, text) {
  const node = el(tag, className);
  node.append(...statusNodes(text));
  return node;
}

/** The headline: the tone as a word in a badge, then the title without its own marker. */
function titleEl(status, text) {
  const title = el("h2", "title");
  const b = badge(status);
  b.classList.add("tone");
  title.append(b, document.createTextNode(" "), ...statusNodes(stripLeadingMarker(text)));
  return title;
}

function safeUrl(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

function chip(label, question) {
  const b = el("button", "chip", label);
  b.type = "button";
  b.addEventListener("click", () => ask(question));
  return b;
}

function scrollDown() {
  transcript.scrollTop = transcript.scrollHeight;
}

function addQuestion(text) {
  empty?.remove();
  const bubble = el("div", "bubble question", text);
  transcript.append(bubble);
  scrollDown();
}

function addWorking(text) {
  const bubble = el("div", "bubble reply working");
  bubble.append(el("span", "spinner"), document.createTextNode(`Working on “${text.slice(0, 60)}”…`));
  bubble.setAttribute("role", "status");
  transcript.append(bubble);
  scrollDown();
  return bubble;
}

function renderReply(body) {
  const reply = body.reply;
  const status = toneStatus(reply.tone);
  const bubble = el("article", `bubble reply tone-${status.level}`);
  bubble.dataset.tone = String(reply.tone);
  bubble.append(titleEl(status, reply.title));
  if (Array.isArray(reply.rich) && reply.rich.length) bubble.append(richText(reply.rich));
  else if (reply.text) bubble.append(plainTextEl(reply.text));
  if (reply.fields?.length) {
    const grid = el("dl", "fields");
    for (const f of reply.fields) {
      const row = el("div", "field");
      row.append(statusEl("dt", "", f.label), statusEl("dd", "", f.value));
      grid.append(row);
    }
    bubble.append(grid);
  }
  if (reply.chart?.url) {
    const src = safeUrl(reply.chart.url);
    if (src) {
      const a = el("a", "chart");
      a.href = src;
      a.target = "_blank";
      a.rel = "noopener";
      const img = el("img");
      img.src = src;
      img.alt = reply.chart.alt;
      img.width = reply.chart.width;
      img.height = reply.chart.height;
      img.loading = "lazy";
      a.append(img);
      bubble.append(a);
    }
  }
  const buttons = el("div", "actions");
  for (const l of reply.links ?? []) {
    const href = safeUrl(l.url);
    if (!href) continue;
    const a = el("a", "button link", `${l.label} ↗`);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    buttons.append(a);
  }
  for (const action of reply.actions ?? []) {
    if (action.action?.kind === "ask") buttons.append(chip(action.label, String(action.action.text ?? "")));
    else {
      const b = el("button", "chip", action.label);
      b.type = "button";
      b.disabled = true;
      b.title = "Available in Slack and Teams";
      buttons.append(b);
    }
  }
  if (buttons.childElementCount) bubble.append(buttons);
  if (reply.suggestions?.length) {
    const s = el("div", "chips suggestions");
    for (const q of reply.suggestions) s.append(chip(q, q));
    bubble.append(s);
  }
  const small = el("footer", "context");
  for (const c of reply.context ?? []) small.append(statusEl("div", "", c));
  // Questions carry "answered by …" in their context; commands (alerts, audit) name no provider.
  bubble.append(small);
  return bubble;
}

function renderError(message) {
  const bubble = el("article", `bubble reply tone-${TONES.error.level}`);
  bubble.append(titleEl(TONES.error, "Could not get an answer"), plainTextEl(message));
  return bubble;
}

async function ask(text) {
  const question = String(text).trim();
  if (!question) return;
  if (history.at(-1) !== question) history.push(question);
  history = history.slice(-50);
  historyIndex = history.length;
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
  } catch {
    // private mode: history lives for this page only
  }
  addQuestion(question);
  const working = addWorking(question);
  let bubble;
  try {
    const payload = { text: question };
    if (envSelect.value) payload.environment = envSelect.value;
    const res = await apiFetch(
      "/api/v1/ask",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) },
      {
        timeoutMs: TIMEOUT_MS,
        onWait: () => {
          working.lastChild.textContent = "Waiting for an API token…";
        },
      },
    );
    const body = await res.json().catch(() => undefined);
    if (res.ok && body?.reply) bubble = renderReply(body);
    else bubble = renderError(body?.error?.message ?? `The server answered HTTP ${res.status}.`);
  } catch (e) {
    bubble = renderError(
      e?.name === "AbortError"
        ? `No answer within ${TIMEOUT_MS / 1000} s. The bot may be overloaded; try again.`
        : "The bot could not be reached. Is it still running?",
    );
  }
  working.replaceWith(bubble);
  scrollDown();
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = input.value;
  input.value = "";
  ask(text);
});

input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    form.requestSubmit();
  } else if (e.key === "ArrowUp" && (input.value === "" || historyIndex < history.length)) {
    if (historyIndex > 0) {
      historyIndex--;
      input.value = history[historyIndex] ?? "";
      e.preventDefault();
    }
  } else if (e.key === "ArrowDown" && historyIndex < history.length) {
    historyIndex++;
    input.value = history[historyIndex] ?? "";
    e.preventDefault();
  } else if (e.key === "Escape") {
    input.value = "";
    historyIndex = history.length;
  }
});

document.addEventListener("keydown", (e) => {
  if (e.key === "/" && document.activeElement !== input) {
    e.preventDefault();
    input.focus();
  }
});

const examples = document.getElementById("examples");
for (const q of EXAMPLES) examples.append(chip(q, q));

apiFetch("/api/v1/environments")
  .then((r) => r.json())
  .then((body) => {
    if (!Array.isArray(body.environments) || body.environments.length < 2) return;
    for (const name of body.environments) {
      const o = el("option", "", name);
      o.value = name;
      envSelect.append(o);
    }
    envSelect.value = body.default;
    envSelect.closest("label").hidden = false;
  })
  .catch(() => {});

input.focus();
