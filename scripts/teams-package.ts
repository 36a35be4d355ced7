/**
 * `npm run teams:package`: builds the Teams app package (manifest.json, color.png, outline.png in a
 * zip) from manifests/teams/manifest.json, with TEAMS_APP_ID and PUBLIC_URL filled in. Upload the zip
 * in Teams (Apps → Manage your apps → Upload an app).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { renderIcon } from "../src/chat/teams/teams-icons.js";
import { zip } from "../src/chat/teams/zip.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const appId = process.env.TEAMS_APP_ID ?? "";
if (!GUID.test(appId)) fail("TEAMS_APP_ID must be the bot's Microsoft app id (a GUID)");
const publicUrl = (process.env.PUBLIC_URL ?? "").replace(/\/+$/, "");
let host: string;
try {
  const url = new URL(publicUrl);
  if (url.protocol !== "https:") throw new Error("not https");
  host = url.host;
} catch {
  fail("PUBLIC_URL must be the bot's public https URL (e.g. https://cloudops.example.com)");
}
const template = readFileSync("manifests/teams/manifest.json", "utf8");
// Placeholders in the template are ${NAME}; only these three exist.
const values: Record<string, string> = { TEAMS_APP_ID: appId, PUBLIC_URL: publicUrl, PUBLIC_HOST: host };
const manifest = template.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
JSON.parse(manifest); // the template stays valid JSON once filled in
const out = process.argv[2] ?? "dist/teams-app.zip";
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(
  out,
  zip([
    { name: "manifest.json", data: Buffer.from(manifest) },
    { name: "color.png", data: renderIcon("color") },
    { name: "outline.png", data: renderIcon("outline") },
  ]),
);
process.stdout.write(`Teams app package written to ${out}\n`);
