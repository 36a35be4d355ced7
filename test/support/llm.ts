/** The read-only tools every LLM request must offer, in order (tests assert nothing else is offered). */
export const READ_ONLY_TOOLS = [
  "query_metric",
  "promql_query",
  "list_targets",
  "get_anomalies",
  "get_alerts",
  "grafana_link",
  "render_chart",
  "planning",
];
