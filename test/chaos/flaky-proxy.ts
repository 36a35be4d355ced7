/**
 * A TCP proxy in front of a server that can be switched off and on: off, it drops every connection it
 * holds and resets new ones at once, as a Prometheus that went away (or a network that flaps) does.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface FlakyProxy {
  url: string;
  up: boolean;
  /** Connections accepted and dropped while off. */
  dropped: number;
  close(): Promise<void>;
}

export async function startFlakyProxy(target: string): Promise<FlakyProxy> {
  const to = new URL(target);
  const state = { up: true, dropped: 0 };
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!state.up) {
      state.dropped++;
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: to.hostname, port: Number(to.port) });
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get up() {
      return state.up;
    },
    set up(v: boolean) {
      state.up = v;
      if (!v) for (const s of open) s.resetAndDestroy();
    },
    get dropped() {
      return state.dropped;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
