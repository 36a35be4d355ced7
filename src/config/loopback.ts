/**
 * Whether a host name or address stays on this machine: 127.0.0.0/8, ::1 (also as an IPv4-mapped
 * address or in URL brackets) and `localhost`. Used where a setting is only safe unexposed (the Teams
 * emulator's unauthenticated activities and the serviceUrls it answers to).
 */
import { isIPv4 } from "node:net";

export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost") return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith("127.");
}
