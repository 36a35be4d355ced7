/**
 * Alertmanager's silences API (v2): a silence set from chat on an alert that came from Alertmanager is
 * also set there, so Alertmanager stops notifying its other receivers too.
 */
import { z } from "zod";

const created = z.object({ silenceID: z.string().min(1).max(64) });

export class AlertmanagerSilences {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  private url(path: string) {
    return `${this.baseUrl.replace(/\/+$/, "")}${path}`;
  }

  /** Creates the silence; returns Alertmanager's id. */
  async create(s: {
    matchers: Record<string, string>;
    startsAt: number;
    endsAt: number;
    createdBy: string;
    comment: string;
  }): Promise<string> {
    const res = await fetch(this.url("/api/v2/silences"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: Object.entries(s.matchers).map(([name, value]) => ({
          name,
          value,
          isRegex: false,
          isEqual: true,
        })),
        startsAt: new Date(s.startsAt).toISOString(),
        endsAt: new Date(s.endsAt).toISOString(),
        createdBy: s.createdBy,
        comment: s.comment,
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Alertmanager answered ${res.status}: ${text.slice(0, 200)}`);
    const body = created.safeParse(JSON.parse(text || "{}"));
    if (!body.success) throw new Error("Alertmanager's answer has no silenceID");
    return body.data.silenceID;
  }

  async expire(id: string): Promise<void> {
    const res = await fetch(this.url(`/api/v2/silence/${encodeURIComponent(id)}`), {
      method: "DELETE",
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok && res.status !== 404)
      throw new Error(`Alertmanager answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }
}
