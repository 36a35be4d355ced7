/**
 * The Prometheus client against servers that misbehave at the wire: refused connections, slowness,
 * garbage, 5xx then success, 4xx with Prometheus's error text, oversized answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PrometheusClient } from "../../src/metrics/prometheus-client.js";
import { PrometheusError } from "../../src/metrics/prometheus-error.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<string> {
  let n = 0;
  const server = createServer((req, res) => handler(req, res, n++));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(baseUrl: string, extra: Partial<ConstructorParameters<typeof PrometheusClient>[0]> = {}) {
  return new PrometheusClient({
    environment: "test",
    baseUrl,
    // Long enough for a loaded machine; the timeout test sets its own.
    timeoutMs: 10_000,
    retries: 2,
    cacheTtlMs: 0,
    ...extra,
  });
}

const vector = JSON.stringify({
  status: "success",
  data: { resultType: "vector", result: [{ metric: { instance: "a:9100" }, value: [1700000000, "42.5"] }] },
});

async function errorOf(p: Promise<unknown>): Promise<PrometheusError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PrometheusError);
    return e as PrometheusError;
  }
  throw new Error("expected a PrometheusError");
}

describe("PrometheusClient", () => {
  it("parses an instant vector, including NaN and Inf", async () => {
    const url = await serve((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          status: "success",
          data: {
            resultType: "vector",
            result: [
              { metric: { instance: "a" }, value: [1, "1.5"] },
              { metric: { instance: "b" }, value: [1, "NaN"] },
              { metric: { instance: "c" }, value: [1, "+Inf"] },
            ],
          },
        }),
      );
    });
    const r = await client(url).instant("up");
    expect(r.map((s) => s.value)).toEqual([1.5, Number.NaN, Number.POSITIVE_INFINITY]);
  });

  it("parses a range matrix and rejects every malformed part of one", async () => {
    const matrix = (result: unknown) => ({ status: "success", data: { resultType: "matrix", result } });
    const answers = [
      matrix([
        {
          metric: { instance: "a" },
          values: [
            [60, "1.5"],
            [120, "NaN"],
            [180, "+Inf"],
          ],
        },
        { metric: {}, values: [] },
      ]),
      matrix([{ metric: { instance: "a" }, values: [["60", "1"]] }]),
      matrix([{ metric: { instance: "a" }, values: [[60, 1]] }]),
      matrix([{ metric: { instance: "a" }, values: [[60, "1", 5]] }]),
      matrix([{ metric: { instance: 7 }, values: [] }]),
      matrix([{ metric: { instance: "a" } }]),
      matrix({}),
      { status: "success", data: { resultType: "vector", result: [] } },
    ];
    const url = await serve((_req, res, n) => res.end(JSON.stringify(answers[n])));
    const c = client(url, { retries: 0 });
    const ok = await c.range("up", { start: 60, end: 180, step: 60 });
    expect(ok).toEqual([
      {
        labels: { instance: "a" },
        points: [
          [60, 1.5],
          [120, Number.NaN],
          [180, Number.POSITIVE_INFINITY],
        ],
      },
      { labels: {}, points: [] },
    ]);
    for (let i = 1; i < answers.length - 1; i++) {
      const e = await errorOf(c.range(`up offset ${i}m`, { start: 60, end: 180, step: 60 }));
      expect(e.code).toBe("bad_response");
      expect(e.message).toMatch(/unexpected shape/);
    }
    expect((await errorOf(c.range("up", { start: 60, end: 180, step: 60 }))).message).toMatch(
      /a vector where a range matrix was expected/,
    );
  });

  it("says a refused connection is unreachable, naming the URL", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const dead = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const e = await errorOf(client(dead, { retries: 0 }).instant("up"));
    expect(e.code).toBe("unreachable");
    expect(e.message).toBe(`Prometheus at ${dead} refused the connection (is it running?)`);
  });

  it("times out a slow server within the per-call timeout", async () => {
    const url = await serve((_req, res) => {
      setTimeout(() => res.end(vector), 60_000).unref();
    });
    const started = Date.now();
    const e = await errorOf(client(url, { timeoutMs: 300, retries: 0 }).instant("up"));
    expect(e.code).toBe("timeout");
    expect(e.message).toContain("did not answer within 0.3 s");
    // The server would answer after 60 s; a loaded machine adds seconds to the 0.3 s, never tens.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("rejects garbage with a clear reason", async () => {
    const url = await serve((_req, res) => res.end("<html>proxy login</html>"));
    const e = await errorOf(client(url).instant("up"));
    expect(e.code).toBe("bad_response");
    expect(e.message).toContain("non-JSON");
  });

  it("rejects JSON of the wrong shape", async () => {
    const url = await serve((_req, res) =>
      res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ nope: 1 }] } })),
    );
    expect((await errorOf(client(url).instant("up"))).code).toBe("bad_response");
  });

  it("retries 5xx with backoff and then succeeds", async () => {
    const url = await serve((_req, res, n) => {
      if (n < 2) {
        res.statusCode = 503;
        res.end("overloaded");
      } else res.end(vector);
    });
    const r = await client(url).instant("up");
    expect(r[0]?.value).toBe(42.5);
  });

  it("never retries a 4xx and passes Prometheus's error text on", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.statusCode = 400;
      res.end(
        JSON.stringify({
          status: "error",
          errorType: "bad_data",
          error: 'parse error at char 5: unexpected "}"',
        }),
      );
    });
    const e = await errorOf(client(url).instant("up}"));
    expect(e.code).toBe("bad_query");
    expect(e.message).toContain('parse error at char 5: unexpected "}"');
    expect(calls).toBe(1);
  });

  it("bounds the size of an answer", async () => {
    const url = await serve((_req, res) => res.end("x".repeat(2_000_000)));
    const e = await errorOf(client(url, { maxResponseBytes: 1_000_000 }).instant("up"));
    expect(e.code).toBe("bad_response");
    expect(e.message).toContain("larger than");
  });

  it("shares one answer between identical queries within the cache TTL", async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      setTimeout(() => res.end(vector), 20);
    });
    // A TTL no loaded machine outlasts between these few calls.
    const c = client(url, { cacheTtlMs: 120_000 });
    await Promise.all([c.instant("up"), c.instant("up"), c.instant("up")]);
    await c.instant("up");
    expect(calls).toBe(1);
    await c.instant("up == 0");
    expect(calls).toBe(2);
  });

  it("sends queries as POST form bodies and honours the caller's abort", async () => {
    let body = "";
    const url = await serve((req, res) => {
      req.on("data", (d) => {
        body += d;
      });
      // Answers long after the caller gives up, however slow the machine.
      req.on("end", () => setTimeout(() => res.end(vector), 60_000).unref());
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await errorOf(
      client(url, { timeoutMs: 30_000 }).instant('up{job="a b"}', { signal: ac.signal }),
    );
    expect(e.code).toBe("timeout");
    expect(new URLSearchParams(body).get("query")).toBe('up{job="a b"}');
  });
});
