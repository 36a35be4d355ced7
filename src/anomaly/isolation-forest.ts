/**
 * Isolation Forest (Liu, Ting & Zhou, 2008) on typed arrays.
 *
 * Each tree isolates a subsample of ψ rows by random axis-parallel splits up to height ceil(log2 ψ);
 * anomalies are isolated in fewer splits. The score of x is 2^(−E[h(x)] / c(ψ)), where h(x) is the
 * path length plus c(size) for the unsplit rows left in the leaf. Trees are stored as flat arrays, so a
 * model is small, fast to score, serialisable, and keeps none of the training rows.
 */
import { type Random, randomInt, seededRandom } from "./random.js";

const EULER_GAMMA = 0.5772156649;

/** Harmonic number estimate H(i) ≈ ln(i) + γ, as in the paper. */
export function harmonic(i: number): number {
  return Math.log(i) + EULER_GAMMA;
}

/** Average path length of an unsuccessful BST search among n points: c(n) = 2H(n−1) − 2(n−1)/n. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * harmonic(n - 1) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Number of trees (t in the paper); default 100. */
  trees?: number;
  /** Subsample size per tree (ψ); default 256, capped at the number of rows. */
  sampleSize?: number;
  /** Seed of the PRNG; default 42. */
  seed?: number;
}

/** Rows as arrays, or a row-major matrix with its column count. */
export type Rows = ReadonlyArray<ArrayLike<number>> | { data: Float64Array; columns: number };

interface Matrix {
  data: Float64Array;
  rows: number;
  columns: number;
}

function toMatrix(rows: Rows): Matrix {
  if (!Array.isArray(rows) && "data" in rows) {
    const r = rows as { data: Float64Array; columns: number };
    if (r.columns <= 0 || r.data.length % r.columns !== 0)
      throw new Error("matrix size is not a multiple of its columns");
    return { data: r.data, rows: r.data.length / r.columns, columns: r.columns };
  }
  const list = rows as ReadonlyArray<ArrayLike<number>>;
  const columns = list[0]?.length ?? 0;
  const data = new Float64Array(list.length * columns);
  list.forEach((row, i) => {
    if (row.length !== columns) throw new Error(`row ${i} has ${row.length} values, expected ${columns}`);
    for (let j = 0; j < columns; j++) {
      const v = Number(row[j]);
      if (!Number.isFinite(v)) throw new Error(`row ${i} column ${j} is not a finite number`);
      data[i * columns + j] = v;
    }
  });
  return { data, rows: list.length, columns };
}

/**
 * One tree as parallel arrays, 8 bytes a node, as the builder returns it and as it is stored. The
 * two children of a node are stored side by side, so a walk is `node = child[node] + (x >= value[node])`.
 * Leaves have feature −1.
 */
interface Tree {
  feature: Int16Array;
  /**
   * Split threshold of an inner node; for a leaf, depth + c(size), precomputed so scoring is one walk
   * and one read. Float32: the split is rounded before the partition, so training and scoring agree.
   */
  value: Float32Array;
  /** Index of the left child (within the tree); the right child is the next slot. */
  child: Uint16Array;
}

/**
 * Every tree's nodes in the stored layout (`Tree`'s arrays for all trees, tree after tree, each
 * tree's first node in `offsets`): what `toBinary` writes and `fromBinary` reads.
 */
interface StoredNodes {
  buf: ArrayBuffer;
  value: Float32Array;
  child: Uint16Array;
  feature: Int16Array;
  offsets: Int32Array;
}

/**
 * Every tree's nodes as scored, still 8 bytes a node, tree after tree: a model is a few objects
 * however many trees it has (a scan keeps a fleet's models in memory). A node's child index and
 * feature share one int32 so a step reads one word besides its value, and a leaf points to itself,
 * so every walk through a tree takes the same number of steps (`heights`): no data-dependent loop
 * exit, whose mispredicted branch cost more than the step itself.
 */
interface Nodes {
  /** Split threshold of an inner node; depth + c(size) of a leaf, exactly as stored. */
  value: Float32Array;
  /**
   * Inner node: INNER | left child (within the tree) << CHILD_SHIFT | feature. Leaf: its own index
   * (within the tree) << CHILD_SHIFT, feature 0, no INNER bit, so a step from it stays on it.
   */
  code: Int32Array;
  offsets: Int32Array;
  /** Longest root-to-leaf path of each tree: the steps a walk takes. */
  heights: Int32Array;
}

