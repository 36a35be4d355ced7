/**
 * The check every PromQL expression from outside (the model's promql_query, a range or step a caller
 * chose) passes before it reaches Prometheus. It parses with Prometheus' own grammar
 * (`@prometheus-io/lezer-promql`, the Lezer grammar its web UI uses) and reads the syntax tree, so a
 * spelling trick cannot slip past it the way it slips past a text deny-list:
 * - it must parse, with every string closed and every duration a literal (`5m`, `1h30m`);
 * - range selectors, subquery ranges and offsets within `maxRangeSeconds`, nested subquery ranges
 *   together too;
 * - subquery resolutions at least `minStepSeconds`, and at most {@link MAX_POINTS} evaluations per
 *   series over the span Prometheus evaluates a subquery on (a subquery has no limit of its own);
 * - every selector names its metric; `__name__` regex matchers are refused (they select every metric);
 * - the distinct selectors come back, so the caller can count their series ({@link seriesCountQuery})
 *   before the data query and refuse above `maxSeries`.
 * It never throws: anything it cannot read is refused with a reason.
 *
 * The grammar is more permissive than Prometheus in places (`rate(x)[5m]` parses); that only means
 * Prometheus refuses some expressions we let through, never that we let through what it runs.
 */
import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { promDuration } from "./promql.js";

/** What the operator allows (PROMQL_MAX_RANGE, PROMQL_MIN_STEP, PROMQL_MAX_SERIES). */
export interface PromqlLimits {
  /** Longest range selector, subquery range, offset and query range, in seconds. */
  maxRangeSeconds: number;
  /** Shortest query_range step and subquery resolution, in seconds. */
  minStepSeconds: number;
  /** Most series the selectors of one expression may match together. */
  maxSeries: number;
}

export const DEFAULT_PROMQL_LIMITS: PromqlLimits = {
  maxRangeSeconds: 7 * 86400,
  minStepSeconds: 15,
  maxSeries: 10_000,
};

/** Most points per series: Prometheus' own bound for range queries, kept for subqueries too. */
export const MAX_POINTS = 11_000;
/** Longest expression read: parsing is linear, and this keeps it short whatever the caller sends. */
export const MAX_QUERY_CHARS = 4000;
/** Most distinct selectors: each is one arm of the series-count query. */
export const MAX_SELECTORS = 50;
/** Problems told at once: enough to fix a query in one go, short enough to read. */
const MAX_PROBLEMS = 3;

export type PromqlVerdict =
  | {
      ok: true;
      /** The distinct series selectors as written, for {@link seriesCountQuery}. */
      selectors: string[];
    }
  | { ok: false; reason: string };

/** How the expression is evaluated: instant (default) or over a range of `rangeSeconds`. */
export interface EvaluationShape {
  rangeSeconds?: number;
}

/**
 * Checks an expression; `shape` says over what span a range query evaluates it (subqueries are then
 * evaluated over that span plus their own range).
 */
export function checkPromql(
  expr: string,
  limits: PromqlLimits = DEFAULT_PROMQL_LIMITS,
  shape: EvaluationShape = {},
): PromqlVerdict {
  try {
    return check(expr, limits, shape.rangeSeconds ?? 0);
  } catch {
    // The parser recovers from every input it is given; this is only so that a bug of ours refuses
    // a query instead of running it or failing the tool.
    return { ok: false, reason: "the expression could not be checked" };
  }
}

/** Why a query_range request is refused, or undefined when it is within the limits. */
export function checkRangeQuery(
  range: { start: number; end: number; step: number },
  limits: PromqlLimits = DEFAULT_PROMQL_LIMITS,
): string | undefined {
  const span = range.end - range.start;
  if (![range.start, range.end, range.step].every(Number.isFinite) || span < 0)
    return "the time range is not a valid start, end and step";
  if (span > limits.maxRangeSeconds)
    return `a range of ${duration(span)} is longer than the ${duration(limits.maxRangeSeconds)} allowed (PROMQL_MAX_RANGE)`;
  if (range.step < limits.minStepSeconds)
    return `a step of ${duration(range.step)} is finer than the ${duration(limits.minStepSeconds)} allowed (PROMQL_MIN_STEP)`;
  if (span / range.step > MAX_POINTS)
    return `${duration(span)} at a ${duration(range.step)} step is more than ${MAX_POINTS} points per series`;
  return undefined;
}

