/**
 * Golden files: compares a value with its stored JSON. A missing golden file fails the test (a
 * renderer change must not pass by writing its own expectation); UPDATE_GOLDEN=1 writes it (review
 * the diff before committing).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

export function expectGolden(dir: string, name: string, value: unknown): void {
  const file = path.join(dir, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === "1") {
    // In CI nothing may write its own expectation.
    if (process.env.CI === "true") expect.fail("UPDATE_GOLDEN=1 is refused under CI=true");
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  if (!existsSync(file))
    expect.fail(
      `golden file ${path.relative(process.cwd(), file)} is missing: run with UPDATE_GOLDEN=1 and review it`,
    );
  expect(text).toBe(readFileSync(file, "utf8"));
}
