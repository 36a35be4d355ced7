/**
 * Debian's chromium through playwright-core, as a user without an emoji font sees the console: a
 * fontconfig file that includes the system's fonts but rejects every colour font and every font
 * named for emoji, so a status shown as an emoji would be an empty box here too.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";

const NO_EMOJI_FONTS = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <selectfont>
    <rejectfont>
      <glob>*[Ee]moji*</glob>
      <glob>*Symbola*</glob>
      <pattern><patelt name="color"><bool>true</bool></patelt></pattern>
    </rejectfont>
  </selectfont>
</fontconfig>
`;

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchWithoutEmojiFont(): Promise<TestBrowser> {
  const dir = mkdtempSync(path.join(tmpdir(), "cloudops-fonts-"));
  const fontsConf = path.join(dir, "fonts.conf");
  writeFileSync(fontsConf, NO_EMOJI_FONTS);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    env: { ...process.env, FONTCONFIG_FILE: fontsConf },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