/**
 * One instant query whose single value is how many series the selectors match together (each
 * counted alone: `or vector(0)` keeps a selector matching nothing from emptying the sum).
 */
export function seriesCountQuery(selectors: readonly string[]): string {
  return selectors.map((s) => `(count(${s}) or vector(0))`).join(" + ");
}

/** Why `count` series are too many, or undefined. */
export function tooManySeries(
  count: number,
  limits: PromqlLimits = DEFAULT_PROMQL_LIMITS,
): string | undefined {
  if (!Number.isFinite(count)) return "the number of series it selects could not be counted";
  if (count > limits.maxSeries)
    return `its selectors match ${count} series, more than the ${limits.maxSeries} allowed (PROMQL_MAX_SERIES); narrow them with label matchers (e.g. {instance="web-1"}) or ask for fewer metrics`;
  return undefined;
}

function duration(seconds: number): string {
  return Number.isInteger(seconds) && seconds >= 1 ? promDuration(seconds) : `${seconds}s`;
}

const refuse = (reason: string): PromqlVerdict => ({ ok: false, reason });

/** A node and the sum of the subquery ranges around it (the history it is evaluated over). */
interface Visit {
  node: SyntaxNode;
  enclosing: number;
}

function check(expr: string, limits: PromqlLimits, spanSeconds: number): PromqlVerdict {
  if (typeof expr !== "string" || expr.trim() === "") return refuse("the expression is empty");
  if (expr.length > MAX_QUERY_CHARS)
    return refuse(`the expression is longer than ${MAX_QUERY_CHARS} characters`);
  const tree = parser.parse(expr);
  let errorAt: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (errorAt !== undefined) return false;
      if (n.type.isError) errorAt = n.from;
      return undefined;
    },
  });
  if (errorAt !== undefined) return refuse(`it is not valid PromQL near ${near(expr, errorAt)}`);

  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  // Every problem is collected (the first few are told), so the model can fix them in one go.
  const problems: string[] = [];
  const problem = (why: string) => {
    if (!problems.includes(why)) problems.push(why);
  };
  /** Selector text → where it first appears, to list them in the order written. */
  const selectors = new Map<string, number>();
  // An explicit stack, not recursion: nesting depth is whatever the caller wrote.
  const stack: Visit[] = [{ node: tree.topNode, enclosing: 0 }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const { node, enclosing } = stack.pop() as Visit;
    const children = namedChildren(node);
    switch (node.name) {
      case "StringLiteral":
        if (!closedString(text(node))) problem(`the string at ${near(expr, node.from)} is not closed`);
        continue;
      case "VectorSelector": {
        const why = selectorProblem(node, text);
        if (why) problem(`${shorten(text(node))}: ${why}`);
        const written = text(node).trim();
        if (!selectors.has(written)) selectors.set(written, node.from);
        if (selectors.size > MAX_SELECTORS) {
          problem(`it has more than ${MAX_SELECTORS} different selectors; ask for fewer metrics at once`);
          continue;
        }
        break; // its strings are checked with the rest
      }
      case "MatrixSelector": {
        const [inner, range] = children;
        if (inner?.name !== "VectorSelector")
          problem(
            `${shorten(text(node))}: a range [...] applies to a metric selector only; use a subquery [range:step] for an expression`,
          );
        const seconds = literalSeconds(range, text);
        const why = rangeProblem(seconds, range, enclosing, limits, text, false);
        if (why) problem(why);
        if (inner) stack.push({ node: inner, enclosing });
        continue;
      }
      case "SubqueryExpr": {
        const [inner, range, step] = children;
        const seconds = literalSeconds(range, text);
        const why = rangeProblem(seconds, range, enclosing, limits, text, true);
        if (why) problem(why);
        const rangeSeconds = seconds || 0;
        const stepSeconds = step ? literalSeconds(step, text) : undefined;
        if (step && stepSeconds === undefined) problem(notLiteral(step, text));
        // Without a resolution Prometheus uses its evaluation interval, which we cannot see: count
        // the finest one allowed, and ask for an explicit resolution when that would be too many.
        const resolution = stepSeconds ?? limits.minStepSeconds;
        // Prometheus evaluates a subquery once over the whole span it is needed for: the query's
        // range, every enclosing subquery's range and its own.
        const span = spanSeconds + enclosing + rangeSeconds;
        if (step && stepSeconds !== undefined && !(resolution >= limits.minStepSeconds))
          problem(
            `${shorten(text(node))}: a subquery resolution of ${text(step)} is finer than the ${duration(limits.minStepSeconds)} allowed (PROMQL_MIN_STEP)`,
          );
        else if (span / resolution > MAX_POINTS)
          problem(
            `${shorten(text(node))}: ${step ? "this resolution" : "without a resolution it"} means ${Math.ceil(span / resolution)} evaluations per series, more than ${MAX_POINTS}; use a resolution of at least ${duration(Math.ceil(span / MAX_POINTS))}`,
          );
        if (inner) stack.push({ node: inner, enclosing: enclosing + rangeSeconds });
        continue;
      }
      case "OffsetExpr": {
        const offset = children.find((c) => c.name === "OffsetDurationExpr");
        const seconds = offset ? literalSeconds(offset, text) : undefined;
        if (!offset || seconds === undefined) problem(notLiteral(offset ?? node, text));
        else if (!(Math.abs(seconds) <= limits.maxRangeSeconds))
          problem(
            `offset ${text(offset)} is further than the ${duration(limits.maxRangeSeconds)} allowed (PROMQL_MAX_RANGE)`,
          );
        const [inner] = children;
        if (inner && inner !== offset) stack.push({ node: inner, enclosing });
        continue;
      }
      default:
        break;
    }
    // Pushed last to first, so the expression is read (and its problems told) left to right.
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i] as SyntaxNode, enclosing });
  }
  if (problems.length > 0) return refuse(problems.slice(0, MAX_PROBLEMS).join("; "));
  return { ok: true, selectors: [...selectors].sort((a, b) => a[1] - b[1]).map(([s]) => s) };
}

