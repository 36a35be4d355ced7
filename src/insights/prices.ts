/**
 * What capacity costs, for the savings the rightsizing answers put a number on: a price per core and
 * per GiB of memory a month, and optionally a price per host read from a file (COST_PRICE_FILE).
 *
 * The file is the operator's own bill: JSON (`{"web-1": 120.5}` or `[{"host": "web-1", "monthly":
 * 120.5}]`) or CSV (`host,monthly` lines, an optional header, `#` comments). It is read once at start-up;
 * a bad file is one error naming the line or entry, never a crash later.
 *
 * No imports of our own: the configuration validates the file with it at start-up.
 */
import { z } from "zod";

/**
 * Default prices: the order of magnitude of a public cloud's on-demand list prices — Google Cloud N2
 * in us-central1, $0.031611 per vCPU hour and $0.004237 per GB hour, × 730 hours a month. They are an
 * estimate for people who have not set their own; answers label them so.
 */
export const DEFAULT_CPU_CORE_MONTH = 23;
export const DEFAULT_GB_MONTH = 3.1;
export const DEFAULT_PRICES_SOURCE = "Google Cloud N2 on-demand list prices (us-central1), 730 h a month";

/** Where the prices come from, as the answers say it. */
export type PriceOrigin = "default" | "configured" | "file";

export interface Prices {
  /** Currency units per core and month. */
  cpuCoreMonth: number;
  /** Currency units per GiB of memory and month. */
  gbMonth: number;
  /** Monthly price per host (by host name or instance label), from COST_PRICE_FILE. */
  perHost?: ReadonlyMap<string, number>;
  /** Whether the unit prices are the defaults or the operator's. */
  origin: Exclude<PriceOrigin, "file">;
  /** The price file's name (no directory), when one was read. */
  file?: string;
  /** Shown before amounts ("$", "€", "EUR "); default "$". */
  currency?: string;
}

export const DEFAULT_PRICES: Prices = {
  cpuCoreMonth: DEFAULT_CPU_CORE_MONTH,
  gbMonth: DEFAULT_GB_MONTH,
  origin: "default",
};

/** Largest price file read, and most hosts in it. */
export const MAX_PRICE_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_PRICED_HOSTS = 100_000;
/** Highest monthly price of one host accepted (a typo guard, not a budget). */
export const MAX_HOST_MONTHLY = 10_000_000;

/** A price file that cannot be used; the message says where and why. */
export class PriceFileError extends Error {}

const HOST = /^[A-Za-z0-9_.:[\]-]{1,253}$/;

const price = z
  .number()
  .finite()
  .min(0, { message: "must be 0 or more" })
  .max(MAX_HOST_MONTHLY, { message: `must be at most ${MAX_HOST_MONTHLY}` });

const jsonFile = z.union([
  z.record(z.string(), price),
  z.array(
    z.object({
      host: z.string(),
      monthly: price,
    }),
  ),
]);

/** "web-1 (line 3)" in errors: the text of a host, bounded. */
function shown(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/**
 * Parses a price file's text into host → monthly price. `name` only names the file in errors.
 * @throws {PriceFileError} on the first problem, saying where.
 */
export function parsePriceFile(text: string, name = "the price file"): Map<string, number> {
  if (Buffer.byteLength(text, "utf8") > MAX_PRICE_FILE_BYTES)
    throw new PriceFileError(`${name} is larger than ${MAX_PRICE_FILE_BYTES / 1024 / 1024} MiB`);
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed === "") throw new PriceFileError(`${name} is empty`);
  const entries: Array<{ host: string; monthly: number; where: string }> = [];
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (e) {
      throw new PriceFileError(`${name} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const parsed = jsonFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
      throw new PriceFileError(
        `${name}: ${issue?.message ?? "invalid"}${at} (expected {"host": monthly price} or [{"host": "…", "monthly": price}])`,
      );
    }
    const list = Array.isArray(parsed.data)
      ? parsed.data.map((e, i) => ({ ...e, where: `entry ${i + 1}` }))
      : Object.entries(parsed.data).map(([host, monthly]) => ({
          host,
          monthly,
          where: `key ${shown(host)}`,
        }));
    entries.push(...list);
  } else {
    const lines = trimmed.split(/\r?\n/);
    let first = true;
    lines.forEach((line, i) => {
      const l = line.trim();
      if (l === "" || l.startsWith("#")) return;
      const isFirst = first;
      first = false;
      const cells = l.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
      const where = `line ${i + 1}`;
      if (cells.length !== 2)
        throw new PriceFileError(
          `${name}, ${where}: expected "host,monthly price" (got ${cells.length} columns)`,
        );
      const [host, value] = cells as [string, string];
      // A header ("host,monthly"): the first line, when it names the host column and no price.
      if (isFirst && /^(host|hostname|instance|name)$/i.test(host) && !/^\d/.test(value)) return;
      if (!/^\d+(\.\d+)?$/.test(value))
        throw new PriceFileError(
          `${name}, ${where}: price ${shown(value)} is not a number like 120 or 96.50`,
        );
      const monthly = Number(value);
      const ok = price.safeParse(monthly);
      if (!ok.success) throw new PriceFileError(`${name}, ${where}: price ${ok.error.issues[0]?.message}`);
      entries.push({ host, monthly, where });
    });
  }
  if (entries.length === 0) throw new PriceFileError(`${name} lists no host`);
  if (entries.length > MAX_PRICED_HOSTS)
    throw new PriceFileError(`${name} lists more than ${MAX_PRICED_HOSTS} hosts`);
  const out = new Map<string, number>();
  for (const e of entries) {
    if (!HOST.test(e.host))
      throw new PriceFileError(
        `${name}, ${e.where}: host ${shown(e.host)} is not a host name or instance (letters, digits, . - _ : [ ])`,
      );
    if (out.has(e.host))
      throw new PriceFileError(`${name}, ${e.where}: host ${shown(e.host)} is listed twice`);
    out.set(e.host, e.monthly);
  }
  return out;
}
