/** The host ensemble's pieces: the rarity scale, the temporal change, and the ensemble itself. */
import { describe, expect, it } from "vitest";
import { HostEnsemble } from "../../src/anomaly/host-ensemble.js";
import { seededRandom } from "../../src/anomaly/random.js";
import {
  identityReference,
  parseTailReference,
  rarity,
  scoreAtRarity,
  tailReference,
} from "../../src/anomaly/tail-reference.js";
import { fitTemporal, temporalZ, trailingChange } from "../../src/anomaly/temporal-change.js";

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

describe("rarity against a training sample", () => {
  const r = seededRandom(1);
  const train = Float64Array.from({ length: 5000 }, () => gaussian(r));
  const ref = tailReference(train, 0.01);

  it("reads the training sample's own quantiles as decades of exceedance", () => {
    const sorted = Float64Array.from(train).sort();
    const q = (p: number) => sorted[Math.floor(p * (sorted.length - 1))] as number;
    expect(rarity(ref, q(0.5))).toBeCloseTo(Math.log10(2), 1);
    expect(rarity(ref, q(0.9))).toBeCloseTo(1, 1);
    expect(rarity(ref, q(0.99))).toBeCloseTo(2, 1);
    expect(rarity(ref, Number.NaN)).toBe(0);
  });

  it("is monotone, and scoreAtRarity inverts it, inside and beyond the sample", () => {
    let prev = -1;
    for (let s = -4; s <= 12; s += 0.05) {
      const v = rarity(ref, s);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    for (const level of [0.3, 1, 1.7, 2, 3, 5, 8])
      expect(rarity(ref, scoreAtRarity(ref, level))).toBeCloseTo(level, 6);
  });

  it("keeps its tail when the training sample holds a few incidents", () => {
    const contaminated = Float64Array.from(train);
    for (let i = 0; i < 25; i++) contaminated[i * 199] = 50 + i;
    const c = tailReference(contaminated, 0.01);
    // 0.5% of the rows at 50+ would have made the mean excess over the 99th percentile ~25, and
    // the rarity of 4 about 2.0 (no rarer than the 99th percentile itself).
    expect(rarity(c, 4)).toBeGreaterThan(3);
    expect(Math.abs(rarity(c, 4) - rarity(ref, 4))).toBeLessThan(0.5);
  });

  it("uses the floor for a part that scored every training row the same", () => {
    const flat = tailReference(new Float64Array(300).fill(2), 0.5);
    expect(rarity(flat, 2)).toBeLessThan(1);
    expect(rarity(flat, 2 + 0.5 * Math.LN10)).toBeCloseTo(3, 6);
  });

  it("reads a rarity as itself under the identity reference", () => {
    const id = identityReference();
    for (const x of [0, 0.3, 1, 1.5, 2, 3.7, 9]) expect(rarity(id, x)).toBeCloseTo(x, 2);
  });

  it("refuses a malformed stored reference", () => {
    expect(parseTailReference(JSON.parse(JSON.stringify(ref)))).toEqual(ref);
    expect(parseTailReference({ ...ref, beta: 0 })).toBeUndefined();
    expect(parseTailReference({ ...ref, percentiles: ref.percentiles.slice(1) })).toBeUndefined();
    expect(parseTailReference({ ...ref, percentiles: [...ref.percentiles].reverse() })).toBeUndefined();
    expect(parseTailReference("x")).toBeUndefined();
  });
});

describe("trailing change", () => {
  it("equals a brute-force median of the window's earlier values, with gaps and uneven times", () => {
    const r = seededRandom(2);
    const n = 300;
    const d = 3;
    const times = new Float64Array(n);
    for (let i = 1; i < n; i++) times[i] = (times[i - 1] as number) + (r() < 0.2 ? 120 : 60);
    const data = Float64Array.from({ length: n * d }, () => (r() < 0.1 ? Number.NaN : Math.round(r() * 20)));
    for (const window of [60, 300, 900]) {
      const got = trailingChange({ data, columns: d, times }, window, 10);
      for (let i = 10; i < n; i++)
        for (let f = 0; f < d; f++) {
          const past: number[] = [];
          for (let j = 0; j < i; j++)
            if (
              (times[j] as number) >= (times[i] as number) - window &&
              Number.isFinite(data[j * d + f] as number)
            )
              past.push(data[j * d + f] as number);
          past.sort((a, b) => a - b);
          const v = data[i * d + f] as number;
          const m = past.length;
          const want =
            m === 0 || !Number.isFinite(v)
              ? Number.NaN
              : v -
                (m % 2
                  ? (past[(m - 1) / 2] as number)
                  : ((past[m / 2 - 1] as number) + (past[m / 2] as number)) / 2);
          const at = got[(i - 10) * d + f] as number;
          if (Number.isNaN(want)) expect(at).toBeNaN();
          else expect(at).toBeCloseTo(want, 12);
        }
    }
  });

  it("flags a step in one feature at that feature, and stays quiet on its steady state", () => {
    const r = seededRandom(3);
    const n = 2000;
    const d = 4;
    const times = Float64Array.from({ length: n }, (_, i) => i * 60);
    const data = Float64Array.from({ length: n * d }, () => gaussian(r));
    const { scales } = fitTemporal({ data, columns: d, times });
    const probe = data.slice((n - 100) * d);
    for (let i = 90; i < 100; i++) probe[i * d + 2] = (probe[i * d + 2] as number) + 8;
    const z = temporalZ(scales, { data: probe, columns: d, times: times.slice(n - 100) }, 90);
    // The step's first row: feature 2 far out, the others not.
    expect(z[2] as number).toBeGreaterThan(5);
    for (const f of [0, 1, 3]) expect(z[f] as number).toBeLessThan(5);
  });
});

/** Rows of `d` correlated robust z (a shared daily wave plus noise), one a minute. */
function fleetRows(n: number, d: number, seed: number) {
  const r = seededRandom(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) data[i * d + f] = gaussian(r);
  const times = Float64Array.from({ length: n }, (_, i) => i * 60);
  return { data, columns: d, times };
}

describe("host ensemble", () => {
  const d = 8;
  const train = fleetRows(4 * 1440, d, 4);
  const ensemble = HostEnsemble.fit(train, undefined);

  it("scores fresh rows of the training distribution as rare as their calibration says", () => {
    const fresh = fleetRows(3 * 1440, d, 5);
    const { score } = ensemble.score(fresh);
    const share = (level: number) => score.filter((s) => s >= level).length / score.length;
    // In-sample calibration on the same distribution: about 10^-level of the rows.
    expect(share(1)).toBeGreaterThan(0.05);
    expect(share(1)).toBeLessThan(0.2);
    expect(share(2)).toBeGreaterThan(0.003);
    expect(share(2)).toBeLessThan(0.03);
  });

  it("flags a burst on two features and names them first, from the parts that flagged it", () => {
    const probe = fleetRows(120, d, 6);
    for (const f of [2, 5]) probe.data[119 * d + f] = 9;
    const scored = ensemble.score(probe, 119);
    expect(scored.score[0] as number).toBeGreaterThan(5);
    expect(scored.flaggedBy(0)).toEqual(expect.arrayContaining(["hour", "temporal"]));
    const c = scored.contributions(0);
    const ranked = Array.from(c, (v, f) => [v, f] as const)
      .sort((a, b) => b[0] - a[0])
      .map(([, f]) => f);
    expect(ranked.slice(0, 2).sort()).toEqual([2, 5]);
  });

  it("round-trips through JSON to identical scores, and refuses a malformed one", () => {
    const probe = fleetRows(200, d, 7);
    const back = HostEnsemble.fromJSON(JSON.parse(JSON.stringify(ensemble.json)), undefined, d);
    expect(Array.from(back.score(probe, 60).score)).toEqual(Array.from(ensemble.score(probe, 60).score));
    const json = ensemble.json;
    expect(() => HostEnsemble.fromJSON({ ...json, parts: ["nope"] }, undefined, d)).toThrow(/parts/);
    expect(() => HostEnsemble.fromJSON({ ...json, references: {} }, undefined, d)).toThrow(/reference/);
    expect(() =>
      HostEnsemble.fromJSON(
        { ...json, temporal: { ...json.temporal, scale: json.temporal?.scale.map(() => -1) } },
        undefined,
        d,
      ),
    ).toThrow(/temporal/);
    // Scales for fewer features than the host has, or a model fitted on another width: refused when
    // decoded, not at every scan.
    const t = json.temporal;
    if (!t) throw new Error("the default ensemble has a temporal part");
    expect(() =>
      HostEnsemble.fromJSON(
        { ...json, temporal: { ...t, centre: [0, 0, 0], scale: [1, 1, 1] } },
        undefined,
        d,
      ),
    ).toThrow(/temporal/);
    expect(() => HostEnsemble.fromJSON(json, undefined, d + 1)).toThrow(/temporal/);
    const manyWindows = { ...t, windows: Array.from({ length: 300_000 }, () => 60), centre: [], scale: [] };
    expect(() => HostEnsemble.fromJSON({ ...json, temporal: manyWindows }, undefined, d)).toThrow(/temporal/);
    const withPca = HostEnsemble.fit(train, undefined, { parts: ["hour", "pca"] });
    expect(() => HostEnsemble.fromJSON(withPca.json, undefined, d + 2)).toThrow(/PCA of 8 columns/);
    expect(() => HostEnsemble.fromJSON({ ...json, parts: ["isolation"] }, undefined, d)).toThrow();
    expect(() => HostEnsemble.fromJSON(null, undefined, d)).toThrow(/not a host ensemble/);
  });

  it("compares a minute-by-minute scan only with the rows on its five-minute training grid", () => {
    // Trained at 5 minutes; scored on a 1-minute window whose off-grid rows are wild: they must not count.
    const coarse = fleetRows(2000, d, 8);
    const times5 = Float64Array.from({ length: 2000 }, (_, i) => i * 300);
    const e = HostEnsemble.fit({ ...coarse, times: times5 }, undefined);
    expect(e.json.temporal?.step).toBe(300);
    const n = 61;
    const fine = fleetRows(n, d, 9);
    const times1 = Float64Array.from({ length: n }, (_, i) => 2000 * 300 + i * 60);
    const onGrid = fine.data.slice();
    for (let i = 0; i < n - 1; i++)
      if ((n - 1 - i) % 5 !== 0) for (let f = 0; f < d; f++) onGrid[i * d + f] = 50;
    const a = e.score({ data: fine.data, columns: d, times: times1 }, n - 1).parts.temporal?.[0];
    const b = e.score({ data: onGrid, columns: d, times: times1 }, n - 1).parts.temporal?.[0];
    expect(b).toBe(a);
  });

  it("gives a host whose features never moved a sane score for a small rise", () => {
    const flat = {
      data: new Float64Array(2000 * d),
      columns: d,
      times: Float64Array.from({ length: 2000 }, (_, i) => i * 300),
    };
    const e = HostEnsemble.fit(flat, undefined);
    const probe = new Float64Array(20 * d);
    probe[19 * d] = 1; // one feature one robust spread up
    const s = e.score(
      { data: probe, columns: d, times: Float64Array.from({ length: 20 }, (_, i) => 2000 * 300 + i * 300) },
      19,
    );
    // Below any default threshold (log10(1440 / 0.2) + 0.8 ≈ 4.7): one spread is not an incident.
    expect(s.score[0] as number).toBeLessThan(4);
    const big = probe.slice();
    big[19 * d] = 40;
    big[19 * d + 1] = 40;
    expect(
      e.score(
        { data: big, columns: d, times: Float64Array.from({ length: 20 }, (_, i) => 2000 * 300 + i * 300) },
        19,
      ).score[0],
    ).toBeGreaterThan(5);
  });

  it("leaves the temporal part out without times, and scores with the others", () => {
    const e = HostEnsemble.fit({ data: train.data, columns: d }, undefined);
    expect(e.parts).toEqual(["hour"]);
    expect(e.score({ data: train.data.slice(0, 10 * d), columns: d }).score).toHaveLength(10);
  });
});