/** Marks an inner node's code (the sign bit): a step moves right only when it is set. */
const INNER_BIT = 31;
const INNER = 1 << INNER_BIT;
/** Features fit in the low 15 bits (MAX_COLUMNS), child indices in the next 16 (MAX_SAMPLE_SIZE). */
const CHILD_SHIFT = 15;
const FEATURE_MASK = 0x7fff;
const CHILD_MASK = 0xffff;

/** What describes a stored forest's bytes. */
export interface ForestHeader {
  version: 3;
  trees: number;
  sampleSize: number;
  seed: number;
  columns: number;
  /** Node count of each tree. */
  nodes: number[];
}

/**
 * Serialised model: every tree's nodes in one blob (values, children, features, each for all trees
 * in turn), 8 bytes a node, as base64 in JSON or as raw bytes (`toBinary`).
 */
export interface IsolationForestJson extends ForestHeader {
  blob: string;
}

/** Columns are stored as 16-bit feature indices. */
const MAX_COLUMNS = 32767;
/** Children are 16-bit node indices; a tree over ψ rows has fewer than 2ψ nodes (no leaf is empty). */
const MAX_SAMPLE_SIZE = 32768;
const NODE_BYTES = 8;

export class IsolationForest {
  readonly trees: number;
  readonly requestedSampleSize: number;
  readonly seed: number;
  private forest?: Nodes;
  private columns = 0;
  /** The number of columns the forest was fitted on (0 before fitting). */
  get fittedColumns(): number {
    return this.columns;
  }
  /** ψ actually used (min of requested and rows available). */
  private psi = 0;

  constructor(options: IsolationForestOptions = {}) {
    this.trees = options.trees ?? 100;
    this.requestedSampleSize = options.sampleSize ?? 256;
    this.seed = options.seed ?? 42;
    if (!Number.isInteger(this.trees) || this.trees < 1) throw new Error("trees must be a positive integer");
    if (
      !Number.isInteger(this.requestedSampleSize) ||
      this.requestedSampleSize < 2 ||
      this.requestedSampleSize > MAX_SAMPLE_SIZE
    ) {
      throw new Error(`sampleSize must be an integer from 2 to ${MAX_SAMPLE_SIZE}`);
    }
  }

  get sampleSize(): number {
    return this.psi;
  }

  get fitted(): boolean {
    return this.forest !== undefined;
  }

  /** Builds the forest. */
  fit(rows: Rows): this {
    const m = toMatrix(rows);
    if (m.rows < 2) throw new Error("need at least 2 rows to fit");
    if (m.columns > MAX_COLUMNS) throw new Error(`at most ${MAX_COLUMNS} columns`);
    this.columns = m.columns;
    this.psi = Math.min(this.requestedSampleSize, m.rows);
    const heightLimit = Math.ceil(Math.log2(this.psi));
    const random = seededRandom(this.seed);
    const builder = new TreeBuilder(m, this.psi, heightLimit, random);
    const trees = Array.from({ length: this.trees }, () => builder.build());
    const stored = storedArrays(trees.map((t) => t.feature.length));
    trees.forEach((t, i) => {
      const at = stored.offsets[i] as number;
      stored.value.set(t.value, at);
      stored.child.set(t.child, at);
      stored.feature.set(t.feature, at);
    });
    this.forest = toScoring(stored);
    return this;
  }

