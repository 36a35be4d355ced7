/** Reading the bot's own /metrics in tests: counters are how a test knows work has finished. */

/** The value of one series, e.g. `cloudops_chat_posts_total{platform="slack",outcome="ok"}`; 0 when absent. */
export async function metricValue(appUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${appUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
