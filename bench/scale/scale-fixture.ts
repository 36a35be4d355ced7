/**
 * Child process of the scale bench: writes the fleet (HOSTS hosts, 7 days at 5 min, every anomaly
 * feature's series) as 2-hour OpenMetrics files into DIR and prints their paths as JSON.
 */
import { fleetWriter } from "../../test/support/fleet-fixture.js";
import { writeByWindow } from "../../test/support/openmetrics-writer.js";

const [dir, hosts, end] = process.argv.slice(2);
if (!dir || !hosts || !end) throw new Error("usage: scale-fixture DIR HOSTS END");
const { writer, times } = fleetWriter({
  hosts: Number(hosts),
  end: Number(end),
  days: 7,
  stepSeconds: 300,
  burst: { host: 0, secondsBeforeEnd: 900 },
  // One series per family, as when the scale figures in BENCHMARKS.md were measured.
  realistic: false,
});
const files = await writeByWindow(writer, dir, times, 7200);
process.stdout.write(JSON.stringify(files));
