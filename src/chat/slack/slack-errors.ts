/** What a failed Slack Web API call says, for logs and start-up errors. */

/** The Slack error code (not_in_channel, invalid_auth, ...) or the transport error. */
export function slackErrorReason(e: unknown): string {
  const data = (e as { data?: { error?: string } } | undefined)?.data;
  if (data?.error) return data.error;
  return e instanceof Error ? e.message : String(e);
}

/** Thrown when Slack cannot be used with the configured credentials. */
export class SlackStartError extends Error {
  override name = "SlackStartError";
}
