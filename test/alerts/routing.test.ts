/** Alert routes from YAML: matchers, severity and environment, continue, mentions, defaults, bad files. */
import { describe, expect, it } from "vitest";
import type { Alert } from "../../src/alerts/alert.js";
import { AlertRouter, groupId, groupLabels, RoutesError } from "../../src/alerts/routing.js";

const alert = (labels: Record<string, string>): Alert => ({
  fingerprint: "00ff",
  status: "firing",
  labels: { alertname: "HostDown", ...labels },
  annotations: {},
  startsAt: 0,
  source: "alertmanager",
});

const ROUTES = `
routes:
  - name: prod-critical
    severity: [critical]
    environment: [prod]
    slack_channel: C0PAGE
    mention: "<!subteam^S0ONCALL>"
    group_by: [alertname, instance]
    continue: true
  - name: databases
    match_re: { instance: "db-.*" }
    slack_channel: C0DBA
  - name: teams-staging
    match: { environment: staging }
    teams_conversation: "19:abc@thread.tacv2"
`;

describe("AlertRouter", () => {
  const router = new AlertRouter({
    routesText: ROUTES,
    defaultSlackChannel: "C0ALL",
    defaultGroupBy: ["alertname"],
  });

  it("sends a critical prod alert to the paging channel with its mention, and on to the next match", () => {
    const targets = router.targets(
      alert({ severity: "critical", environment: "prod", instance: "db-1:9100" }),
    );
    expect(targets.map((t) => [t.channel, t.mention, t.route])).toEqual([
      ["C0PAGE", "<!subteam^S0ONCALL>", "prod-critical"],
      ["C0DBA", undefined, "databases"],
    ]);
    expect(targets[0]?.groupBy).toEqual(["alertname", "instance"]);
    expect(targets[1]?.groupBy).toEqual(["alertname"]);
  });

  it("stops at the first match without continue, and anchors regexes", () => {
    expect(
      router.targets(alert({ instance: "db-2:9100", environment: "staging" })).map((t) => t.channel),
    ).toEqual(["C0DBA"]);
    expect(router.targets(alert({ instance: "old-db-2:9100" })).map((t) => t.channel)).toEqual(["C0ALL"]);
  });

  it("routes to Teams conversations, and falls back to the default channel", () => {
    expect(router.targets(alert({ environment: "staging" }))).toEqual([
      { platform: "teams", channel: "19:abc@thread.tacv2", groupBy: ["alertname"], route: "teams-staging" },
    ]);
    expect(router.targets(alert({ environment: "dev" }))).toEqual([
      { platform: "slack", channel: "C0ALL", groupBy: ["alertname"], route: "default" },
    ]);
  });

  it("gives the same group id to alerts sharing the group labels, a different one per channel", () => {
    const [t] = router.targets(alert({ environment: "dev" }));
    if (!t) throw new Error("no target");
    const a = groupId(t, groupLabels(alert({ instance: "a" }), t.groupBy));
    const b = groupId(t, groupLabels(alert({ instance: "b" }), t.groupBy));
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(groupId({ ...t, channel: "C0OTHER" }, { alertname: "HostDown" })).not.toBe(a);
  });

  it("refuses a bad routes file with the place and the reason", () => {
    const bad = (text: string) => () => new AlertRouter({ routesText: text, defaultGroupBy: ["alertname"] });
    expect(bad("routes: [")).toThrow(RoutesError);
    expect(bad("routes:\n  - match: { a: b }\n")).toThrow(
      /routes.0: needs slack_channel or teams_conversation/,
    );
    expect(bad("routes:\n  - slack_channel: general\n")).toThrow(
      /routes.0.slack_channel: a Slack channel id/,
    );
    expect(bad('routes:\n  - slack_channel: C1\n    match_re: { instance: "(" }\n')).toThrow(
      /routes.0.match_re.instance: not a valid regular expression/,
    );
    expect(bad("routes:\n  - slack_channel: C01\n    mention: hello\n")).toThrow(/mention/);
  });
});

describe("examples/alert-routes.yml", () => {
  it("is a valid routes file that does what its comments say", async () => {
    const { readFileSync } = await import("node:fs");
    const router = new AlertRouter({
      routesText: readFileSync("examples/alert-routes.yml", "utf8"),
      defaultSlackChannel: "C0DEFAULT",
      defaultGroupBy: ["alertname", "environment"],
    });
    expect(router.targets(alert({ alertname: "HostAnomaly" })).map((t) => t.channel)).toEqual(["C0123ML"]);
    expect(
      router
        .targets(alert({ severity: "critical", environment: "prod", instance: "db-1:9100" }))
        .map((t) => t.channel),
    ).toEqual(["C0123PAGE", "C0123DBA"]);
  });
});
