/**
 * A real Alertmanager (0.25, the Debian package) in front of the bot: alerts pushed into Alertmanager
 * reach Slack as one grouped message through the webhook Alertmanager itself sends; Silence from the
 * message also creates the silence in Alertmanager, and lifting it from chat expires it there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAction } from "../../src/reply/action.js";
import { type FakeSlack, type SlackCall, startFakeSlack } from "../fakes/fake-slack.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { freePort } from "../support/prometheus-process.js";
import {
  blockAction,
  FORM,
  postSigned,
  SIGNING_SECRET,
  sign,
  slashCommand,
} from "../support/slack-requests.js";
import { until } from "../support/until.js";

let slack: FakeSlack;
let app: TestApp;
let am: ChildProcess | undefined;
let amUrl: string;
let dir: string;
const WEBHOOK_TOKEN = "am-live-webhook-token";

beforeAll(async () => {
  slack = await startFakeSlack();
  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  app = await startTestApp({
    SLACK_BOT_TOKEN: "xoxb-1-am",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ALERT_CHANNEL: "C0AM",
    ALERTMANAGER_URL: amUrl,
    ALERTMANAGER_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    ALERT_ACTORS: "*",
  });
  dir = await mkdtemp(join(tmpdir(), "cloudops-am-"));
  await writeFile(
    join(dir, "alertmanager.yml"),
    [
      "route:",
      "  receiver: cloudops",
      "  group_by: [alertname]",
      "  group_wait: 1s",
      "  group_interval: 1s",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: cloudops",
      "    webhook_configs:",
      `      - url: ${app.url}/api/v1/alertmanager`,
      "        send_resolved: true",
      // As prometheus/alertmanager.yml documents: Alertmanager sends the bot's webhook token.
      "        http_config:",
      "          authorization:",
      `            credentials: ${WEBHOOK_TOKEN}`,
      "",
    ].join("\n"),
  );
  am = spawn(
    "prometheus-alertmanager",
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      "--cluster.listen-address=",
    ],
    { stdio: "ignore" },
  );
  await until(
    "Alertmanager ready",
    async () => (await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok === true,
  );
});

afterAll(async () => {
  am?.kill("SIGKILL");
  await app?.close();
  await slack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface AmSilence {
  id: string;
  status: { state: string };
  createdBy: string;
  matchers: { name: string; value: string; isEqual?: boolean }[];
}

describe("with a real Alertmanager", () => {
  it("posts Alertmanager's group as one message, and mirrors Silence and Unsilence into Alertmanager", async () => {
    const alerts = [1, 2, 3].map((i) => ({
      labels: { alertname: "LiveDiskFull", instance: `db-${i}:9100`, severity: "critical" },
      annotations: { summary: `Disk on db-${i} is 95% full` },
      startsAt: new Date().toISOString(),
    }));
    const pushed = await fetch(`${amUrl}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alerts),
    });
    expect(pushed.status).toBe(200);
    let post: SlackCall | undefined;
    await until("the group's message", () => {
      post = slack
        .callsOf("chat.postMessage")
        .find((c) => JSON.stringify(c.args.blocks).includes("LiveDiskFull"));
      return post !== undefined;
    });
    const blocks = JSON.stringify(post?.args.blocks);
    expect(blocks).toContain("LiveDiskFull · 3 firing");
    expect(blocks).toContain("From Alertmanager");
    const group = /alert ([0-9a-f]{8})/.exec(blocks)?.[1] ?? "";

    await postSigned(
      `${app.url}/slack/events`,
      sign(
        blockAction(
          "cloudops:alert.silence:2",
          encodeAction({ kind: "alert.silence", id: group, for: "4h" }),
          { channel: "C0AM" },
        ),
        FORM,
      ),
    );
    let silences: AmSilence[] = [];
    await until("the silence in Alertmanager", async () => {
      silences = (await (await fetch(`${amUrl}/api/v2/silences`)).json()) as AmSilence[];
      return silences.some((s) => s.status.state === "active");
    });
    const active = silences.find((s) => s.status.state === "active");
    // Alertmanager shows who silenced it by name and platform id, as the audit log does.
    expect(active?.createdBy).toBe("Ana (slack:U0ANA)");
    expect(active?.matchers).toEqual([
      { name: "alertname", value: "LiveDiskFull", isRegex: false, isEqual: true },
      // The group-by label the alerts lack is a matcher too (issue 13): the silence covers them only.
      { name: "environment", value: "", isRegex: false, isEqual: true },
    ]);
    // Alertmanager now reports the alerts as silenced.
    await until("suppressed alerts", async () => {
      const list = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as { status: { state: string } }[];
      return list.length === 3 && list.every((a) => a.status.state === "suppressed");
    });

    await postSigned(
      `${app.url}/slack/events`,
      sign(slashCommand(`unsilence ${group}`, { channel: "C0AM", responseUrl: slack.responseUrl }), FORM),
    );
    await until("the silence expired in Alertmanager", async () => {
      const list = (await (await fetch(`${amUrl}/api/v2/silences`)).json()) as AmSilence[];
      return list.find((s) => s.id === active?.id)?.status.state === "expired";
    });
  });
});