  /** Anomaly scores in (0, 1]: near 1 for anomalies, ≤ 0.5 for normal points. */
  score(rows: Rows): Float64Array {
    const forest = this.forest;
    if (!forest) throw new Error("fit the forest before scoring");
    const m = toMatrix(rows);
    if (m.rows > 0 && m.columns !== this.columns) {
      throw new Error(`rows have ${m.columns} columns, the model was fitted on ${this.columns}`);
    }
    const out = new Float64Array(m.rows);
    const { data, columns } = m;
    const n = m.rows;
    // Tree-outer order: one small tree stays in cache while every row walks it. Rows go four at a
    // time: a step waits on two dependent loads, and four independent walks overlap those waits.
    // Each row adds the trees' leaf values in tree order, as a row-at-a-time walk does.
    const { value, code, offsets, heights } = forest;
    const trees = offsets.length - 1;
    const n4 = n - (n % 4);
    for (let t = 0; t < trees; t++) {
      const root = offsets[t] as number;
      const height = heights[t] as number;
      let i = 0;
      for (let b0 = 0; i < n4; i += 4, b0 += 4 * columns) {
        const b1 = b0 + columns;
        const b2 = b1 + columns;
        const b3 = b2 + columns;
        let a0 = root;
        let a1 = root;
        let a2 = root;
        let a3 = root;
        for (let step = 0; step < height; step++) {
          // Right is +1 only on an inner node where x >= split (NaN goes left, as `<` sends it
          // in training); `+` of the comparison compiles to a flag, not a branch.
          const c0 = code[a0] as number;
          const c1 = code[a1] as number;
          const c2 = code[a2] as number;
          const c3 = code[a3] as number;
          a0 =
            root +
            ((c0 >>> CHILD_SHIFT) & CHILD_MASK) +
            (+((data[b0 + (c0 & FEATURE_MASK)] as number) >= (value[a0] as number)) & (c0 >>> INNER_BIT));
          a1 =
            root +
            ((c1 >>> CHILD_SHIFT) & CHILD_MASK) +
            (+((data[b1 + (c1 & FEATURE_MASK)] as number) >= (value[a1] as number)) & (c1 >>> INNER_BIT));
          a2 =
            root +
            ((c2 >>> CHILD_SHIFT) & CHILD_MASK) +
            (+((data[b2 + (c2 & FEATURE_MASK)] as number) >= (value[a2] as number)) & (c2 >>> INNER_BIT));
          a3 =
            root +
            ((c3 >>> CHILD_SHIFT) & CHILD_MASK) +
            (+((data[b3 + (c3 & FEATURE_MASK)] as number) >= (value[a3] as number)) & (c3 >>> INNER_BIT));
        }
        out[i] = (out[i] as number) + (value[a0] as number);
        out[i + 1] = (out[i + 1] as number) + (value[a1] as number);
        out[i + 2] = (out[i + 2] as number) + (value[a2] as number);
        out[i + 3] = (out[i + 3] as number) + (value[a3] as number);
      }
      for (let b = i * columns; i < n; i++, b += columns) {
        let a = root;
        for (let step = 0; step < height; step++) {
          const c = code[a] as number;
          a =
            root +
            ((c >>> CHILD_SHIFT) & CHILD_MASK) +
            (+((data[b + (c & FEATURE_MASK)] as number) >= (value[a] as number)) & (c >>> INNER_BIT));
        }
        out[i] = (out[i] as number) + (value[a] as number);
      }
    }
    const scale = -1 / (trees * averagePathLength(this.psi));
    for (let i = 0; i < n; i++) out[i] = 2 ** ((out[i] as number) * scale);
    return out;
  }

  toJSON(): IsolationForestJson {
    const { header, bytes } = this.toBinary();
    return {
      ...header,
      blob: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    };
  }

  /** The model as a header and its nodes' bytes (a copy, which may be transferred to another thread). */
  toBinary(): { header: ForestHeader; bytes: Uint8Array } {
    const forest = this.forest;
    if (!forest) throw new Error("fit the forest before saving it");
    const nodes = Array.from(forest.offsets.subarray(1), (end, t) => end - (forest.offsets[t] as number));
    const stored = toStored(forest);
    return {
      header: {
        version: 3,
        trees: this.trees,
        sampleSize: this.psi,
        seed: this.seed,
        columns: this.columns,
        nodes,
      },
      bytes: new Uint8Array(stored.buf),
    };
  }

  /** Restores a model; validates shapes so corrupted data from Redis fails here, not while scoring. */
  static fromJSON(json: IsolationForestJson): IsolationForest {
    if (typeof json?.blob !== "string") throw new Error("not an isolation forest model");
    const blob = json.blob;
    return IsolationForest.restore(
      json,
      (total, buf) =>
        Buffer.byteLength(blob, "base64") === total * NODE_BYTES &&
        Buffer.from(buf).write(blob, "base64") === total * NODE_BYTES,
    );
  }

  /** Restores a model from `toBinary`'s header and bytes, validated as `fromJSON`. */
  static fromBinary(header: ForestHeader, bytes: Uint8Array): IsolationForest {
    return IsolationForest.restore(header, (total, buf) => {
      if (bytes.byteLength !== total * NODE_BYTES) return false;
      new Uint8Array(buf).set(bytes);
      return true;
    });
  }

