/**
 * `npm run teams:package`: the zip holds a filled-in manifest within the Teams schema's limits and
 * icons of the required sizes; it is read back by an independent unzip (Python's zipfile).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";

const run = promisify(execFile);
const APP_ID = "3b0d3c7e-7c1f-4a38-9d4e-1f2a3b4c5d6e";
let dir = "";
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The limits of the Teams manifest schema (v1.17) for the fields the package uses. */
const manifestSchema = z.object({
  manifestVersion: z.literal("1.17"),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  id: z.literal(APP_ID),
  developer: z.object({
    name: z.string().min(1).max(32),
    websiteUrl: z.string().startsWith("https://"),
    privacyUrl: z.string().startsWith("https://"),
    termsOfUseUrl: z.string().startsWith("https://"),
  }),
  name: z.object({ short: z.string().min(1).max(30), full: z.string().max(100) }),
  description: z.object({ short: z.string().min(1).max(80), full: z.string().min(1).max(4000) }),
  icons: z.object({ color: z.literal("color.png"), outline: z.literal("outline.png") }),
  accentColor: z.string().regex(/^#[0-9A-Fa-f]{6}$/),
  bots: z
    .array(
      z.object({
        botId: z.literal(APP_ID),
        scopes: z.array(z.enum(["personal", "team", "groupChat"])).min(1),
        commandLists: z.array(
          z.object({
            commands: z
              .array(z.object({ title: z.string().max(32), description: z.string().max(128) }))
              .max(10),
          }),
        ),
      }),
    )
    .length(1),
  validDomains: z.array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/)),
});

const pngSize = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

describe("npm run teams:package", () => {
  it("zips a filled-in manifest and icons of the sizes Teams requires", async () => {
    dir = await mkdtemp(join(tmpdir(), "teams-package-"));
    const out = join(dir, "teams-app.zip");
    await run(process.execPath, ["--import", "tsx", "scripts/teams-package.ts", out], {
      env: { ...process.env, TEAMS_APP_ID: APP_ID, PUBLIC_URL: "https://cloudops.example.com/" },
    });
    await run("python3", ["-m", "zipfile", "-e", out, join(dir, "x")]);
    const manifest = JSON.parse(await readFile(join(dir, "x", "manifest.json"), "utf8"));
    expect(manifestSchema.safeParse(manifest).error?.issues ?? []).toEqual([]);
    expect(JSON.stringify(manifest)).not.toMatch(/\$\{/);
    expect(manifest.validDomains).toEqual(["cloudops.example.com"]);
    expect(pngSize(await readFile(join(dir, "x", "color.png")))).toEqual([192, 192]);
    expect(pngSize(await readFile(join(dir, "x", "outline.png")))).toEqual([32, 32]);
  });

  it("refuses to build without a valid app id or public https URL, naming the variable", async () => {
    const attempt = (env: Record<string, string>) =>
      run(process.execPath, ["--import", "tsx", "scripts/teams-package.ts", join(tmpdir(), "never.zip")], {
        env: { ...process.env, ...env },
      }).then(
        () => "",
        (e: { stderr: string }) => e.stderr,
      );
    expect(await attempt({ TEAMS_APP_ID: "nope", PUBLIC_URL: "https://x.example" })).toMatch(
      /^TEAMS_APP_ID must/,
    );
    expect(await attempt({ TEAMS_APP_ID: APP_ID, PUBLIC_URL: "http://x.example" })).toMatch(
      /^PUBLIC_URL must/,
    );
  });
});
