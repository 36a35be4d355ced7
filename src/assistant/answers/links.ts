/** Links attached to answers: the Grafana panel when Grafana is configured, the Prometheus graph always. */

import { DASHBOARDS, grafanaPanelLink, prometheusGraphLink } from "../../grafana/links.js";
import { namedQuery } from "../../metrics/catalogue.js";
import type { ReplyLink } from "../../reply/reply.js";
import type { ResourceSpec } from "../resources.js";
import { type AnswerContext, hostMatchers } from "./context.js";

export function resourceLinks(
  ctx: AnswerContext,
  spec: ResourceSpec,
  rangeSeconds: number,
  endSeconds: number = ctx.now,
): ReplyLink[] {
  const links: ReplyLink[] = [];
  if (ctx.grafanaUrl) {
    links.push({
      label: "Grafana panel",
      url: grafanaPanelLink({
        grafanaUrl: ctx.grafanaUrl,
        dashboardUid: DASHBOARDS.systemOverview.uid,
        panelId: spec.grafanaPanel,
        fromMs: (endSeconds - rangeSeconds) * 1000,
        toMs: endSeconds * 1000,
        instance: ctx.host?.instances[0],
        environment: ctx.environment,
      }),
    });
  }
  const first = spec.queries[0];
  if (first) {
    links.push({
      label: "Prometheus graph",
      url: prometheusGraphLink(
        ctx.client.baseUrl,
        namedQuery(first.name).build({ matchers: hostMatchers(ctx) }),
        rangeSeconds,
      ),
    });
  }
  return links;
}
