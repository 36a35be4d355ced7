// The console's API token. Where the bot asks for one (API_TOKENS), the first request answered 401
// shows a small form; the token is kept in sessionStorage (this tab, until it closes) and sent as a
// bearer token. A token the server stops accepting is forgotten and asked for again. Where the bot
// asks for none (loopback without API_TOKENS) the form never shows.

const KEY = "cloudops.token";
const form = document.getElementById("auth");
const input = document.getElementById("token");
const why = document.getElementById("auth-why");

let memoryToken = "";
/** Resolves when the person submits a token; shared by every request waiting for one. */
let pending;

function stored() {
  try {
    return sessionStorage.getItem(KEY) ?? memoryToken;
  } catch {
    return memoryToken; // storage blocked: the token lives for this page only
  }
}

function store(token) {
  memoryToken = token;
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage blocked: memoryToken keeps it for this page
  }
}

function askForToken(message) {
  why.textContent = message;
  form.hidden = false;
  input.value = "";
  input.focus();
  pending ??= new Promise((resolve) => {
    const submit = (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      form.removeEventListener("submit", submit);
      store(token);
      input.value = "";
      form.hidden = true;
      pending = undefined;
      resolve();
    };
    form.addEventListener("submit", submit);
  });
  return pending;
}

/**
 * fetch() with the bearer token. On 401 the token is forgotten, the form asks for one (`onWait` is
 * told), and the request is sent again once a token is entered. `timeoutMs` bounds each attempt,
 * not the time a person takes to type.
 */
export async function apiFetch(path, init = {}, { timeoutMs, onWait } = {}) {
  for (;;) {
    const token = stored();
    const controller = new AbortController();
    const timer = timeoutMs ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    let res;
    try {
      res = await fetch(path, {
        ...init,
        headers: { ...init.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
    if (res.status !== 401) return res;
    store("");
    onWait?.();
    await askForToken(
      token
        ? "That token was not accepted (or no longer is). Enter a current one."
        : "This bot asks for an API token (one of its API_TOKENS). Enter yours to continue.",
    );
  }
}
