/**
 * The web console and the ask API as a chat platform: a question or command arrives over HTTP, goes
 * through the same dispatcher as Slack and Teams, and the reply is posted into the conversation's
 * transcript (kept in memory, bounded) and returned. The caller is the name of the API token it sent
 * (src/http/auth.ts), or "anonymous" where no token is asked; the access policy lets an anonymous
 * console read but never act on alerts, and a named caller act as ALERT_ACTORS allows.
 */
import { randomUUID } from "node:crypto";
import type { Platform, Reply, RichText, UserRef } from "../../reply/reply.js";
import { parseCommand } from "../commands.js";
import type { ActionDispatcher, Outcome } from "../dispatcher.js";
import type { ChatPlatform, PostedMessage } from "../platform.js";

/** The caller where no API token is asked (a loopback bind without API_TOKENS). */
const ANONYMOUS = "anonymous";

/** Messages kept per conversation, and conversations kept, before the oldest are forgotten. */
const MAX_MESSAGES = 50;
const MAX_CONVERSATIONS = 1000;

export interface ConsoleMessage {
  id: string;
  /** The reply shown, or the lines of a thread under `threadOf`. */
  reply?: Reply;
  lines?: RichText[];
  threadOf?: string;
}

export interface ConsoleQuestion {
  /** Name of the caller's API token (API_TOKENS); absent where the API asks for none. */
  caller?: string;
  text: string;
  environment?: string;
  /**
   * Conversation id the client chose; without one, each question stands alone. It is the caller's
   * own: another token naming the same id gets another conversation.
   */
  conversation?: string;
  signal?: AbortSignal;
}

export class ConsoleChatPlatform implements ChatPlatform {
  readonly name: Platform = "api";
  private readonly transcripts = new Map<string, ConsoleMessage[]>();

  constructor(private readonly dispatcher: ActionDispatcher) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.transcripts.clear();
  }

  /** Receives a question or command and answers it: the console's whole round trip. */
  async receive(question: ConsoleQuestion): Promise<Outcome> {
    const caller = question.caller ?? ANONYMOUS;
    const channel = question.conversation ? conversationChannel(caller, question.conversation) : "api";
    const outcome = await this.dispatcher.dispatch({
      actor: question.caller
        ? { platform: "api", id: question.caller, name: question.caller }
        : { platform: "api", id: ANONYMOUS, name: "console user" },
      // A named API token is someone; without one, nobody is signed in (and nobody may act).
      signedIn: question.caller !== undefined,
      place: { id: channel, kind: "console" },
      via: "message",
      action: parseCommand(question.text),
      ...(question.environment ? { environment: question.environment } : {}),
      ...(question.signal ? { signal: question.signal } : {}),
    });
    if (question.conversation) await this.send({ channel }, outcome.reply);
    return outcome;
  }

  /** The conversation's messages, oldest first. */
  transcript(channel: string): readonly ConsoleMessage[] {
    return this.transcripts.get(channel) ?? [];
  }

  async send(to: { channel: string; threadOf?: string }, reply: Reply): Promise<PostedMessage> {
    const id = randomUUID();
    this.append(to.channel, { id, reply, ...(to.threadOf ? { threadOf: to.threadOf } : {}) });
    return {
      platform: this.name,
      channel: to.channel,
      id,
      ...(to.threadOf ? { threadOf: to.threadOf } : {}),
    };
  }

  async update(message: PostedMessage, reply: Reply): Promise<void> {
    const found = this.find(message);
    if (!found) throw new Error(`no console message ${message.id} in ${message.channel}`);
    found.reply = reply;
  }

  async delete(message: PostedMessage): Promise<void> {
    const list = this.transcripts.get(message.channel);
    if (!list) return;
    const i = list.findIndex((m) => m.id === message.id);
    if (i >= 0) list.splice(i, 1);
  }

  async thread(message: PostedMessage, lines: RichText[]): Promise<PostedMessage> {
    if (!this.find(message)) throw new Error(`no console message ${message.id} in ${message.channel}`);
    const id = randomUUID();
    this.append(message.channel, { id, lines, threadOf: message.id });
    return { platform: this.name, channel: message.channel, id, threadOf: message.id };
  }

  async resolveUser(id: string): Promise<UserRef> {
    return { platform: this.name, id, name: id };
  }

  private find(message: PostedMessage): ConsoleMessage | undefined {
    return this.transcripts.get(message.channel)?.find((m) => m.id === message.id);
  }

  private append(channel: string, message: ConsoleMessage): void {
    let list = this.transcripts.get(channel);
    if (!list) {
      if (this.transcripts.size >= MAX_CONVERSATIONS) {
        const oldest = this.transcripts.keys().next().value;
        if (oldest !== undefined) this.transcripts.delete(oldest);
      }
      list = [];
      this.transcripts.set(channel, list);
    }
    list.push(message);
    if (list.length > MAX_MESSAGES) list.splice(0, list.length - MAX_MESSAGES);
  }
}

/** A caller's conversation: its id is scoped to the caller, so ids chosen alike never meet. */
function conversationChannel(caller: string, id: string): string {
  return `conversation:${caller}:${id}`;
}