/** Children that carry meaning (comments may sit anywhere). */
function namedChildren(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== "LineComment") out.push(c);
  return out;
}

function rangeProblem(
  seconds: number | undefined,
  range: SyntaxNode | undefined,
  enclosing: number,
  limits: PromqlLimits,
  text: (n: SyntaxNode) => string,
  subquery: boolean,
): string | undefined {
  if (!range || seconds === undefined) return notLiteral(range, text);
  const shown = `[${text(range)}]`;
  if (!(seconds > 0)) return `a range of ${shown} is not a positive duration`;
  if (seconds > limits.maxRangeSeconds)
    return `a range of ${shown} is longer than the ${duration(limits.maxRangeSeconds)} allowed (PROMQL_MAX_RANGE)`;
  // Nested subqueries add up: each is evaluated over its own range plus the ones around it. (The
  // innermost range selector is the window of one evaluation, e.g. rate's 5m: not counted, so a
  // week of 5-minute rates is allowed.)
  if (subquery && enclosing + seconds > limits.maxRangeSeconds)
    return `nested subqueries ${shown} read ${duration(enclosing + seconds)} of history, more than the ${duration(limits.maxRangeSeconds)} allowed (PROMQL_MAX_RANGE)`;
  return undefined;
}

function notLiteral(node: SyntaxNode | undefined, text: (n: SyntaxNode) => string): string {
  return `${node ? `"${shorten(text(node))}"` : "a duration"} must be a plain duration like 5m, 1h or 1h30m`;
}

