// Copies non-TypeScript assets (the web console) next to the compiled code in dist/.
import { cpSync, existsSync } from "node:fs";

const pairs = [["src/chat/console/public", "dist/chat/console/public"]];
for (const [from, to] of pairs) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
