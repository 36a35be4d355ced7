/** Coded errors from the Prometheus client, each with a message fit to show the person on call. */

export type PrometheusErrorCode =
  /** Connection refused, DNS failure, reset. */
  | "unreachable"
  /** No answer within the per-call timeout or the caller's deadline. */
  | "timeout"
  /** Prometheus rejected the query (4xx); its own error text is passed on. */
  | "bad_query"
  /** 5xx after retries. */
  | "server_error"
  /** The answer was not Prometheus's JSON (a proxy page, truncated body, garbage). */
  | "bad_response";

export class PrometheusError extends Error {
  constructor(
    readonly code: PrometheusErrorCode,
    message: string,
    readonly environment: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "PrometheusError";
  }
}

export function isPrometheusError(e: unknown): e is PrometheusError {
  return e instanceof PrometheusError;
}
