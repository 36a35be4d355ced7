/**
 * The digest's planning sections, from the insights that compute them: capacity risks (each disk's
 * and host memory's forecast, capacity.ts) and savings (rightsizing with prices, rightsizing.ts).
 * Each reads every environment of the digest; an environment that fails fails the section only
 * when none answered.
 */
import type { Environments } from "../metrics/environments.js";
import { capacityRisks } from "./capacity.js";
import type { CapacityRiskItem, DigestSectionProvider, SavingsItem } from "./digest.js";
import type { Prices } from "./prices.js";
import { rightsizing } from "./rightsizing.js";

/** How far ahead the digest looks for disks and memory that fill. */
export const CAPACITY_WITHIN_MS = 7 * 86_400_000;

/** Per Prometheus call: weeks of data for the whole fleet take longer than a question's queries. */
const QUERY_TIMEOUT_MS = 25_000;

/** Runs `read` per environment; throws only when every environment failed. */
async function perEnvironment<T>(
  environments: Pick<Environments, "get">,
  names: readonly string[],
  read: (client: NonNullable<ReturnType<Environments["get"]>>, environment: string) => Promise<T>,
): Promise<Array<{ environment: string; value: T }>> {
  const out: Array<{ environment: string; value: T }> = [];
  const errors: string[] = [];
  for (const environment of names) {
    const client = environments.get(environment);
    if (!client) {
      errors.push(`${environment}: not configured`);
      continue;
    }
    try {
      out.push({ environment, value: await read(client, environment) });
    } catch (e) {
      errors.push(`${environment}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (out.length === 0 && errors.length > 0) throw new Error(errors.join("; "));
  return out;
}

/** Disks and host memory expected full within {@link CAPACITY_WITHIN_MS}, soonest first. */
export function capacityProvider(environments: Pick<Environments, "get">): DigestSectionProvider {
  return {
    name: "capacity",
    title: "Capacity risks",
    async collect(ctx) {
      const now = Math.floor(ctx.to / 1000);
      const results = await perEnvironment(environments, ctx.environments, (client) =>
        capacityRisks(client, {
          withinSeconds: CAPACITY_WITHIN_MS / 1000,
          now,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          timeoutMs: QUERY_TIMEOUT_MS,
        }),
      );
      const risks: CapacityRiskItem[] = [];
      let checked = 0;
      let insufficient = 0;
      for (const { environment, value } of results) {
        checked += value.forecasts.length;
        insufficient += value.forecasts.filter((f) => f.status === "insufficient_history").length;
        for (const f of value.atRisk) {
          const at = f.status === "already_full" ? now : (f.fill.expected ?? now);
          risks.push({
            what: f.kind === "disk" ? `${f.host} ${f.mountpoint ?? f.device ?? "disk"}` : `${f.host} memory`,
            environment,
            fullAt: at * 1000,
          });
        }
      }
      risks.sort((a, b) => a.fullAt - b.fullAt || a.what.localeCompare(b.what));
      return { kind: "capacity", risks, withinMs: CAPACITY_WITHIN_MS, checked, insufficient };
    },
  };
}

/** Hosts to shrink or retire, and what that saves a month at the configured prices. */
export function savingsProvider(
  environments: Pick<Environments, "get">,
  settings: () => { prices: Prices; lookbackSeconds?: number },
): DigestSectionProvider {
  return {
    name: "savings",
    title: "Savings",
    async collect(ctx) {
      const { prices, lookbackSeconds } = settings();
      const results = await perEnvironment(environments, ctx.environments, (client) =>
        rightsizing(client, {
          now: Math.floor(ctx.to / 1000),
          prices,
          ...(lookbackSeconds ? { rules: { lookbackSeconds } } : {}),
          hostsOnly: true,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          timeoutMs: QUERY_TIMEOUT_MS,
        }),
      );
      const items: SavingsItem[] = [];
      let checked = 0;
      let insufficient = 0;
      for (const { environment, value } of results) {
        checked += value.hosts.length;
        insufficient += value.hosts.filter((h) => h.status === "insufficient_history").length;
        for (const h of value.hosts) {
          if (h.idle) items.push({ what: `${h.host} (idle)`, environment, monthly: h.monthlyCost });
          else if (h.resizeMonthly > 0)
            items.push({ what: `${h.host} resize`, environment, monthly: h.resizeMonthly });
        }
      }
      items.sort((a, b) => b.monthly - a.monthly || a.what.localeCompare(b.what));
      return {
        kind: "savings",
        items,
        totalMonthly: items.reduce((s, i) => s + i.monthly, 0),
        currency: prices.currency ?? "$",
        ...(prices.origin === "default" && !prices.perHost ? { estimated: true } : {}),
        checked,
        insufficient,
      };
    },
  };
}
