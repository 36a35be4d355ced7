/** Replies the renderers' golden tests share: the same answer, rendered for each platform. */
import { askButton, makeReply, type Reply } from "../../src/reply/reply.js";

export const healthReply: Reply = makeReply({
  title: "🟠 System health: 2 of 3 hosts OK, 1 target down",
  text: "Highest CPU web-2 60.0% · memory web-2 75.0%\n🔴 Down: db-2:9100 (node)",
  tone: "warning",
  fields: [
    { label: "🟠 web-2", value: "CPU 60.0% · Mem 75.0%" },
    { label: "🟢 web-1", value: "CPU 25.0% · Mem 50.0%" },
  ],
  links: [{ label: "Grafana panel", url: "http://grafana:3000/d/system-overview?viewPanel=2" }],
  actions: [askButton("Top hosts by CPU", "top 5 hosts by cpu")],
  context: ["Now: CPU and load as 5 min / 1 min averages"],
});
