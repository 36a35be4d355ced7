/**
 * Microsoft Teams as a {@link ChatPlatform}: activities arrive on `POST /api/messages` through
 * botbuilder's CloudAdapter (teams-adapter.ts), each turn goes to the dispatcher (teams-turns.ts), and
 * replies, alert cards and thread lines go out proactively as Adaptive Cards (proactive-sender.ts).
 */
import type { Request, Response } from "express";
import type { Config } from "../../config/config.js";
import type { BotMetrics } from "../../observability/bot-metrics.js";
import type { Logger } from "../../observability/logger.js";
import type { Reply, RichText, UserRef } from "../../reply/reply.js";
import type { ActionDispatcher } from "../dispatcher.js";
import type { ChatPlatform, PostedMessage } from "../platform.js";
import { activityProblem } from "./activity-shape.js";
import type { CardOptions } from "./adaptive-card.js";
import type { ConversationReferences } from "./conversation-references.js";
import { emulatorRefusal } from "./emulator-guard.js";
import { cardMessage, linesMessage } from "./outgoing-activities.js";
import { ProactiveSender } from "./proactive-sender.js";
import { createTeamsAdapter } from "./teams-adapter.js";
import { teamsTurns } from "./teams-turns.js";

export const TEAMS_MESSAGES_PATH = "/api/messages";

/** People remembered by id for {@link TeamsChatPlatform.resolveUser} (Teams has no lookup outside a turn). */
const MAX_PEOPLE = 5000;

export interface TeamsPlatformDeps {
  config: Config["teams"];
  dispatcher: Pick<ActionDispatcher, "dispatch" | "admits" | "unknownAction">;
  references: ConversationReferences;
  metrics: BotMetrics;
  logger: Logger;
  /** Public URL for a chart PNG when the bot is reachable from Teams; undefined otherwise. */
  chartUrl?: (png: Buffer) => string | undefined;
}

export class TeamsChatPlatform implements ChatPlatform {
  readonly name = "teams" as const;
  /** Whether incoming activities must carry a valid Bot Framework token. */
  readonly authenticated: boolean;
  private readonly logic: ReturnType<typeof teamsTurns>;
  private readonly sender: ProactiveSender;
  private readonly adapter: ReturnType<typeof createTeamsAdapter>["adapter"];
  private readonly people = new Map<string, UserRef>();

  constructor(private readonly deps: TeamsPlatformDeps) {
    const { adapter, authenticated } = createTeamsAdapter(deps.config, deps.logger, (conversation, error) => {
      deps.metrics.errors.inc({ component: "teams", reason: "turn" });
      deps.logger.error({ err: error.message, conversation }, "Teams turn failed");
    });
    this.adapter = adapter;
    this.authenticated = authenticated;
    this.sender = new ProactiveSender(adapter, deps.references, deps.config.appId ?? "");
    this.logic = teamsTurns({
      dispatcher: deps.dispatcher,
      references: deps.references,
      logger: deps.logger,
      appId: deps.config.appId ?? "",
      cardOptions: (reply) => this.cardOptions(reply),
      onActor: (actor) => this.remember(actor),
    });
  }

  /** The HTTP handler of `POST /api/messages`. */
  async handle(req: Request, res: Response): Promise<void> {
    const problem = activityProblem(req.body);
    if (problem) {
      res.status(400).json({ error: problem });
      return;
    }
    // Unsigned activities: refused before the adapter, so nothing is answered or stored for them.
    const refusal = this.authenticated ? undefined : emulatorRefusal(req.body);
    if (refusal) {
      this.deps.metrics.errors.inc({ component: "teams", reason: "emulator_service_url" });
      this.deps.logger.warn(
        {
          conversation: String((req.body as { conversation?: { id?: unknown } })?.conversation?.id).slice(
            0,
            100,
          ),
        },
        "Teams emulator: refused an activity whose serviceUrl is not on this machine",
      );
      res.status(403).json({ error: refusal });
      return;
    }
    await this.adapter.process(req, res, this.logic);
  }

  /** Nothing to connect: Teams calls in, and proactive sends authenticate per call. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async send(to: { channel: string; threadOf?: string }, reply: Reply): Promise<PostedMessage> {
    const id = await this.sender.send(to.channel, cardMessage(reply, this.cardOptions(reply)), to.threadOf);
    return { platform: "teams", channel: to.channel, id, ...(to.threadOf ? { threadOf: to.threadOf } : {}) };
  }

  async update(message: PostedMessage, reply: Reply): Promise<void> {
    await this.sender.update(message.channel, message.id, cardMessage(reply, this.cardOptions(reply)));
  }

  async delete(message: PostedMessage): Promise<void> {
    await this.sender.delete(message.channel, message.id);
  }

  /** Replies to the message (in a channel, in its thread) with the lines as literal text. */
  async thread(message: PostedMessage, lines: RichText[]): Promise<PostedMessage> {
    const threadOf = message.threadOf ?? message.id;
    const id = await this.sender.send(message.channel, linesMessage(lines), threadOf);
    return { platform: "teams", channel: message.channel, id, threadOf };
  }

  async resolveUser(id: string): Promise<UserRef> {
    return this.people.get(id) ?? { platform: "teams", id, name: id };
  }

  private cardOptions(reply: Reply): CardOptions {
    const url = reply.chart ? this.deps.chartUrl?.(reply.chart.png) : undefined;
    return url ? { chartUrl: url } : {};
  }

  private remember(actor: UserRef): void {
    if (this.people.size >= MAX_PEOPLE && !this.people.has(actor.id)) {
      const oldest = this.people.keys().next().value;
      if (oldest !== undefined) this.people.delete(oldest);
    }
    this.people.set(actor.id, actor);
  }
}

export function createTeamsPlatform(deps: TeamsPlatformDeps): TeamsChatPlatform {
  return new TeamsChatPlatform(deps);
}
