/**
 * The Teams app icons, drawn from SVG with resvg (already used for charts): a 192×192 colour icon and
 * a 32×32 outline icon (white on transparent), as the Teams manifest requires.
 */
import { Resvg } from "@resvg/resvg-js";

const COLOR = `<svg xmlns="http://www.w3.org/2000/svg" width="192" height="192" viewBox="0 0 192 192">
  <rect width="192" height="192" rx="36" fill="#1D2B3A"/>
  <polyline points="28,120 64,120 82,70 104,140 124,96 164,96" fill="none" stroke="#4FD1C5" stroke-width="12" stroke-linecap="round" stroke-linejoin="round"/>
  <circle cx="164" cy="96" r="10" fill="#F6AD55"/>
</svg>`;

const OUTLINE = `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">
  <polyline points="3,20 10,20 13,11 18,24 21,16 29,16" fill="none" stroke="#FFFFFF" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/>
</svg>`;

export function renderIcon(kind: "color" | "outline"): Buffer {
  return Buffer.from(
    new Resvg(kind === "color" ? COLOR : OUTLINE, { background: "rgba(0,0,0,0)" }).render().asPng(),
  );
}