  /** Validates a header, lets `fill` write the nodes into their buffer, and checks every tree. */
  private static restore(
    json: ForestHeader,
    fill: (total: number, buf: ArrayBuffer) => boolean,
  ): IsolationForest {
    if (json?.version !== 3 || !Array.isArray(json.nodes)) {
      throw new Error("not an isolation forest model");
    }
    const model = new IsolationForest({
      trees: json.trees,
      sampleSize: Math.max(2, json.sampleSize),
      seed: json.seed,
    });
    model.columns = json.columns;
    model.psi = json.sampleSize;
    if (!Number.isInteger(json.sampleSize) || json.sampleSize < 2 || json.sampleSize > MAX_SAMPLE_SIZE) {
      throw new Error("corrupted isolation forest model");
    }
    const corrupted = () => new Error("corrupted isolation forest model");
    if (!Number.isInteger(json.columns) || json.columns < 1 || json.columns > MAX_COLUMNS) throw corrupted();
    // A tree over ψ rows has fewer than 2ψ nodes: larger counts are corruption, not a reason to allocate.
    const maxNodes = 2 * json.sampleSize;
    if (
      json.nodes.length !== json.trees ||
      json.nodes.some((n) => !Number.isInteger(n) || n < 1 || n >= maxNodes)
    ) {
      throw corrupted();
    }
    const total = json.nodes.reduce((a, b) => a + b, 0);
    const stored = storedArrays(json.nodes);
    if (!fill(total, stored.buf)) throw corrupted();
    const { feature, child, offsets } = stored;
    for (let t = 0; t < json.nodes.length; t++) {
      const root = offsets[t] as number;
      const n = (offsets[t + 1] as number) - root;
      // Children always come after their parent, so a walk can neither loop nor leave its tree.
      for (let i = 0; i < n; i++) {
        const f = feature[root + i] as number;
        const c = child[root + i] as number;
        if (f >= model.columns || (f >= 0 && (c <= i || c + 1 >= n))) throw corrupted();
      }
    }
    model.forest = toScoring(stored);
    return model;
  }
}

/** One buffer for trees of the given node counts: values, then children, then features (each aligned). */
function storedArrays(nodes: readonly number[]): StoredNodes {
  const offsets = new Int32Array(nodes.length + 1);
  nodes.forEach((n, t) => {
    offsets[t + 1] = (offsets[t] as number) + n;
  });
  const total = offsets[nodes.length] as number;
  const buf = new ArrayBuffer(total * NODE_BYTES);
  return {
    buf,
    value: new Float32Array(buf, 0, total),
    child: new Uint16Array(buf, total * 4, total),
    feature: new Int16Array(buf, total * 6, total),
    offsets,
  };
}

/**
 * The scoring layout of stored trees (validated: children after their parent, inside the tree).
 * Every path from the root is followed to its depth in one pass in node order, which sees a parent
 * before its children; the height is an upper bound of every walk even if a corrupted tree shares a
 * child between parents or holds unreachable nodes.
 */
function toScoring(stored: StoredNodes): Nodes {
  const { value, child, feature, offsets } = stored;
  const trees = offsets.length - 1;
  const total = offsets[trees] as number;
  const code = new Int32Array(total);
  const heights = new Int32Array(trees);
  let largest = 0;
  for (let t = 0; t < trees; t++)
    largest = Math.max(largest, (offsets[t + 1] as number) - (offsets[t] as number));
  const depth = new Int32Array(largest);
  for (let t = 0; t < trees; t++) {
    const root = offsets[t] as number;
    const n = (offsets[t + 1] as number) - root;
    depth.fill(0, 0, n);
    let height = 0;
    for (let i = 0; i < n; i++) {
      const f = feature[root + i] as number;
      const d = depth[i] as number;
      if (f < 0) {
        code[root + i] = i << CHILD_SHIFT;
        if (d > height) height = d;
        continue;
      }
      const c = child[root + i] as number;
      code[root + i] = INNER | (c << CHILD_SHIFT) | f;
      if (d + 1 > (depth[c] as number)) depth[c] = d + 1;
      if (d + 1 > (depth[c + 1] as number)) depth[c + 1] = d + 1;
    }
    heights[t] = height;
  }
  return { value: value.slice(), code, offsets, heights };
}

/** The stored layout back from the scoring one: leaves get feature −1 and child 0, as built. */
function toStored(forest: Nodes): StoredNodes {
  const { value, code, offsets } = forest;
  const stored = storedArrays(Array.from(offsets.subarray(1), (end, t) => end - (offsets[t] as number)));
  stored.value.set(value);
  for (let i = 0; i < value.length; i++) {
    const c = code[i] as number;
    if (c & INNER) {
      stored.child[i] = (c >>> CHILD_SHIFT) & CHILD_MASK;
      stored.feature[i] = c & FEATURE_MASK;
    } else {
      stored.child[i] = 0;
      stored.feature[i] = -1;
    }
  }
  return stored;
}

