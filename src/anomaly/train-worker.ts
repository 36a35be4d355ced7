/** Worker thread of the training pool: trains the host models it is sent and posts them back. */
import { parentPort } from "node:worker_threads";
import { trainHostModel } from "./host-detector.js";
import { type TrainRequest, type TrainResponse, unpack } from "./train-pool.js";

parentPort?.on("message", (req: TrainRequest) => {
  let res: TrainResponse;
  try {
    res = {
      id: req.id,
      models: req.jobs.map((packed) => {
        const j = unpack(packed);
        return trainHostModel(j.instance, j.series, j.now, j.times, j.budget);
      }),
    };
  } catch (e) {
    res = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  // The forests' bytes move to the main thread instead of being copied.
  const transfer =
    "models" in res
      ? res.models.flatMap((m) => (m.forest ? [m.forest.bytes.buffer as ArrayBuffer] : []))
      : [];
  parentPort?.postMessage(res, transfer);
});
