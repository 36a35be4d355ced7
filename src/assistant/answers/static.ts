/** Answers that need no Prometheus: help, not understood, and errors explained. */
import { isPrometheusError } from "../../metrics/prometheus-error.js";
import { askButton, makeReply, type Reply } from "../../reply/reply.js";
import { EXAMPLE_QUESTIONS, suggestQuestions } from "../parse-question.js";

export function answerHelp(environments: readonly string[]): Reply {
  return makeReply({
    title: "🤖 What I can answer",
    text: [
      "Ask in plain words; I read Prometheus and answer with numbers, time windows and hosts.",
      "• Health: “what's the current system health?”, “health of web-1”",
      "• Now: “cpu usage”, “memory on web-2”, “disk space”, “load”, “network traffic”",
      "• Also: iowait, cpu steal, user/system cpu, load5, swap, disk reads/writes/io, network in/out, network errors, tcp connections, context switches, blocked processes, uptime",
      "• Trends: “cpu last 6h”, “memory since yesterday”, “disk this week vs last week”",
      "• Rankings: “top 5 hosts by memory”, “busiest hosts last 24h”",
      "• Targets: “which targets are down?”, “list targets”",
      "• Containers: “running containers”, “which containers are restarting?”, “top containers by cpu”",
      "• Anomalies: “any anomalies?”",
      "• First look: “why is web-2 slow?”, “investigate db-1” (every new alert gets one in its thread)",
      "• Forecasts: “when will disk be full on db-1?”, “memory forecast”, “capacity report”",
      "• Cost: “where can we save?”, “rightsizing for prod”, “idle hosts”",
      "• Comparisons: “web-1 vs web-2 cpu”, “is web-2 slower than the others?”, “cpu before and after 14:00”",
      environments.length > 1
        ? `Environments: ${environments.join(", ")} — add “in ${environments[1]}” to a question.`
        : "",
    ]
      .filter(Boolean)
      .join("\n"),
    tone: "info",
    suggestions: EXAMPLE_QUESTIONS.slice(0, 5),
  });
}

export function answerNotUnderstood(
  text: string,
  reason: "empty" | "not_understood" | "too_long" | "action",
): Reply {
  const why =
    reason === "empty"
      ? "The question was empty."
      : reason === "too_long"
        ? "That question is too long for me (2,000 characters at most)."
        : reason === "action"
          ? `“${preview(text)}” asks me to act: I only read metrics and alerts, and change nothing on your machines.`
          : `I did not understand “${preview(text)}”.`;
  return makeReply({
    title: "🤔 Not sure what you mean",
    text: `${why} Closest questions I can answer are below; “help” lists everything.`,
    tone: "info",
    suggestions: suggestQuestions(reason === "not_understood" ? text : "", 3),
  });
}

/** No scan result to report: the detector has not scanned, or this client cannot see its results. */
export function answerAnomaliesNotYet(environment?: string, why?: string): Reply {
  return makeReply({
    title: `🟠 No anomaly results yet${environment ? ` for ${environment}` : ""}: no scan has completed`,
    text: `${why ?? "The anomaly detector has not completed a scan of this environment yet (scans run every minute once a model is trained)."} So I can't say whether anything is unusual; current levels against their thresholds are one question away.`,
    tone: "warning",
    actions: [askButton("System health", "what's the current system health?")],
    suggestions: ["what's the current system health?", "top 5 hosts by cpu"],
  });
}

/** An error explained to the person on call: what failed and where, never just "error". */
export function answerError(e: unknown, environment: string): Reply {
  if (isPrometheusError(e)) {
    const hint =
      e.code === "unreachable"
        ? "Check that Prometheus is running and that PROMETHEUS_URL points at it."
        : e.code === "timeout"
          ? "Prometheus may be overloaded, or the range too long; try a shorter range."
          : e.code === "bad_query"
            ? "This is a bug in my query catalogue; please report it."
            : "Prometheus answered with an error; its logs will say more.";
    return makeReply({
      title:
        e.code === "timeout"
          ? "⏱️ Prometheus did not answer in time"
          : e.code === "unreachable"
            ? "⚠️ Prometheus unreachable"
            : "⚠️ Prometheus query failed",
      text: `${e.message}.\n${hint}`,
      tone: "error",
      context: environment === "default" ? [] : [`Environment: ${environment}`],
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return makeReply({
    title: "⚠️ Something went wrong",
    text: `I could not answer: ${preview(message)}`,
    tone: "error",
  });
}

function preview(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const one = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
}
