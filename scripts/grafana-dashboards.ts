/** Writes grafana/dashboards/*.json from src/grafana/dashboards.ts (`npm run grafana:dashboards`). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildDashboards, dashboardFile } from "../src/grafana/dashboards.js";

const dir = path.resolve(import.meta.dirname, "../grafana/dashboards");
for (const d of buildDashboards()) {
  writeFileSync(path.join(dir, dashboardFile(d)), `${JSON.stringify(d, null, 2)}\n`);
  process.stdout.write(`grafana/dashboards/${dashboardFile(d)}: ${d.panels.length} panels\n`);
}
