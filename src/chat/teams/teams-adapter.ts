/**
 * botbuilder's CloudAdapter and its authentication: JWT-validated when an app id and password are
 * configured; unauthenticated (the Bot Framework Emulator's way) only when none are.
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from "botbuilder";
import type { Config } from "../../config/config.js";
import type { Logger } from "../../observability/logger.js";

export interface TeamsAdapter {
  adapter: CloudAdapter;
  /** Whether incoming activities must carry a valid Bot Framework token. */
  authenticated: boolean;
}

export function createTeamsAdapter(
  config: Config["teams"],
  logger: Logger,
  onTurnFailed: (conversation: string | undefined, error: Error) => void,
): TeamsAdapter {
  const authenticated = Boolean(config.appId && config.appPassword);
  const appType = config.appType ?? (config.tenantId ? "SingleTenant" : "MultiTenant");
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.appId ?? "",
    MicrosoftAppPassword: config.appPassword ?? "",
    MicrosoftAppType: appType,
    MicrosoftAppTenantId: config.tenantId ?? "",
  });
  const adapter = new CloudAdapter(auth);
  if (!authenticated)
    logger.warn(
      "Teams: no TEAMS_APP_ID/TEAMS_APP_PASSWORD, so /api/messages accepts unauthenticated activities (emulator mode, loopback serviceUrls only)",
    );
  if (authenticated && appType === "MultiTenant" && config.allowedTenants.length === 0)
    logger.warn(
      "Teams: a MultiTenant app with no TEAMS_ALLOWED_TENANTS answers people of every tenant that installs it; list yours in TEAMS_ALLOWED_TENANTS (or make the app SingleTenant with TEAMS_APP_TENANT_ID)",
    );
  adapter.onTurnError = async (context, error) => {
    onTurnFailed(context.activity.conversation?.id, error);
    try {
      await context.sendActivity("⚠️ Something went wrong while answering; the bot's log has the details.");
    } catch {
      // The connector itself may be what failed; the failure is reported above.
    }
  };
  return { adapter, authenticated };
}
