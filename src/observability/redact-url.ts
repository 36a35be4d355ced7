/**
 * The one place URL credentials are removed before a URL is shown: in answers, errors, log lines and
 * `/readyz`. `redis://:secret@cache:6379` → `redis://***@cache:6379`; the host stays, so the reader
 * still knows which server is meant.
 */

/**
 * A scheme, then the user-info part up to the `@` that ends it. Greedy within one authority (no
 * white space, path, query, fragment or quote), so a password with a raw `@` in it goes whole, as
 * URL parsers take the last `@` before the host.
 */
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>`]*@/gi;

/**
 * `text` with the user name and password of every URL in it replaced by `***`: a single URL or a
 * whole message that mentions some. Text without credentials comes back unchanged.
 */
export function withoutCredentials(text: string): string {
  return text.includes("@") ? text.replace(CREDENTIALS, "$1***@") : text;
}

/** Whether `url` carries a user name or password (`http://user:pass@host`). */
export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return withoutCredentials(url) !== url;
  }
}
