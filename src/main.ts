/** `cloudops start`: load configuration, start the server, stop gracefully on SIGINT/SIGTERM. */
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/config.js";
import { decideBind } from "./http/auth.js";
import { createLogger } from "./observability/logger.js";

export async function start(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  // Refused before any connection is opened: one line naming HOST and API_TOKENS.
  const bind = decideBind(config.auth, config.host);
  if (!bind.ok) {
    process.stderr.write(`${bind.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const app = createApp(config, logger);
  let port: number;
  try {
    port = await app.listen();
  } catch (e) {
    const code = (e as { code?: string }).code;
    process.stderr.write(
      code === "EADDRINUSE"
        ? `Port ${config.port} is already in use on ${config.host}; set PORT to another port.\n`
        : `Could not start the server: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exit(1);
  }
  const shown = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  logger.info(
    {
      port,
      environments: config.environments.map((e) => `${e.name}=${e.url}`),
      providers: config.llm.providers,
      auth: bind.mode === "tokens" ? config.auth.tokens.map((t) => t.name) : bind.mode,
    },
    `Smart CloudOps AI listening: console at http://${shown}:${port}/`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