/** Builds trees over one matrix, reusing scratch buffers between trees. */
class TreeBuilder {
  private readonly index: Int32Array;
  private readonly sample: Int32Array;
  private readonly candidates: Int32Array;
  // Node storage grows per tree; a full binary tree of height h has < 2^(h+1) nodes.
  private readonly maxNodes: number;
  private feature: Int16Array;
  private value: Float32Array;
  private child: Uint16Array;
  private count = 0;

  constructor(
    private readonly m: Matrix,
    private readonly psi: number,
    private readonly heightLimit: number,
    private readonly random: Random,
  ) {
    this.index = new Int32Array(m.rows);
    for (let i = 0; i < m.rows; i++) this.index[i] = i;
    this.sample = new Int32Array(psi);
    this.candidates = Int32Array.from({ length: m.columns }, (_, f) => f);
    this.maxNodes = 2 ** (heightLimit + 1);
    this.feature = new Int16Array(this.maxNodes);
    this.value = new Float32Array(this.maxNodes);
    this.child = new Uint16Array(this.maxNodes);
  }

  build(): Tree {
    // Partial Fisher–Yates: a uniform subsample without replacement in O(ψ).
    const n = this.m.rows;
    for (let i = 0; i < this.psi; i++) {
      const j = i + randomInt(this.random, n - i);
      const tmp = this.index[i] as number;
      this.index[i] = this.index[j] as number;
      this.index[j] = tmp;
      this.sample[i] = this.index[i] as number;
    }
    this.count = 1;
    this.grow(0, 0, this.psi, 0);
    const c = this.count;
    return {
      feature: this.feature.slice(0, c),
      value: this.value.slice(0, c),
      child: this.child.slice(0, c),
    };
  }

  /** Grows the subtree over sample[lo, hi) at `depth` into the already reserved slot `node`. */
  private grow(node: number, lo: number, hi: number, depth: number): void {
    const size = hi - lo;
    if (depth >= this.heightLimit || size <= 1) {
      this.leaf(node, size, depth);
      return;
    }
    const { data, columns } = this.m;
    // Only features that vary in this node can split it. Drawing features without replacement until
    // one varies picks uniformly among those that do, and usually scans a single column. Each draw
    // swaps within `candidates`, which so stays a permutation of all columns: no reset between nodes.
    let remaining = columns;
    let f = -1;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    while (remaining > 0) {
      const pick = randomInt(this.random, remaining);
      const candidate = this.candidates[pick] as number;
      this.candidates[pick] = this.candidates[--remaining] as number;
      this.candidates[remaining] = candidate;
      min = Number.POSITIVE_INFINITY;
      max = Number.NEGATIVE_INFINITY;
      for (let k = lo; k < hi; k++) {
        const v = data[(this.sample[k] as number) * columns + candidate] as number;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max > min) {
        f = candidate;
        break;
      }
    }
    if (f < 0) {
      // No feature varies: the rows are identical.
      this.leaf(node, size, depth);
      return;
    }
    // The split is stored as a float32, so it is rounded before partitioning; rounding must not
    // put it on or below min (an empty left side) or above max (an empty right side).
    let split = Math.fround(min + this.random() * (max - min));
    if (split <= min || split > max) split = Math.fround((min + max) / 2);
    if (split <= min || split > max) split = Math.fround(max) > min ? Math.fround(max) : max;
    // Partition sample[lo, hi) in place: values < split go left.
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      if ((data[(this.sample[i] as number) * columns + f] as number) < split) i++;
      else {
        const tmp = this.sample[i] as number;
        this.sample[i] = this.sample[j] as number;
        this.sample[j] = tmp;
        j--;
      }
    }
    const left = this.count;
    this.count += 2;
    this.feature[node] = f;
    this.value[node] = split;
    this.child[node] = left;
    this.grow(left, lo, i, depth + 1);
    this.grow(left + 1, i, hi, depth + 1);
  }

  private leaf(node: number, size: number, depth: number): void {
    this.feature[node] = -1;
    this.child[node] = 0;
    this.value[node] = depth + averagePathLength(size);
  }
}
