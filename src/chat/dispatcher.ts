/**
 * The one dispatcher: every platform hands it typed actions (from a typed command, a message, a
 * button or a card) and gets back what to show and to whom. The access policy, question metrics,
 * the "answered by" line and the audit of refusals are applied here, once, for every platform.
 */
import type { AlertListing, AuditListing } from "../alerts/alert-list.js";
import { alertListReply, auditReply } from "../alerts/alert-list.js";
import type { ActionResult } from "../alerts/alert-service.js";
import { auditActor } from "../alerts/audit-log.js";
import type { RuleCommands } from "../alerts/chat-rules.js";
import { clock } from "../alerts/group-message.js";
import { answerHelp } from "../assistant/answers/static.js";
import type { Assistant } from "../assistant/assistant.js";
import { MAX_QUESTION_CHARS } from "../assistant/parse-question.js";
import type { DigestCommands } from "../insights/digest-commands.js";
import type { BotMetrics } from "../observability/bot-metrics.js";
import { isActing } from "../reply/action.js";
import { type Answer, answeredBy, makeReply, type Reply, type UserRef } from "../reply/reply.js";
import { type AccessLists, refuse } from "./access.js";
import type { ActionRequest } from "./platform.js";

/** What the dispatcher needs from the alert pipeline (AlertService implements it). */
export interface AlertActions extends AlertListing, AuditListing {
  acknowledge(id: string, actor: UserRef): Promise<ActionResult>;
  silence(id: string, forText: string, actor: UserRef): Promise<ActionResult>;
  unsilence(id: string, actor: UserRef): Promise<ActionResult>;
  resolve(id: string, actor: UserRef): Promise<ActionResult>;
  details(id: string): Promise<Reply | undefined>;
  audit(entry: { actor: string; action: string; subject: string; detail: string }): Promise<void>;
}

export interface DispatcherDeps {
  assistant: Assistant;
  /** The health overview the App Home opens with, asked for as data (the built-in engine, no LLM). */
  overview: { overview(environment?: string, signal?: AbortSignal): Promise<Answer> };
  metrics: BotMetrics;
  access: AccessLists;
  environmentNames: () => string[];
  alerts?: AlertActions;
  rules?: RuleCommands;
  /** Channels' digests (`digest daily 09:00`, `digest off`, …). */
  digests?: DigestCommands;
  /** `report [period]`: a summary of availability and alerts with a link to the printable report. */
  reports?: ReportCommands;
  /** Clock for the App Home's "Updated" line, epoch ms. */
  now?: () => number;
  /** `investigate ID` and the alert's Investigate button: the first look, run now. */
  investigations?: InvestigationCommands;
}

/** What the dispatcher needs for `investigate ID` (jobs/investigation-jobs.ts's runner serves it). */
export interface InvestigationCommands {
  /** The first look at the alert group as a reply; undefined when there is no such group. */
  investigate(id: string, signal?: AbortSignal): Promise<Reply | undefined>;
}

/** What the dispatcher needs for `report [period]` (insights/report.ts's Reports implements it). */
export interface ReportCommands {
  chatReply(period: string | undefined, environment?: string, signal?: AbortSignal): Promise<Reply>;
}

/** What to show for a request. */
export interface Outcome {
  reply: Reply;
  /** Further replies shown with it (the App Home's sections). */
  more: Reply[];
  /** Who should see it: the whole conversation, or only the person who asked (where the platform can). */
  audience: "conversation" | "actor";
  /** False when the request was refused or failed. */
  ok: boolean;
  /**
   * True when the person needs no answer of their own: a pressed alert button that worked shows in
   * the alert's message, which the alert pipeline updates for everyone.
   */
  quiet: boolean;
  /** For questions: the assistant's answer (provider, intent). */
  answer?: Answer;
}

const COMMANDS =
  "Alerts: alerts · ack ID · silence ID 2h · unsilence ID · resolve ID · details ID · investigate ID · audit · alert when disk > 90% for 10m · alert when disk will be full within 3d · rules";
const DIGEST_COMMANDS =
  "Digests: digest daily 09:00 · digest weekly mon 09:00 Europe/Paris · digest · digest now · digest off";
const REPORT_COMMANDS = "Reports: report (last 7 days) · report november · report 2026-11 · report 30d";

