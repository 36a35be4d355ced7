/**
 * The layering check (`npm run depcruise`, .dependency-cruiser.cjs) on the real tree, and proof that
 * each rule bites: small fixture trees with one violation per rule, cruised with the same config by
 * the same CLI, must fail naming that rule; a tree of allowed imports must pass.
 */
import { execFile } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");
const DEPCRUISE = path.join(ROOT, "node_modules/.bin/depcruise");

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

interface CruiseResult {
  modules: Array<{ source: string }>;
  summary: { violations: Violation[]; error: number };
}

/** Runs the CLI as `npm run depcruise` does, with JSON output; a non-zero exit (violations) is data. */
async function depcruise(cwd: string): Promise<CruiseResult> {
  const args = ["src", "--config", ".dependency-cruiser.cjs", "--output-type", "json"];
  let stdout: string;
  try {
    ({ stdout } = await run(DEPCRUISE, args, { cwd, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }));
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    // Exit code = number of errors; anything without a JSON report is a crash of the check itself.
    if (!err.stdout?.trim().startsWith("{"))
      throw new Error(`depcruise failed: ${err.stderr ?? err.message}`);
    stdout = err.stdout;
  }
  return JSON.parse(stdout) as CruiseResult;
}

const describeViolation = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A throwaway project: our config, a tsconfig like ours, node_modules linked to the real one (so
 * `@slack/bolt` resolves into node_modules as in the real tree), and the given source files.
 */
function fixtureTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-layering-"));
  tempDirs.push(dir);
  copyFileSync(CONFIG, path.join(dir, ".dependency-cruiser.cjs"));
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
  );
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.posix.join("src", f.split(path.sep).join("/")));
}

describe("layering check on the real tree", () => {
  const real = depcruise(ROOT);
  // Keeps an early failure of the shared run from surfacing as an unhandled rejection.
  real.catch(() => undefined);

  it("parses every source file", async () => {
    const result = await real;
    // Without a TypeScript parser depcruise skips .ts files and reports "no violations": make sure
    // every file under src/ was read.
    const cruised = new Set(result.modules.map((m) => m.source));
    expect(tsFilesUnder(path.join(ROOT, "src")).filter((f) => !cruised.has(f))).toEqual([]);
  });

  it("finds no violation", async () => {
    const result = await real;
    expect(result.summary.violations.map(describeViolation)).toEqual([]);
  });
});

