/**
 * Teams activities from particular people and tenants, and card button presses carrying a typed
 * action as our cards do (Action.Execute → an `adaptiveCard/action` invoke).
 */
import { ACTION_VERB } from "../../../src/chat/teams/adaptive-card.js";
import { type Action, decodeAction, encodeAction } from "../../../src/reply/action.js";
import { installActivity, messageActivity, TENANT } from "../../support/teams-activities.js";

export interface Person {
  id: string;
  name: string;
  aadObjectId: string;
}

export const ANA: Person = { id: "29:ana", name: "Ana", aadObjectId: "00000000-0000-0000-0000-0000000000a1" };
export const BO: Person = { id: "29:bo", name: "Bo", aadObjectId: "00000000-0000-0000-0000-0000000000b2" };
/** Someone the bot does not serve (not in TEAMS_ALLOWED_USERS). */
export const EVE: Person = { id: "29:eve", name: "Eve", aadObjectId: "00000000-0000-0000-0000-0000000000e5" };
export { TENANT };
export const OTHER_TENANT = "11111111-2222-3333-4444-555555555555";

export interface Where {
  serviceUrl: string;
  conversationId?: string;
  conversationType?: "personal" | "groupChat" | "channel";
  from?: Person;
  tenant?: string;
}

/** An activity as `from` sends it from `tenant` (the conversation and the channel data both say it). */
function as<T extends { conversation: object; channelData: object }>(activity: T, w: Where): T {
  return {
    ...activity,
    from: w.from ?? ANA,
    conversation: { ...activity.conversation, tenantId: w.tenant ?? TENANT },
    channelData: { ...activity.channelData, tenant: { id: w.tenant ?? TENANT } },
  };
}

export function say(text: string, w: Where) {
  return as(messageActivity(text, { ...w, mention: w.conversationType === "channel" }), w);
}

export function install(w: Where) {
  return as(installActivity(w), w);
}

export function press(action: Action, w: Where & { replyToId?: string }) {
  const { text: _text, textFormat: _format, entities: _entities, ...base } = messageActivity("", w);
  return as(
    {
      ...base,
      type: "invoke",
      name: "adaptiveCard/action",
      replyToId: w.replyToId ?? "activity-1",
      value: {
        action: { type: "Action.Execute", verb: ACTION_VERB, data: { action: encodeAction(action) } },
        trigger: "manual",
      },
    },
    w,
  );
}

/** Posts an activity to the bot as Teams does; returns the HTTP status and body (an invoke's response). */
export async function post(appUrl: string, activity: unknown): Promise<{ status: number; body: string }> {
  const res = await fetch(`${appUrl}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}

/** The Adaptive Card of a connector call (a message the bot sent), as JSON text; "" when none. */
export function cardText(body: Record<string, unknown> | undefined): string {
  const card = ((body?.attachments as { contentType: string; content: unknown }[] | undefined) ?? []).find(
    (a) => a.contentType === "application/vnd.microsoft.card.adaptive",
  )?.content;
  return card ? JSON.stringify(card) : "";
}

/** The typed actions of a card's buttons. */
export function cardActions(cardJson: string): Action[] {
  const out: Action[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.type === "Action.Execute") {
        const decoded = decodeAction((o.data as { action?: unknown } | undefined)?.action);
        if (decoded) out.push(decoded);
      }
      Object.values(o).forEach(walk);
    }
  };
  if (cardJson) walk(JSON.parse(cardJson));
  return out;
}

export interface InvokeAnswer {
  statusCode: number;
  type: string;
  value: unknown;
}
