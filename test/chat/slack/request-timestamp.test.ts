/**
 * The replay window before Bolt: a request more than 5 minutes from now, either way, or without a
 * usable timestamp, is refused with 401 and never handed on. (The signed end-to-end case is in
 * slack-app.test.ts.)
 */
import type { NextFunction, Request, Response } from "express";
import { describe, expect, it } from "vitest";
import { MAX_SKEW_SECONDS, requestTimestampCheck } from "../../../src/chat/slack/request-timestamp.js";

const NOW = 1_800_000_000;

function run(header: string | string[] | undefined): { status?: number; passed: boolean; refused: string[] } {
  const refused: string[] = [];
  const out: { status?: number; passed: boolean } = { passed: false };
  const res = {
    status(code: number) {
      out.status = code;
      return res;
    },
    type: () => res,
    send: () => res,
  };
  const req = { headers: header === undefined ? {} : { "x-slack-request-timestamp": header } };
  const next: NextFunction = () => {
    out.passed = true;
  };
  requestTimestampCheck(
    (reason) => refused.push(reason),
    () => NOW * 1000,
  )(req as unknown as Request, res as unknown as Response, next);
  return { ...out, refused };
}

describe("requestTimestampCheck", () => {
  it.each([0, 1, -1, MAX_SKEW_SECONDS, -MAX_SKEW_SECONDS])("hands on a request %i s from now", (skew) => {
    expect(run(String(NOW + skew))).toEqual({ passed: true, refused: [] });
  });

  it.each([
    [String(NOW + MAX_SKEW_SECONDS + 1), "timestamp in the future"],
    [String(NOW + 600), "timestamp in the future"],
    [String(NOW - MAX_SKEW_SECONDS - 1), "stale timestamp"],
    [undefined, "no valid timestamp"],
    ["", "no valid timestamp"],
    ["1.8e9", "no valid timestamp"],
    [`${NOW}abc`, "no valid timestamp"],
    ["-1", "no valid timestamp"],
    ["9".repeat(40), "no valid timestamp"],
    [[String(NOW), String(NOW)], "no valid timestamp"],
  ])("refuses %j with 401 (%s)", (header, reason) => {
    expect(run(header)).toEqual({ status: 401, passed: false, refused: [reason] });
  });
});