describe("each rule bites", () => {
  /** One violation per rule; `expected` lists the rule names and the from → to each must report. */
  const violating = {
    // A notifier moved back into alerts/: the SDK, a type-only SDK import and a chat/ module.
    "src/alerts/slack-alert-notifier.ts": [
      'import { App } from "@slack/bolt";',
      'import { blocks } from "../chat/slack/block-kit.js";',
      "export const notifier = [App, blocks];",
    ].join("\n"),
    "src/assistant/card-types.ts": 'import type { Activity } from "botbuilder";\nexport type A = Activity;\n',
    "src/investigate/connector.ts": 'export * from "botframework-connector";\n',
    "src/chat/slack/block-kit.ts":
      'import { card } from "../teams/adaptive-card.js";\nexport const blocks = card;\n',
    "src/chat/teams/adaptive-card.ts": "export const card = 1;\n",
    "src/config/config.ts": 'import { route } from "../alerts/routing.js";\nexport const config = route;\n',
    "src/alerts/routing.ts": "export const route = 1;\n",
    "src/reply/reply.ts": 'import { q } from "../metrics/query.js";\nexport const reply = q;\n',
    "src/metrics/query.ts": "export const q = 1;\n",
    // Folder cycle without a module cycle: jobs/a → http/b, http/c → jobs/d.
    "src/jobs/a.ts": 'import { b } from "../http/b.js";\nexport const a = b;\n',
    "src/http/b.ts": "export const b = 1;\n",
    "src/http/c.ts": 'import { d } from "../jobs/d.js";\nexport const c = d;\n',
    "src/jobs/d.ts": "export const d = 1;\n",
    // Module cycle across folders: insights/e ↔ grafana/f.
    "src/insights/e.ts": 'import { f } from "../grafana/f.js";\nexport const e = () => f;\n',
    "src/grafana/f.ts": 'import { e } from "../insights/e.js";\nexport const f = () => e;\n',
  };

  it("fails naming the rule and the import, for each rule", async () => {
    const result = await depcruise(fixtureTree(violating));
    const found = result.summary.violations.map(describeViolation);
    const expected: Array<[rule: string, from: string | RegExp, to: RegExp]> = [
      ["core-imports-no-chat-sdk", "src/alerts/slack-alert-notifier.ts", /node_modules\/@slack\/bolt\//],
      [
        "core-imports-no-chat-module",
        "src/alerts/slack-alert-notifier.ts",
        /^src\/chat\/slack\/block-kit\.ts$/,
      ],
      ["core-imports-no-chat-sdk", "src/assistant/card-types.ts", /node_modules\/botbuilder\//],
      ["core-imports-no-chat-sdk", "src/investigate/connector.ts", /node_modules\/botframework-connector\//],
      ["slack-teams-apart", "src/chat/slack/block-kit.ts", /^src\/chat\/teams\/adaptive-card\.ts$/],
      ["metrics-config-stay-low", "src/config/config.ts", /^src\/alerts\/routing\.ts$/],
      ["reply-imports-only-reply", "src/reply/reply.ts", /^src\/metrics\/query\.ts$/],
      ["no-folder-cycle-across-top-level-folders", "src/jobs", /^src\/http$/],
      ["no-folder-cycle-across-top-level-folders", "src/http", /^src\/jobs$/],
      // A cycle is reported once, from whichever of its modules depcruise meets first.
      [
        "no-module-cycle-across-folders",
        /^src\/(insights\/e|grafana\/f)\.ts$/,
        /^src\/(grafana\/f|insights\/e)\.ts$/,
      ],
    ];
    for (const [rule, from, to] of expected) {
      const hit = result.summary.violations.some(
        (v) =>
          v.rule.name === rule &&
          (typeof from === "string" ? v.from === from : from.test(v.from)) &&
          to.test(v.to) &&
          v.rule.severity === "error",
      );
      expect(hit, `${rule}: ${from} → ${to} among\n${found.join("\n")}`).toBe(true);
    }
    expect(result.summary.error).toBe(result.summary.violations.length);
  });

  it("reports a chat SDK by name when it is not even installed", async () => {
    const dir = fixtureTree({
      "src/anomaly/x.ts": 'import { y } from "@slack/not-installed";\nexport const x = y;\n',
    });
    const result = await depcruise(dir);
    expect(result.summary.violations.map(describeViolation)).toEqual([
      "core-imports-no-chat-sdk: src/anomaly/x.ts → @slack/not-installed",
    ]);
  });

  it("passes a tree of allowed imports", async () => {
    const allowed = {
      // Adapters call the core; the core uses metrics and reply; chat/ shares code with both adapters.
      "src/chat/slack/listener.ts":
        'import { App } from "@slack/bolt";\nimport { list } from "../../alerts/list.js";\nimport { policy } from "../access.js";\nexport const l = [App, list, policy];\n',
      "src/chat/teams/bot.ts":
        'import { CloudAdapter } from "botbuilder";\nimport { policy } from "../access.js";\nexport const t = [CloudAdapter, policy];\n',
      "src/chat/access.ts":
        'import type { Reply } from "../reply/reply.js";\nexport const policy = (r?: Reply) => r;\n',
      "src/alerts/list.ts":
        'import { q } from "../metrics/query.js";\nimport type { Reply } from "../reply/reply.js";\nexport const list = (r?: Reply) => [q, r];\n',
      "src/reply/reply.ts":
        'import type { Action } from "./action.js";\nexport type Reply = { a?: Action };\n',
      "src/reply/action.ts": "export type Action = string;\n",
      "src/metrics/query.ts": 'import { settings } from "../config/config.js";\nexport const q = settings;\n',
      "src/config/config.ts": "export const settings = 1;\n",
      // A cycle inside one top-level folder is that folder's business.
      "src/assistant/engine.ts":
        'import { answer } from "./answers/answer.js";\nexport const engine = () => answer;\n',
      "src/assistant/answers/answer.ts":
        'import { engine } from "../engine.js";\nexport const answer = () => engine;\n',
    };
    const result = await depcruise(fixtureTree(allowed));
    expect(result.summary.violations.map(describeViolation)).toEqual([]);
    expect(result.modules.filter((m) => m.source.startsWith("src/")).length).toBe(
      Object.keys(allowed).length,
    );
  });
});
