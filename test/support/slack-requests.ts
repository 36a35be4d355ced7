/**
 * Requests as Slack sends them: slash commands form-encoded, events as JSON envelopes, interactivity
 * as a form field `payload`, each signed with `v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`.
 */
import { createHmac } from "node:crypto";
import { BOT_USER_ID, TEAM_ID } from "../fakes/fake-slack.js";

export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function sign(
  body: string,
  contentType: string,
  opts: { secret?: string; timestamp?: number } = {},
): SignedRequest {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const sig = `v0=${createHmac("sha256", opts.secret ?? SIGNING_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest("hex")}`;
  return {
    body,
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": String(ts),
      "x-slack-signature": sig,
    },
  };
}

export function slashCommand(
  text: string,
  opts: { channel?: string; user?: string; responseUrl?: string } = {},
): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: TEAM_ID,
    team_domain: "fake",
    channel_id: opts.channel ?? "C0OPS",
    channel_name: "ops",
    user_id: opts.user ?? "U0ANA",
    user_name: "ana",
    command: "/cloudops",
    text,
    api_app_id: "A0APP",
    is_enterprise_install: "false",
    response_url: opts.responseUrl ?? "https://hooks.slack.com/commands/T0TEAM/1/abc",
    trigger_id: "13345224609.738474920.8088930838d88f008e0",
  }).toString();
}

let eventSeq = 0;

export function eventEnvelope(event: Record<string, unknown>): string {
  eventSeq++;
  return JSON.stringify({
    token: "deprecated-verification-token",
    team_id: TEAM_ID,
    api_app_id: "A0APP",
    event: { event_ts: `${1_700_000_000 + eventSeq}.000200`, ...event },
    type: "event_callback",
    event_id: `Ev0${eventSeq}`,
    event_time: 1_700_000_000 + eventSeq,
    authorizations: [{ team_id: TEAM_ID, user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
  });
}

export function appMention(
  text: string,
  opts: { channel?: string; user?: string; ts?: string } = {},
): string {
  return eventEnvelope({
    type: "app_mention",
    user: opts.user ?? "U0ANA",
    text: `<@${BOT_USER_ID}> ${text}`,
    ts: opts.ts ?? "1700000100.000100",
    channel: opts.channel ?? "C0OPS",
  });
}

export function directMessage(text: string, opts: { user?: string } = {}): string {
  return eventEnvelope({
    type: "message",
    channel_type: "im",
    user: opts.user ?? "U0ANA",
    text,
    ts: "1700000200.000100",
    channel: "D0DM",
  });
}

export function blockAction(
  actionId: string,
  value: string,
  opts: { channel?: string; messageTs?: string; user?: string } = {},
): string {
  const channel = opts.channel ?? "C0OPS";
  const messageTs = opts.messageTs ?? "1700000001.000100";
  const payload = {
    type: "block_actions",
    user: { id: opts.user ?? "U0ANA", username: "ana", team_id: TEAM_ID },
    api_app_id: "A0APP",
    token: "deprecated-verification-token",
    container: { type: "message", message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: "1.2.3",
    team: { id: TEAM_ID, domain: "fake" },
    channel: { id: channel, name: "ops" },
    message: { type: "message", ts: messageTs, text: "old", user: BOT_USER_ID },
    response_url: "https://hooks.slack.com/actions/T0TEAM/1/abc",
    actions: [
      {
        action_id: actionId,
        block_id: "b1",
        text: { type: "plain_text", text: "x" },
        value,
        type: "button",
        action_ts: "1700000002.1",
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export async function postSigned(
  url: string,
  req: SignedRequest,
): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, { method: "POST", headers: req.headers, body: req.body });
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}

export const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";