const UNIT_SECONDS = { y: 365 * 86400, w: 7 * 86400, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 } as const;
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/**
 * Seconds of a duration written as a literal (`5m`, `1h30m`, `90` for seconds; a sign only before
 * an offset), or undefined for anything computed (`1h*2`, `step()`): Prometheus 2 has no duration
 * arithmetic, and a literal is what we can bound.
 */
function literalSeconds(node: SyntaxNode | undefined, text: (n: SyntaxNode) => string): number | undefined {
  let sign = 1;
  let cur = node;
  // `offset -1h` nests as OffsetDurationExpr(UnaryOp, OffsetDurationExpr(literal)); a loop, since
  // the signs can repeat.
  while (cur) {
    const parts = namedChildren(cur);
    const [first, second] = parts;
    if (first?.name === "NumberDurationLiteralInDurationContext" && parts.length === 1)
      return sign * parseDuration(text(first));
    if (cur.name === "OffsetDurationExpr" && first?.name === "UnaryOp" && parts.length === 2) {
      if (text(first) === "-") sign = -sign;
      cur = second;
      continue;
    }
    return undefined;
  }
  return undefined;
}

function parseDuration(literal: string): number {
  const m = DURATION.exec(literal);
  if (m && literal !== "") {
    const units = ["y", "w", "d", "h", "m", "s", "ms"] as const;
    return units.reduce((sum, u, i) => sum + Number(m[i + 1] ?? 0) * UNIT_SECONDS[u], 0);
  }
  // A bare number is seconds (Prometheus 3); hex and `1_000` are numbers too.
  const n = Number(literal.replace(/_/g, ""));
  return Number.isFinite(n) ? n : Number.NaN;
}

/** Why a vector selector is refused, or undefined. */
function selectorProblem(node: SyntaxNode, text: (n: SyntaxNode) => string): string | undefined {
  let named = node.getChild("Identifier") !== null;
  const matchers = node.getChild("LabelMatchers");
  for (const m of matchers ? namedChildren(matchers) : []) {
    if (m.name === "QuotedLabelName") {
      // `{"my.metric"}`: the metric name, quoted (Prometheus 3).
      const name = unquote(text(m));
      if (name === undefined) return "write metric names without escapes";
      if (name !== "") named = true;
      continue;
    }
    const [label, op, value] = namedChildren(m);
    if (!label || !op || !value) return "a label matcher is incomplete";
    const labelName = label.name === "LabelName" ? text(label) : unquote(text(label));
    if (labelName === undefined) return "write label names without escapes";
    if (labelName !== "__name__") continue;
    const operator = text(op);
    if (operator === "=~" || operator === "!~")
      return 'a regex on __name__ selects across every metric; name one metric, e.g. node_load1{instance="web-1"}';
    // A closed literal longer than its quotes holds at least one character, escaped or not.
    if (operator === "=" && text(value).length > 2) named = true;
  }
  return named
    ? undefined
    : 'every selector must name its metric (a bare {...} matches across every metric), e.g. node_load1{instance="web-1"}';
}

/** The content of a quoted name, or undefined when it uses escapes (which could spell anything). */
function unquote(literal: string): string | undefined {
  const q = literal.trim();
  if (!closedString(q)) return undefined;
  const body = q.slice(1, -1);
  return q[0] !== "`" && body.includes("\\") ? undefined : body;
}

/** Whether a string literal the grammar accepted is closed (it also accepts a missing end quote). */
function closedString(s: string): boolean {
  if (s.startsWith("`")) return s.length >= 2 && s.endsWith("`");
  if (s.startsWith('"')) return /^"(?:[^"\\\n]|\\.)*"$/s.test(s);
  if (s.startsWith("'")) return /^'(?:[^'\\\n]|\\.)*'$/s.test(s);
  return false;
}

function shorten(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

function near(expr: string, at: number): string {
  const snippet = expr.slice(Math.max(0, at - 10), at + 20).replace(/\s+/g, " ");
  return at >= expr.length ? "the end" : `character ${at + 1} ("${snippet}")`;
}
