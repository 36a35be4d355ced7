/** What every Slack listener shares. */
import type { WebClient } from "@slack/web-api";
import type { RuleCommands } from "../../alerts/alert-commands.js";
import type { AlertService } from "../../alerts/alert-service.js";
import type { Assistant } from "../../assistant/assistant.js";
import type { Logger } from "../../observability/logger.js";
import type { AccessPolicy } from "./access.js";
import type { SlackResponder } from "./slack-responder.js";

export interface SlackContext {
  assistant: Assistant;
  responder: SlackResponder;
  access: AccessPolicy;
  logger: Logger;
  environmentNames: () => string[];
  alerts?: AlertService;
  rules?: RuleCommands;
  /** Filled once auth.test has answered. */
  botUserId?: string;
  client?: WebClient;
}
