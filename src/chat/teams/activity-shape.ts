/**
 * The least an activity must be before botbuilder sees it. The Bot Framework types describe what
 * Teams sends, not what reaches the port: botbuilder throws outside its own error handling on an
 * activity whose type, conversation id or sender id is not a string, and answers 500 or 501. Such a
 * body is the sender's error and is answered as one (400), before anything is stored.
 */
import { z } from "zod";

const id = z.string().min(1).max(1000);
const short = z.string().max(1000).optional();
const account = z.object({ id, name: short, aadObjectId: short, role: short }).passthrough();

const activityShape = z
  .object({
    type: z.string().min(1).max(64),
    id: z.string().max(1000).optional(),
    channelId: z.string().max(100).optional(),
    serviceUrl: z.string().max(2000).optional(),
    locale: z.string().max(100).optional(),
    replyToId: z.string().max(1000).optional(),
    textFormat: z.string().max(100).optional(),
    channelData: z.object({}).passthrough().optional(),
    entities: z.array(z.object({}).passthrough()).max(100).optional(),
    membersAdded: z.array(account).max(1000).optional(),
    membersRemoved: z.array(account).max(1000).optional(),
    conversation: z
      .object({ id, conversationType: short, tenantId: short, isGroup: z.boolean().optional(), name: short })
      .passthrough()
      .optional(),
    from: account.optional(),
    recipient: account.optional(),
    name: z.string().max(200).optional(),
    text: z.string().max(100_000).optional(),
  })
  .passthrough();

/** Why `body` is not an activity the adapter can take, or undefined when it is. */
export function activityProblem(body: unknown): string | undefined {
  const parsed = activityShape.safeParse(body);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return `not a Bot Framework activity: ${issue?.path.join(".") || "body"} ${issue?.message ?? "is invalid"}`;
}
