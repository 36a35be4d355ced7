/**
 * Charts drawn by one replica are served by another: the store writes each chart to Redis under its
 * id, with its time to live, and serves only PNGs from there.
 */
import { afterAll, describe, expect, it } from "vitest";
import { renderLineChart } from "../../src/charts/line-chart.js";
import { ChartStore } from "../../src/http/chart-store.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../support/redis.js";
import { until } from "../support/until.js";

const redis = testRedis();
const prefix = testPrefix("charts");
afterAll(() => dropKeysAndDisconnect(redis, prefix));

describe("chart store", () => {
  it("serves a chart another replica drew, and nothing that is not a PNG", async () => {
    const chart = await renderLineChart({
      title: "cpu",
      unit: "percent",
      series: [
        {
          name: "web-1",
          points: [
            [0, 1],
            [60_000, 2],
          ],
        },
      ],
      width: 200,
      height: 120,
    });
    const a = new ChartStore(10, 60_000, { redis, prefix });
    const b = new ChartStore(10, 60_000, { redis, prefix });
    const id = a.put(chart.png);
    await until("the chart shared", async () => (await redis.exists(`${prefix}:${id}`)) === 1);
    expect((await b.get(id))?.equals(chart.png)).toBe(true);
    const ttl = await redis.pttl(`${prefix}:${id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await redis.set(`${prefix}:notapng`, "<script>alert(1)</script>");
    expect(await b.get("notapng")).toBeUndefined();
    expect(await b.get("unknown")).toBeUndefined();
    // Without Redis it is the replica's own memory only.
    const alone = new ChartStore(10, 60_000);
    expect(await alone.get(id)).toBeUndefined();
    expect((await alone.get(alone.put(chart.png)))?.equals(chart.png)).toBe(true);
  });
});
