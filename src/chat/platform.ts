/**
 * The ChatPlatform contract: what every chat integration (Slack, Teams, the web console) does and
 * nothing more. A platform receives from its wire, turns each message, command, button or card
 * action into an {@link ActionRequest} for the one dispatcher, and sends, updates, deletes and
 * threads neutral {@link Reply} values, escaping them for its own format. It decides nothing.
 */

import type { Action } from "../reply/action.js";
import type { Platform, Reply, RichText, UserRef } from "../reply/reply.js";

/** Where something was said. */
export type PlaceKind = "channel" | "direct" | "home" | "console" | "api" | "cli";

/** A request from chat to do something: ask, list, acknowledge, silence … */
export interface ActionRequest {
  actor: UserRef;
  /**
   * Whether the platform knows who the actor is (a verified Slack or Teams request, a named API
   * token); only then may they act on alerts. Slack and Teams requests count as signed in.
   */
  signedIn?: boolean;
  /** The platform's organisation (Teams tenant, Slack team), when it says. */
  tenant?: string;
  /** The conversation (channel, chat, DM) it came from. */
  place: { id: string; kind: PlaceKind };
  /** How it arrived: typed as a command, written as a message, or a button pressed. */
  via: "command" | "message" | "button";
  action: Action;
  /** Environment asked for explicitly (an API parameter). */
  environment?: string;
  signal?: AbortSignal;
}

/** A message a platform posted: enough to find it again. */
export interface PostedMessage {
  platform: Platform;
  /** Channel or conversation id. */
  channel: string;
  /** Slack message ts, Teams activity id, console message id. */
  id: string;
  /** The message this one is a reply to (in its thread), if any. */
  threadOf?: string;
}

export interface ChatPlatform {
  readonly name: Platform;
  /** Starts receiving (and checks credentials); resolves when it can send. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Posts a reply into a conversation, or into the thread of `threadOf`. */
  send(to: { channel: string; threadOf?: string }, reply: Reply): Promise<PostedMessage>;
  /** Replaces a posted message with `reply`. */
  update(message: PostedMessage, reply: Reply): Promise<void>;
  delete(message: PostedMessage): Promise<void>;
  /** Posts lines under a message (its thread, or replies to it); opens the thread if there is none. */
  thread(message: PostedMessage, lines: RichText[]): Promise<PostedMessage>;
  /** Who a platform user id is (a name to show); falls back to the id itself. */
  resolveUser(id: string): Promise<UserRef>;
}
