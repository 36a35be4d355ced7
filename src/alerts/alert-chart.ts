/**
 * The chart under an alert: the last 3 hours of what the alert is about on its host, drawn by the
 * built-in engine from live Prometheus data, the same chart a person would get by asking.
 */
import type { Assistant } from "../assistant/assistant.js";
import type { ReplyChart } from "../reply/reply.js";
import type { GroupState } from "./alert-store.js";
import { alertTopic } from "./group-message.js";

const QUESTION: Record<ReturnType<typeof alertTopic>, string> = {
  cpu: "cpu",
  memory: "memory",
  disk: "disk usage",
  load: "load",
  network: "network",
  containers: "container cpu",
};

/** The question whose answer charts the group, or undefined when it is not about one host. */
export function chartQuestion(state: GroupState): { text: string; environment?: string } | undefined {
  const firing = state.alerts.filter((a) => a.status === "firing");
  const instances = new Set(firing.map((a) => a.labels.instance).filter(Boolean));
  const first = firing[0];
  if (!first || instances.size !== 1) return undefined;
  const host = (first.labels.instance as string).replace(/:\d+$/, "");
  return {
    text: `${QUESTION[alertTopic(first)]} trend on ${host} last 3h`,
    ...(first.labels.environment ? { environment: first.labels.environment } : {}),
  };
}

export function alertChart(assistant: Assistant): (state: GroupState) => Promise<ReplyChart | undefined> {
  return async (state) => {
    const q = chartQuestion(state);
    if (!q) return undefined;
    const answer = await assistant.answer({ platform: "api", user: "alerts", channel: "alerts", ...q });
    return answer.reply.chart;
  };
}
