/**
 * Alertmanager's webhook as it posts it (version 4): the group's envelope around its alerts, and the
 * POST to the bot's receiver. Tests build their alerts; the envelope and the wire are the same.
 */
/** One alert in a webhook. */
export interface WebhookAlert {
  labels: Record<string, string>;
  fingerprint: string;
  /** RFC 3339, as Alertmanager writes it. */
  startsAt: string;
  annotations?: Record<string, string>;
  status?: "firing" | "resolved";
  /** Alertmanager's zero time while firing. */
  endsAt?: string;
  generatorURL?: string;
}

/** The webhook body for `alerts`, grouped by `groupLabels` (the group's key is made from them). */
export function alertmanagerWebhook(
  alerts: WebhookAlert[],
  group: {
    groupKey: string;
    groupLabels?: Record<string, string>;
    commonLabels?: Record<string, string>;
    status?: "firing" | "resolved";
  },
) {
  return {
    version: "4",
    groupKey: group.groupKey,
    status: group.status ?? "firing",
    receiver: "cloudops",
    groupLabels: group.groupLabels ?? {},
    commonLabels: group.commonLabels ?? {},
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: alerts.map((a) => ({
      status: a.status ?? "firing",
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? "0001-01-01T00:00:00Z",
      generatorURL: a.generatorURL ?? "",
      fingerprint: a.fingerprint,
    })),
  };
}

/** Posts a webhook to the bot's receiver, as Alertmanager does. */
export function postAlertmanager(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${url}/api/v1/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

/**
 * Posts a webhook and requires the bot to take it (200), failing with its status and answer
 * otherwise; returns its answer. (No vitest here: the chaos bench uses these helpers too.)
 */
export async function alertmanagerAccepts(url: string, body: unknown): Promise<unknown> {
  const res = await postAlertmanager(url, body);
  if (res.status !== 200) throw new Error(`the webhook was answered ${res.status}: ${await res.text()}`);
  return res.json();
}
