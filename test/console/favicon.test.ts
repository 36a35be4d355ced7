/** The ICO container behind /favicon.ico: header, directory entries and the PNGs they point at. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { icoFromPngs, icoFromSvg } from "../../src/chat/console/favicon.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Entry {
  width: number;
  height: number;
  bitCount: number;
  bytes: number;
  offset: number;
}

function entries(ico: Buffer): Entry[] {
  expect(ico.readUInt16LE(0)).toBe(0);
  expect(ico.readUInt16LE(2)).toBe(1);
  const out: Entry[] = [];
  for (let i = 0; i < ico.readUInt16LE(4); i++) {
    const at = 6 + 16 * i;
    out.push({
      width: ico.readUInt8(at) || 256,
      height: ico.readUInt8(at + 1) || 256,
      bitCount: ico.readUInt16LE(at + 6),
      bytes: ico.readUInt32LE(at + 8),
      offset: ico.readUInt32LE(at + 12),
    });
  }
  return out;
}

describe("favicon ICO", () => {
  it("points each directory entry at its own PNG, back to back after the directory", () => {
    const a = Buffer.from("first-png");
    const b = Buffer.from("second, longer png");
    const ico = icoFromPngs([
      { size: 16, png: a },
      { size: 256, png: b },
    ]);
    const [e1, e2] = entries(ico);
    expect(e1).toEqual({ width: 16, height: 16, bitCount: 32, bytes: a.length, offset: 6 + 32 });
    expect(e2).toEqual({ width: 256, height: 256, bitCount: 32, bytes: b.length, offset: 6 + 32 + a.length });
    expect(ico.readUInt8(6 + 16)).toBe(0); // 256 is written as 0
    expect(ico.subarray(e2?.offset).toString()).toBe("second, longer png");
    expect(ico.length).toBe(6 + 32 + a.length + b.length);
  });

  it("refuses sizes an ICO cannot describe", () => {
    expect(() => icoFromPngs([])).toThrow(/1 to 65535/);
    expect(() => icoFromPngs([{ size: 257, png: Buffer.alloc(1) }])).toThrow(/out of 1–256/);
    expect(() => icoFromPngs([{ size: 0, png: Buffer.alloc(1) }])).toThrow(/out of 1–256/);
  });

  it("rasterises the console's SVG at 16, 32 and 48 pixels", async () => {
    const svg = readFileSync(new URL("../../src/chat/console/public/favicon.svg", import.meta.url), "utf8");
    const ico = await icoFromSvg(svg);
    const found = entries(ico);
    expect(found.map((e) => e.width)).toEqual([16, 32, 48]);
    for (const e of found) {
      const png = ico.subarray(e.offset, e.offset + e.bytes);
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      // IHDR: width and height right after the chunk's length and type.
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([e.width, e.height]);
      // Not an empty canvas: the drawing's opaque background covers most of it.
      expect(e.bytes).toBeGreaterThan(100);
    }
  });
});
