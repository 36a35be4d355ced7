/**
 * A TeamsChatPlatform that can post proactively into one channel of the fake connector (its
 * conversation reference stored as an install would), taking no turns itself.
 */
import { ConversationReferences } from "../../../src/chat/teams/conversation-references.js";
import { TeamsChatPlatform } from "../../../src/chat/teams/teams-chat-platform.js";
import { loadConfig } from "../../../src/config/config.js";
import { createBotMetrics } from "../../../src/observability/bot-metrics.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { type FakeConnector, startFakeConnector } from "../../fakes/fake-connector.js";
import { NO_REQUESTS } from "../../support/no-requests.js";
import { dropKeysAndDisconnect, testPrefix, testRedis } from "../../support/redis.js";

export interface TeamsSetup {
  connector: FakeConnector;
  platform: TeamsChatPlatform;
  channel: string;
  close(): Promise<void>;
}

export async function teamsOnFakeConnector(name: string): Promise<TeamsSetup> {
  const connector = await startFakeConnector();
  const redis = testRedis();
  const prefix = testPrefix(name);
  const references = new ConversationReferences(redis, `${prefix}:references`);
  const channel = `19:${name}@thread.tacv2`;
  await references.save({
    serviceUrl: connector.url,
    channelId: "msteams",
    conversation: { id: channel, conversationType: "channel", isGroup: true },
    bot: { id: "28:cloudops-bot", name: "cloudops" },
  });
  const platform = new TeamsChatPlatform({
    config: loadConfig({ TEAMS_EMULATOR: "true", LOG_LEVEL: "silent" }).teams,
    dispatcher: NO_REQUESTS,
    references,
    metrics: createBotMetrics(),
    logger: silentLogger(),
  });
  await platform.start();
  return {
    connector,
    platform,
    channel,
    async close() {
      await platform.stop();
      await connector.close();
      await dropKeysAndDisconnect(redis, prefix);
    },
  };
}
