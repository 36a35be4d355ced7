/** Activities as Teams sends them to a bot: channelData, mentions, conversationUpdate (card presses: test/chat/teams/activities.ts). */

let seq = 0;
export const BOT = { id: "28:cloudops-bot", name: "cloudops" };
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

interface Base {
  serviceUrl: string;
  conversationId?: string;
  conversationType?: "personal" | "groupChat" | "channel";
}

function base(o: Base) {
  seq++;
  return {
    id: `1700000000${seq}`,
    timestamp: new Date().toISOString(),
    serviceUrl: o.serviceUrl,
    channelId: "msteams",
    from: { id: "29:ana", name: "Ana", aadObjectId: "00000000-0000-0000-0000-0000000000a1" },
    conversation: {
      id: o.conversationId ?? "a:personal-ana",
      conversationType: o.conversationType ?? "personal",
      tenantId: TENANT,
      ...(o.conversationType === "channel" ? { isGroup: true } : {}),
    },
    recipient: BOT,
    channelData: {
      tenant: { id: TENANT },
      ...(o.conversationType === "channel"
        ? { team: { id: "19:team" }, channel: { id: "19:chan@thread.skype" } }
        : {}),
    },
    locale: "en-US",
  };
}

export function messageActivity(text: string, o: Base & { mention?: boolean }) {
  const mentionText = `<at>${BOT.name}</at>`;
  return {
    ...base(o),
    type: "message",
    text: o.mention ? `${mentionText} ${text}` : text,
    textFormat: "plain",
    entities: o.mention ? [{ type: "mention", mentioned: BOT, text: mentionText }] : [],
  };
}

export function installActivity(o: Base) {
  return { ...base(o), type: "conversationUpdate", membersAdded: [{ id: BOT.id }] };
}
