/**
 * The console's icon, one drawing (public/favicon.svg) served two ways: as SVG for browsers that take
 * `<link rel="icon" type="image/svg+xml">`, and as an ICO at /favicon.ico for everything that asks for
 * that path alone (older browsers, bookmarks, link previews). The ICO is rasterised from the SVG with
 * resvg on first request and kept, so there is no binary to keep in step with the drawing.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Express } from "express";

/** Sizes inside the ICO: tab (16), taskbar and high-DPI tab (32), desktop shortcut (48). */
const ICO_SIZES = [16, 32, 48] as const;
const CACHE = "public, max-age=86400"; // a day, as sendFile's maxAge "1d" gives the SVG

export interface IcoImage {
  /** Width and height in pixels (square), 1–256. */
  size: number;
  png: Buffer;
}

/**
 * An ICO container holding PNG images (the PNG-in-ICO form every browser and Windows since Vista
 * reads): a 6-byte ICONDIR, one 16-byte ICONDIRENTRY per image, then the PNG bytes.
 */
export function icoFromPngs(images: readonly IcoImage[]): Buffer {
  if (images.length === 0 || images.length > 0xffff) throw new Error("an ICO holds 1 to 65535 images");
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type 1: icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    if (!Number.isInteger(size) || size < 1 || size > 256)
      throw new Error(`ICO image size ${size} out of 1–256`);
    const entry = 6 + 16 * i;
    header.writeUInt8(size === 256 ? 0 : size, entry); // width; 0 means 256
    header.writeUInt8(size === 256 ? 0 : size, entry + 1); // height
    header.writeUInt8(0, entry + 2); // no palette
    header.writeUInt8(0, entry + 3); // reserved
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel (RGBA PNG)
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

/** The SVG rasterised at each ICO size and wrapped as one ICO. */
export async function icoFromSvg(svg: string): Promise<Buffer> {
  // Loaded on first use: the native renderer is not needed to start the server.
  const { Resvg } = await import("@resvg/resvg-js");
  return icoFromPngs(
    ICO_SIZES.map((size) => ({
      size,
      png: Buffer.from(
        new Resvg(svg, { fitTo: { mode: "width", value: size }, background: "rgba(0,0,0,0)" })
          .render()
          .asPng(),
      ),
    })),
  );
}

/** GET /favicon.svg and GET /favicon.ico from the console's public folder, cacheable for a day. */
export function mountFavicon(app: Express, publicDir: string): void {
  const svgPath = path.join(publicDir, "favicon.svg");
  let ico: Promise<Buffer> | undefined;
  app.get("/favicon.svg", (_req, res) => {
    res.sendFile(svgPath, { maxAge: "1d" });
  });
  app.get("/favicon.ico", async (_req, res, next) => {
    ico ??= readFile(svgPath, "utf8").then(icoFromSvg);
    try {
      res
        .type("image/x-icon")
        .set("cache-control", CACHE)
        .send(await ico);
    } catch (e) {
      ico = undefined; // a failed render is retried on the next request
      next(e);
    }
  });
}
