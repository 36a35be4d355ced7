/**
 * Alert commands typed in chat, whatever the platform: `alerts`, `ack ID`, `silence ID 2h`,
 * `unsilence ID`, `resolve ID`, `audit`, and the chat rules (`alert when …`, `rules`, `rule pause|resume|
 * delete ID`). Text that is none of these is left to the assistant.
 */
import { makeReply, type Reply } from "../reply/reply.js";
import type { AlertService } from "./alert-service.js";

/** What a rule command needs; the rule engine implements it. */
export interface RuleCommands {
  create(text: string, user: string): Promise<Reply>;
  list(): Promise<Reply>;
  change(op: "pause" | "resume" | "delete", id: string, user: string): Promise<Reply>;
}

export interface CommandUser {
  /** Platform user id, checked against ALERT_ACTORS. */
  id: string;
  /** How the user is shown in messages and the audit log (a Slack mention, a Teams name). */
  display: string;
}

const ID = "([0-9a-f]{8})";

const notAllowed = (what: string) =>
  makeReply({ title: "Not done", text: `You are not allowed to ${what} (ALERT_ACTORS).`, tone: "error" });

export async function runAlertCommand(
  text: string,
  user: CommandUser,
  alerts: AlertService,
  rules?: RuleCommands,
): Promise<Reply | undefined> {
  const t = text.trim().replace(/\s+/g, " ");
  const match = (pattern: string) => new RegExp(`^${pattern}$`, "i").exec(t);
  if (match("alerts?")) return alerts.list();
  if (match("audit")) return alerts.auditReply();
  const ack = match(`(?:ack|acknowledge) ${ID}`);
  if (ack) return (await alerts.acknowledge(ack[1] as string, user.id, user.display)).reply;
  const silence = match(`silence ${ID}(?: (?:for )?(\\S+))?`);
  if (silence)
    return (await alerts.silence(silence[1] as string, silence[2] ?? "1h", user.id, user.display)).reply;
  const unsilence = match(`unsilence ${ID}`);
  if (unsilence) return (await alerts.unsilence(unsilence[1] as string, user.id, user.display)).reply;
  const resolve = match(`resolve ${ID}`);
  if (resolve) return (await alerts.resolve(resolve[1] as string, user.id, user.display)).reply;
  if (/^(ack|acknowledge|silence|unsilence|resolve)\b/i.test(t))
    return makeReply({
      title: "Which alert?",
      text: "Give the alert's id as shown on its message, e.g. `ack 3fa2c19b`, `silence 3fa2c19b 2h`. `alerts` lists the open ones.",
      tone: "error",
    });
  if (!rules) return undefined;
  if (/^alert when /i.test(t)) {
    if (!alerts.mayAct(user.id)) return notAllowed("create alert rules");
    return rules.create(t.slice("alert when ".length), user.display);
  }
  if (match("rules?")) return rules.list();
  const change = match(`rule (pause|resume|delete) ${ID}`);
  if (change) {
    if (!alerts.mayAct(user.id)) return notAllowed("change alert rules");
    return rules.change((change[1] as string).toLowerCase() as "pause", change[2] as string, user.display);
  }
  return undefined;
}