export class ActionDispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /**
   * Whether the platform may keep anything for this person and place (a Teams conversation
   * reference, say): the access policy's answer for a request that only asks for help.
   */
  admits(who: Omit<ActionRequest, "action" | "via">): boolean {
    return refuse(this.deps.access, { ...who, via: "message", action: { kind: "help" } }) === undefined;
  }

  /**
   * A button or card action whose payload is not one we made (altered, or from an older version):
   * nothing is done, and the person is told so, or refused if they may not use the bot at all.
   */
  unknownAction(who: Omit<ActionRequest, "action" | "via">): Outcome {
    const denied = refuse(this.deps.access, { ...who, via: "button", action: { kind: "help" } });
    if (denied) return this.outcome(denied, { audience: "actor", ok: false });
    this.deps.metrics.errors.inc({ component: "dispatcher", reason: "unknown-action" });
    return this.outcome(UNKNOWN_ACTION, { audience: "actor", ok: false });
  }

  async dispatch(request: ActionRequest): Promise<Outcome> {
    const denied = refuse(this.deps.access, request);
    if (denied) {
      if (isActing(request.action) && this.deps.alerts)
        await this.deps.alerts
          .audit({
            actor: auditActor(request.actor),
            action: "denied",
            subject: request.action.kind,
            detail: "id" in request.action ? request.action.id : "",
          })
          .catch(() => undefined);
      return this.outcome(denied, { audience: "actor", ok: false });
    }
    try {
      return await this.carryOut(request);
    } catch (e) {
      this.deps.metrics.errors.inc({ component: "dispatcher", reason: request.action.kind });
      const reply = makeReply({
        title: "That failed",
        text: e instanceof Error ? e.message : String(e),
        tone: "error",
      });
      return this.outcome(reply, { audience: "actor", ok: false });
    }
  }

  private outcome(reply: Reply, parts: Partial<Outcome> & Pick<Outcome, "audience" | "ok">): Outcome {
    return { reply, more: [], quiet: false, ...parts };
  }

  private async carryOut(request: ActionRequest): Promise<Outcome> {
    const { action, actor } = request;
    const alerts = this.deps.alerts;
    const rules = this.deps.rules;
    // Listings and results of typed commands are for the person who typed them; in a DM that is the same.
    const actorOnly = { audience: "actor" as const, ok: true };
    switch (action.kind) {
      case "ask":
        return this.ask(request, action.text);
      case "help":
        return this.outcome(this.help(), {
          audience: request.via === "command" ? "actor" : "conversation",
          ok: true,
        });
      case "home":
        return this.home(request);
      case "alerts.list":
        if (!alerts) return this.outcome(noAlerts(), actorOnly);
        return this.outcome(alertListReply(await alerts.list()), actorOnly);
      case "alerts.audit":
        if (!alerts) return this.outcome(noAlerts(), actorOnly);
        return this.outcome(auditReply(await alerts.auditEntries(20)), actorOnly);
      case "alert.details": {
        const details = await alerts?.details(action.id);
        return details
          ? this.outcome(details, actorOnly)
          : this.outcome(noSuchAlert(action.id), { audience: "actor", ok: false });
      }
      case "alert.investigate": {
        if (!this.deps.investigations)
          return this.outcome(
            makeReply({
              title: "Investigations are off",
              text: "This bot does not investigate alerts.",
              tone: "error",
            }),
            { audience: "actor", ok: false },
          );
        const reply = await this.deps.investigations.investigate(action.id, request.signal);
        if (!reply) return this.outcome(noSuchAlert(action.id), { audience: "actor", ok: false });
        // A typed command answers where it was asked; a pressed button answers the person (the
        // alert's thread has its first look, which this run brings up to date).
        return this.outcome(reply, {
          audience: request.via === "button" ? "actor" : "conversation",
          ok: true,
        });
      }
      case "too-long":
        return this.outcome(
          makeReply({
            title: "Too long",
            text: `That is ${action.length.toLocaleString("en-US")} characters; a question or command is ${MAX_QUESTION_CHARS.toLocaleString("en-US")} at most. Shorten it.`,
            tone: "error",
          }),
          { audience: "actor", ok: false },
        );
      case "alert.which":
        return this.outcome(
          makeReply({
            title: "Which alert?",
            text: "Give the alert's id as shown on its message, e.g. `ack 3fa2c19b`, `silence 3fa2c19b 2h`. `alerts` lists the open ones.",
            tone: "error",
          }),
          { audience: "actor", ok: false },
        );
      case "alert.ack":
      case "alert.silence":
      case "alert.unsilence":
      case "alert.resolve": {
        if (!alerts) return this.outcome(noAlerts(), { audience: "actor", ok: false });
        const result =
          action.kind === "alert.ack"
            ? await alerts.acknowledge(action.id, actor)
            : action.kind === "alert.silence"
              ? await alerts.silence(action.id, action.for, actor)
              : action.kind === "alert.unsilence"
                ? await alerts.unsilence(action.id, actor)
                : await alerts.resolve(action.id, actor);
        return this.outcome(result.reply, {
          audience: "actor",
          ok: result.ok,
          quiet: result.ok && request.via === "button",
        });
      }
      case "rule.create":
        if (!rules) return this.outcome(noAlerts(), { audience: "actor", ok: false });
        return this.outcome(await rules.create(action.text, actor), actorOnly);
      case "rules.list":
        if (!rules) return this.outcome(noAlerts(), actorOnly);
        return this.outcome(await rules.list(), actorOnly);
      case "rule.change":
        if (!rules) return this.outcome(noAlerts(), { audience: "actor", ok: false });
        return this.outcome(await rules.change(action.op, action.id, actor), actorOnly);
      case "digest.set":
      case "digest.off":
      case "digest.show":
      case "digest.now":
      case "digest.usage":
        return this.digest(request);
      case "report": {
        if (!this.deps.reports)
          return this.outcome(
            makeReply({ title: "Reports are off", text: "This bot does not make reports.", tone: "error" }),
            { audience: "actor", ok: false },
          );
        const reply = await this.deps.reports.chatReply(action.period, request.environment, request.signal);
        return this.outcome(reply, { audience: "conversation", ok: reply.tone !== "error" });
      }
    }
  }

  private help(): Reply {
    const help = answerHelp(this.deps.environmentNames());
    return {
      ...help,
      context: [
        ...help.context,
        COMMANDS,
        ...(this.deps.digests ? [DIGEST_COMMANDS] : []),
        ...(this.deps.reports ? [REPORT_COMMANDS] : []),
      ],
    };
  }

  /** A channel's digest: set, stopped, shown, or one posted now. Digests are per Slack or Teams conversation. */
  private async digest(request: ActionRequest): Promise<Outcome> {
    const { action, actor, place } = request;
    const digests = this.deps.digests;
    const actorOnly = { audience: "actor" as const, ok: true };
    if (!digests)
      return this.outcome(
        makeReply({ title: "Digests are off", text: "This bot does not post digests.", tone: "error" }),
        { audience: "actor", ok: false },
      );
    if (action.kind === "digest.usage")
      return this.outcome(digests.usage(action.problem), { audience: "actor", ok: false });
    const platform = actor.platform;
    const where = platform === "slack" || platform === "teams" ? { platform, channel: place.id } : undefined;
    if (action.kind === "digest.now")
      return this.outcome(await digests.now(where, request.signal), { audience: "conversation", ok: true });
    if (!where)
      return this.outcome(
        makeReply({
          title: "Digests go to chat channels",
          text: "A digest is posted in a Slack or Teams conversation: set it there with `digest daily 09:00`. `digest now` shows one here.",
          tone: "error",
        }),
        { audience: "actor", ok: false },
      );
    if (action.kind === "digest.show") return this.outcome(await digests.show(where), actorOnly);
    if (action.kind === "digest.off") return this.outcome(await digests.off(where, actor), actorOnly);
    if (action.kind === "digest.set")
      return this.outcome(await digests.set(where, action.schedule, actor), actorOnly);
    return this.outcome(digests.usage("Unknown digest command."), { audience: "actor", ok: false });
  }

  private async ask(request: ActionRequest, text: string): Promise<Outcome> {
    const started = performance.now();
    const answer = await this.deps.assistant.answer(
      {
        platform: request.actor.platform,
        user: request.actor.id,
        channel: request.place.id,
        text: text || "help",
        ...(request.environment ? { environment: request.environment } : {}),
      },
      request.signal,
    );
    const { metrics } = this.deps;
    metrics.questions.inc({
      intent: answer.intent,
      provider: answer.provider,
      platform: request.actor.platform,
    });
    metrics.answerSeconds.observe({ provider: answer.provider }, (performance.now() - started) / 1000);
    if (answer.reply.tone === "error") metrics.errors.inc({ component: "assistant", reason: answer.intent });
    // Said once, here, for every platform: who wrote the answer (and from what, for an LLM).
    const reply = { ...answer.reply, context: [...answer.reply.context, answeredBy(answer)] };
    const notAnswered = answer.reply.tone === "error" || answer.intent === "unknown";
    return this.outcome(reply, {
      // A typed command that was not understood, or failed, is worth telling the asker, not the channel.
      audience: request.via === "command" && notAnswered ? "actor" : "conversation",
      ok: !notAnswered,
      answer: { ...answer, reply },
    });
  }

  private async home(request: ActionRequest): Promise<Outcome> {
    // A view refreshed at every open: the engine's overview as data, not a question to the LLM.
    const health = await this.deps.overview.overview(undefined, request.signal);
    const more: Reply[] = [];
    if (this.deps.alerts) more.push(alertListReply(await this.deps.alerts.list()));
    more.push(this.help());
    // The home view stays as it was published until opened again: say how fresh it is.
    const updated = `Updated ${clock(this.deps.now?.() ?? Date.now())}`;
    const reply = { ...health.reply, context: [...health.reply.context, updated] };
    return this.outcome(reply, { more, audience: "actor", ok: true });
  }
}

/** The answer to a button whose payload does not decode. */
export const UNKNOWN_ACTION = makeReply({
  title: "🚫 Unknown button",
  text: "That button's value is not one this bot made (it may be altered, or from an older version). Nothing was done.",
  tone: "warning",
});

function noAlerts(): Reply {
  return makeReply({ title: "Alerts are off", text: "This bot does not handle alerts.", tone: "error" });
}

function noSuchAlert(id: string): Reply {
  return makeReply({
    title: "Not found",
    text: `There is no alert ${id}. \`alerts\` lists the open ones.`,
    tone: "error",
  });
}
