/**
 * The alert routes file (ALERT_ROUTES_FILE), read and checked with the rest of the configuration: its
 * schema and parsing, pure zod over YAML (or JSON, which is YAML). alerts/routing.ts compiles the
 * parsed routes into matchers; a bad file stops start-up with the first problem and where it is.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a Prometheus label name");

const routeSchema = z
  .object({
    name: z.string().min(1).max(64).optional(),
    /** Label equality matchers. */
    match: z.record(labelName, z.string().max(256)).default({}),
    /** Label regex matchers, anchored as in Alertmanager. */
    match_re: z.record(labelName, z.string().max(256)).default({}),
    severity: z.array(z.string().max(32)).optional(),
    environment: z.array(z.string().max(64)).optional(),
    slack_channel: z
      .string()
      .regex(/^[A-Z0-9]{2,32}$/, "a Slack channel id like C0123ABCD")
      .optional(),
    teams_conversation: z.string().min(1).max(512).optional(),
    mention: z
      .string()
      .regex(/^<[!@#][A-Za-z0-9^|_.-]{1,60}>$/, 'a Slack mention like "<!subteam^S0123>" or "<@U0123>"')
      .optional(),
    group_by: z.array(labelName).max(16).optional(),
    continue: z.boolean().default(false),
  })
  .refine((r) => r.slack_channel || r.teams_conversation, {
    message: "needs slack_channel or teams_conversation",
  });

const routesFileSchema = z.object({ routes: z.array(routeSchema).max(200) });

/** One route as written in the file, defaults filled in. */
export type RouteSpec = z.infer<typeof routeSchema>;

export class RoutesError extends Error {
  override name = "RoutesError";
}

/**
 * The routes of a routes file, checked: YAML, the schema, and every `match_re` a valid regular
 * expression. @throws {RoutesError} naming the first problem and where it is.
 */
export function parseRoutes(text: string): RouteSpec[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new RoutesError(`not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const parsed = routesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RoutesError(`${issue?.path.join(".") || "file"}: ${issue?.message ?? "invalid"}`);
  }
  for (const [i, r] of parsed.data.routes.entries())
    for (const [k, v] of Object.entries(r.match_re)) {
      try {
        new RegExp(`^(?:${v})$`);
      } catch {
        throw new RoutesError(`routes.${i}.match_re.${k}: not a valid regular expression`);
      }
    }
  return parsed.data.routes;
}
