// The image's HEALTHCHECK (slim images have no curl): exit 0 when GET /healthz answers 200. One image
// runs the bot (`start`: PORT, 3000) and the anomaly workers (`worker`: WORKER_HEALTH_PORT, 3001), so
// it asks the bot's port first and the worker's next; in each container only one of them listens.
import { request } from "node:http";

const host =
  !process.env.HOST || ["0.0.0.0", "::"].includes(process.env.HOST) ? "127.0.0.1" : process.env.HOST;
const ports = [process.env.PORT || "3000", process.env.WORKER_HEALTH_PORT || "3001"].filter((p) => p !== "0");

function healthy(port) {
  return new Promise((resolve) => {
    const req = request({ host, port: Number(port), path: "/healthz", timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

for (const port of ports) {
  if (await healthy(port)) process.exit(0);
}
process.stderr.write(`no 200 from /healthz on ${host} port ${ports.join(" or ")}\n`);
process.exit(1);
