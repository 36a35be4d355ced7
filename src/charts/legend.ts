/** Legend labels and the height the wrapped legend takes, measured with the chart font. */
import { textWidth } from "./fonts.js";

export const LEGEND_ICON_WIDTH = 18;
export const LEGEND_ICON_HEIGHT = 10;
const LEGEND_ICON_GAP = 5;
/** ECharts uses the same gap between legend rows as between items. */
export const LEGEND_ITEM_GAP = 12;
const LEGEND_MAX_NAME = 24;

function truncateName(name: string): string {
  return name.length > LEGEND_MAX_NAME ? `${name.slice(0, LEGEND_MAX_NAME - 1)}…` : name;
}

/**
 * Legend labels: a domain every host shares (".eu-west-1.compute.internal") is dropped so the part
 * that tells hosts apart fits, then long names are cut. Names stay unique or are left alone.
 */
export function legendLabels(names: string[]): Map<string, string> {
  let suffix = "";
  if (names.length > 1 && names.every((n) => n.includes("."))) {
    const first = names[0] as string;
    for (let i = first.indexOf("."); i >= 0; i = first.indexOf(".", i + 1)) {
      const candidate = first.slice(i);
      // A letter right after the dot: a domain, not the last octets of IP addresses.
      if (
        /^\.[a-z]/i.test(candidate) &&
        names.every((n) => n.endsWith(candidate) && n.length > candidate.length)
      ) {
        suffix = candidate;
        break;
      }
    }
  }
  const labels = names.map((n) => truncateName(suffix ? n.slice(0, -suffix.length) : n));
  const unique = new Set(labels).size === new Set(names).size;
  return new Map(names.map((n, i) => [n, unique ? (labels[i] as string) : truncateName(n)]));
}

/** Height of the plain (wrapping) legend, replaying ECharts' row layout with real text widths. */
export function legendHeight(labels: string[], available: number, fontSize: number): number {
  let rows = 1;
  let x = 0;
  for (const label of labels) {
    const w = LEGEND_ICON_WIDTH + LEGEND_ICON_GAP + textWidth(label, fontSize);
    if (x > 0 && x + w > available) {
      rows++;
      x = 0;
    }
    x += w + LEGEND_ITEM_GAP;
  }
  const rowHeight = Math.max(LEGEND_ICON_HEIGHT, fontSize);
  return rows * rowHeight + (rows - 1) * LEGEND_ITEM_GAP;
}
