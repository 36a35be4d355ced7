/**
 * Emulator mode (TEAMS_EMULATOR, no app id): activities arrive unsigned, and the bot answers, and
 * remembers for alerts, whatever `serviceUrl` they name. So it serves this machine only: the bind is
 * loopback (checked at start, config.ts) and so must every serviceUrl be — otherwise anyone could
 * make the bot POST to any address, or point the stored alert conversation at their own server.
 */
import { isLoopbackHost } from "../../config/loopback.js";

/** Why an activity is refused in emulator mode, or undefined when its serviceUrl is on this machine. */
export function emulatorRefusal(activity: unknown): string | undefined {
  const serviceUrl = (activity as { serviceUrl?: unknown } | null)?.serviceUrl;
  let url: URL | undefined;
  try {
    url = typeof serviceUrl === "string" && serviceUrl.length <= 2000 ? new URL(serviceUrl) : undefined;
  } catch {
    url = undefined;
  }
  const local =
    url !== undefined &&
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.username === "" &&
    url.password === "" &&
    isLoopbackHost(url.hostname);
  return local
    ? undefined
    : "In emulator mode (TEAMS_EMULATOR, no TEAMS_APP_ID) the bot answers only a serviceUrl on this machine (loopback)";
}
