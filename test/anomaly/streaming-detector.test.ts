/** The streaming detector: causal, bounded, and loud at the start of an incident. */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/anomaly/random.js";
import { StreamingDetector, scoreSeries } from "../../src/anomaly/streaming-detector.js";

function seasonal(n: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * (rnd() - 0.5));
}

describe("StreamingDetector", () => {
  it("is causal: a row's score is the same whether or not later rows exist", () => {
    const x = seasonal(1500, 1);
    x[1200] = 200;
    const full = scoreSeries(x);
    const prefix = scoreSeries(x.slice(0, 1000));
    expect(Array.from(prefix)).toEqual(Array.from(full.slice(0, 1000)));
  });

  it("scores every row in [0, 1]", () => {
    const x = seasonal(2000, 2);
    for (let i = 1500; i < 1600; i++) x[i] = 0; // an outage
    const s = scoreSeries(x);
    expect(s.length).toBe(x.length);
    for (const v of s) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it("peaks at a spike and stays quieter on the ordinary rows after it", () => {
    const x = seasonal(3000, 3);
    x[2500] = 120;
    const s = scoreSeries(x);
    const spike = s[2500] as number;
    expect(spike).toBeGreaterThan(0.99);
    const after = Math.max(...Array.from(s.slice(2510, 2780)));
    expect(after).toBeLessThan(spike);
    // Nothing in the ordinary stretch before it reaches the spike's score.
    expect(Math.max(...Array.from(s.slice(1000, 2490)))).toBeLessThan(spike);
  });

  it("catches a level shift when it starts", () => {
    const x = seasonal(3000, 4);
    for (let i = 2400; i < 3000; i++) x[i] = (x[i] as number) + 40;
    const s = scoreSeries(x);
    const onset = Math.max(...Array.from(s.slice(2400, 2410)));
    expect(onset).toBeGreaterThan(0.98);
    expect(onset).toBeGreaterThan(Math.max(...Array.from(s.slice(1000, 2399))));
  });

  it("gives a flat series and a repeated pattern no alarm", () => {
    const flat = scoreSeries(new Array(2000).fill(7));
    expect(Math.max(...Array.from(flat))).toBeLessThan(0.5);
    const square = scoreSeries(
      Array.from({ length: 2000 }, (_, i) => (Math.floor(i / 144) % 2 === 0 ? 10 : 80)),
    );
    expect(Math.max(...Array.from(square.slice(600)))).toBeLessThan(0.9);
  });

  it("skips non-finite values instead of failing", () => {
    const det = new StreamingDetector();
    expect(det.update(Number.NaN)).toBe(0);
    expect(det.update(Number.POSITIVE_INFINITY)).toBe(0);
    expect(det.update(1)).toBe(0);
  });

  it("rejects nonsensical options", () => {
    expect(() => new StreamingDetector({ scales: [] })).toThrow(/scales/);
    expect(() => new StreamingDetector({ history: 3 })).toThrow(/history/);
  });
});
