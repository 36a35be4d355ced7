/**
 * How the bot authenticates to each Prometheus: a bearer token or HTTP basic auth, from variables of
 * their own, never from the URL (a `user:pass@` URL is refused: fetch will not send it, and a URL is
 * shown in answers, errors and `/readyz`).
 *
 * `PROMETHEUS_BEARER_TOKEN`, or `PROMETHEUS_BASIC_AUTH_USER` with `PROMETHEUS_BASIC_AUTH_PASSWORD`,
 * apply to every environment. With PROMETHEUS_ENVIRONMENTS, one environment can have its own: the
 * same names followed by `_` and the environment's name in capitals, `-` written `_`
 * (`PROMETHEUS_BEARER_TOKEN_PROD`, `PROMETHEUS_BASIC_AUTH_USER_EU_WEST`). An environment with any
 * variable of its own uses only its own.
 */
import type { PrometheusAuth } from "../metrics/prometheus-client.js";

export type { PrometheusAuth };

const TOKEN = "PROMETHEUS_BEARER_TOKEN";
const USER = "PROMETHEUS_BASIC_AUTH_USER";
const PASSWORD = "PROMETHEUS_BASIC_AUTH_PASSWORD";
const BASES = [TOKEN, USER, PASSWORD] as const;

/** Printable ASCII without spaces: what a bearer token is (RFC 6750 b64token), and safe in a header. */
const TOKEN_CHARS = /^[\x21-\x7e]{1,4096}$/;
/** A basic-auth user: printable, and no `:` (it separates user from password, RFC 7617). */
const USER_CHARS = /^[\x20-\x39\x3b-\x7e]{1,256}$/;
/** A basic-auth password: any printable ASCII; never a line break, which would split the header. */
const PASSWORD_CHARS = /^[\x20-\x7e]{1,1024}$/;

/** `prod-eu` → `PROD_EU`: the ending of that environment's own variables. */
export function environmentSuffix(name: string): string {
  return name.toUpperCase().replace(/-/g, "_");
}

/**
 * The authentication of each named environment (undefined: none), from the variables in `env`.
 * `fail` is called with the variable to name and what is wrong with it.
 */
export function prometheusAuth(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
  /** Whether the names come from PROMETHEUS_ENVIRONMENTS (only then may variables end in a name). */
  perEnvironment: boolean,
  fail: (variable: string, problem: string) => never,
): Map<string, PrometheusAuth | undefined> {
  const suffixes = new Map<string, string>();
  if (perEnvironment) {
    for (const name of names) {
      const suffix = environmentSuffix(name);
      const other = suffixes.get(suffix);
      if (other !== undefined) {
        fail(
          "PROMETHEUS_ENVIRONMENTS",
          `names "${other}" and "${name}", whose own variables would both end in _${suffix}; rename one`,
        );
      }
      suffixes.set(suffix, name);
    }
  }
  // A variable that names no environment is a typo or a misunderstanding: say so rather than ignore it.
  for (const key of Object.keys(env)) {
    const base = BASES.find((b) => key.startsWith(`${b}_`));
    if (!base || env[key] === undefined || env[key]?.trim() === "") continue;
    const suffix = key.slice(base.length + 1);
    if (!suffixes.has(suffix)) {
      fail(
        key,
        perEnvironment
          ? `names no environment of PROMETHEUS_ENVIRONMENTS (known: ${[...suffixes.keys()].join(", ")}); an environment's own variables end in its name in capitals, - as _`
          : `ends in an environment's name, but PROMETHEUS_ENVIRONMENTS is not set; use ${base} for PROMETHEUS_URL`,
      );
    }
  }
  const out = new Map<string, PrometheusAuth | undefined>();
  for (const name of names) {
    const own = perEnvironment ? `_${environmentSuffix(name)}` : "";
    const hasOwn = own !== "" && BASES.some((b) => value(env, `${b}${own}`) !== undefined);
    out.set(name, authFrom(env, hasOwn ? own : "", fail));
  }
  return out;
}

function authFrom(
  env: Readonly<Record<string, string | undefined>>,
  suffix: string,
  fail: (variable: string, problem: string) => never,
): PrometheusAuth | undefined {
  const [tokenVar, userVar, passwordVar] = BASES.map((b) => `${b}${suffix}`) as [string, string, string];
  const token = value(env, tokenVar);
  const user = value(env, userVar);
  const password = value(env, passwordVar);
  if (token !== undefined && (user !== undefined || password !== undefined)) {
    fail(tokenVar, `and ${userVar}/${passwordVar} are both set; use a bearer token or basic auth, not both`);
  }
  if (token !== undefined) {
    if (!TOKEN_CHARS.test(token)) fail(tokenVar, "must be printable characters without spaces");
    return { kind: "bearer", token };
  }
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined) fail(userVar, `is required with ${passwordVar}`);
  if (password === undefined) fail(passwordVar, `is required with ${userVar}`);
  if (!USER_CHARS.test(user)) fail(userVar, "must be printable characters without a colon");
  if (!PASSWORD_CHARS.test(password)) fail(passwordVar, "must be printable characters on one line");
  return { kind: "basic", user, password };
}

function value(env: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v.trim() === "" ? undefined : v;
}
