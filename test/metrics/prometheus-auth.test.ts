/**
 * Prometheus behind authentication: the credentials come from their own variables
 * (PROMETHEUS_BEARER_TOKEN, PROMETHEUS_BASIC_AUTH_USER/_PASSWORD, per environment with a suffix) and
 * reach the server as the Authorization header on every kind of call; a URL with credentials is
 * refused, and no password appears in an error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, prometheusSettings } from "../../src/config/config.js";
import { Environments } from "../../src/metrics/environments.js";
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

const TOKEN = "prom-token-4f9c2a";
const PASSWORD = "b4sic-p@ss:word";

/** A Prometheus that answers only requests carrying `expected` as Authorization, and records what came. */
async function protectedPrometheus(expected: string): Promise<{ url: string; seen: (string | undefined)[] }> {
  const seen: (string | undefined)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.headers.authorization);
    res.setHeader("content-type", "application/json");
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end(JSON.stringify({ status: "error", errorType: "auth", error: "unauthorized" }));
      return;
    }
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const data =
      path === "/api/v1/query"
        ? { resultType: "vector", result: [{ metric: { instance: "a:9100" }, value: [1700000000, "1"] }] }
        : path === "/api/v1/query_range"
          ? {
              resultType: "matrix",
              result: [{ metric: { instance: "a:9100" }, values: [[1700000000, "1"]] }],
            }
          : path.startsWith("/api/v1/label/")
            ? ["a:9100"]
            : path === "/api/v1/series"
              ? [{ __name__: "up", instance: "a:9100" }]
              : { activeTargets: [] };
    res.writeHead(200).end(JSON.stringify({ status: "success", data }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** Every kind of call the client makes: POST queries and GET label/target reads. */
async function everyCall(client: PrometheusClient): Promise<void> {
  await client.instant("up");
  await client.range("up", { start: 1700000000, end: 1700000060, step: 15 });
  await client.labelValues("instance", ["up"]);
  await client.series(["up"]);
  await client.targets();
}

describe("Prometheus authentication", () => {
  it("sends PROMETHEUS_BEARER_TOKEN as a bearer header on every call", async () => {
    const prom = await protectedPrometheus(`Bearer ${TOKEN}`);
    const config = loadConfig({ PROMETHEUS_URL: prom.url, PROMETHEUS_BEARER_TOKEN: TOKEN });
    const client = new Environments(prometheusSettings(config)).get();
    if (!client) throw new Error("no default environment");
    await everyCall(client);
    expect(prom.seen).toEqual(Array(5).fill(`Bearer ${TOKEN}`));
  });

  it("sends each environment its own credentials: basic auth to one, a token to another", async () => {
    const prod = await protectedPrometheus(basic("bot", PASSWORD));
    const lab = await protectedPrometheus(`Bearer ${TOKEN}`);
    const config = loadConfig({
      PROMETHEUS_ENVIRONMENTS: `prod=${prod.url},lab-2=${lab.url}`,
      PROMETHEUS_BASIC_AUTH_USER_PROD: "bot",
      PROMETHEUS_BASIC_AUTH_PASSWORD_PROD: PASSWORD,
      PROMETHEUS_BEARER_TOKEN_LAB_2: TOKEN,
    });
    const envs = new Environments(prometheusSettings(config));
    expect(await envs.get("prod")?.ready()).toBe(true);
    expect(await envs.get("lab-2")?.ready()).toBe(true);
    expect(await envs.hosts("prod")).toEqual([{ name: "a", instances: ["a:9100"] }]);
    expect(prod.seen.every((h) => h === basic("bot", PASSWORD))).toBe(true);
    expect(lab.seen).toEqual([`Bearer ${TOKEN}`]);
  });

  it("without credentials, the server's refusal is a bad query named by its URL, not retried", async () => {
    const prom = await protectedPrometheus(`Bearer ${TOKEN}`);
    const client = new Environments(prometheusSettings(loadConfig({ PROMETHEUS_URL: prom.url }))).get();
    const e = await client?.instant("up").catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PrometheusError);
    expect((e as PrometheusError).code).toBe("bad_query");
    expect((e as PrometheusError).message).toContain(
      `Prometheus at ${prom.url} rejected the query: unauthorized`,
    );
    expect(prom.seen).toEqual([undefined]);
  });

  it("refuses a URL with credentials in the client too, without repeating the password", () => {
    const make = () =>
      new PrometheusClient({
        environment: "prod",
        baseUrl: `http://admin:${PASSWORD}@127.0.0.1:9090`,
        timeoutMs: 1000,
        retries: 0,
        cacheTtlMs: 0,
      });
    expect(make).toThrow(/contains credentials \(http:\/\/\*\*\*@127\.0\.0\.1:9090\); pass them as auth/);
    expect(() => make()).not.toThrow(PASSWORD);
  });

  it("removes credentials from a URL a failing proxy quotes in its error page", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(502).end(`upstream http://scraper:${PASSWORD}@10.0.0.9:9090 is down`);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = new PrometheusClient({
      environment: "prod",
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      timeoutMs: 5000,
      retries: 0,
      cacheTtlMs: 0,
    });
    const e = (await client.instant("up").catch((err: unknown) => err)) as PrometheusError;
    expect(e.code).toBe("server_error");
    expect(e.message).toContain("upstream http://***@10.0.0.9:9090 is down");
    expect(e.message).not.toContain(PASSWORD);
  });
});
