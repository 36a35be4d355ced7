/**
 * The layering rules of DESIGN.md ("Dependency rule"), checked by `npm run depcruise` in `npm test`.
 *
 * Parser: TypeScript here is the native 7.x compiler, which has no JS API, and dependency-cruiser's
 * own TypeScript support wants typescript < 7; without a parser it silently skips every .ts file
 * and reports "no violations". So it parses with swc (`@swc/core`, a devDependency). swc does not
 * tell `import type` from `import`: type-only imports count, which is what a layering rule wants.
 */

/** Chat SDKs, resolved into node_modules or (when not installed) as the bare specifier. */
const CHAT_SDK = "(^|/)node_modules/(@slack/|botbuilder|botframework-)|^(@slack/|botbuilder|botframework-)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "core-imports-no-chat-sdk",
      comment:
        "anomaly/, alerts/, assistant/, insights/, investigate/ and reply/ are platform-neutral: a chat SDK " +
        "belongs in a chat/<platform>/ adapter (DESIGN.md, Dependency rule).",
      severity: "error",
      from: { path: "^src/(anomaly|alerts|assistant|insights|investigate|reply)/" },
      to: { path: CHAT_SDK },
    },
    {
      name: "core-imports-no-chat-module",
      comment:
        "anomaly/, alerts/, assistant/, insights/, investigate/ and reply/ never import src/chat/: adapters " +
        "call the core, not the other way round (DESIGN.md, Dependency rule).",
      severity: "error",
      from: { path: "^src/(anomaly|alerts|assistant|insights|investigate|reply)/" },
      to: { path: "^src/chat/" },
    },
    {
      name: "metrics-config-stay-low",
      comment:
        "metrics/ and config/ sit below the flows: they do not import alerts/, assistant/, chat/, " +
        "anomaly/, jobs/ or http/.",
      severity: "error",
      from: { path: "^src/(metrics|config)/" },
      to: { path: "^src/(alerts|assistant|chat|anomaly|jobs|http)/" },
    },
    {
      name: "reply-imports-only-reply",
      comment: "reply/ holds the types every platform shares; it depends on nothing else of ours.",
      severity: "error",
      from: { path: "^src/reply/" },
      to: { path: "^src/", pathNot: "^src/reply/" },
    },
    {
      name: "slack-teams-apart",
      comment: "chat/slack and chat/teams are independent adapters; what they share lives in chat/.",
      severity: "error",
      from: { path: "^src/chat/(slack|teams)/" },
      to: { path: "^src/chat/(slack|teams)/", pathNot: "^src/chat/$1/" },
    },
    {
      name: "no-folder-cycle-across-top-level-folders",
      comment:
        "Folders that import each other (alerts/ → config/ → alerts/) cannot be read, tested or replaced " +
        "alone. Flags each folder of such a cycle whose step leaves its top-level folder; cycles inside " +
        "one top-level folder (assistant/ ↔ assistant/answers/) are that folder's business.",
      severity: "error",
      scope: "folder",
      from: { path: "^src/([^/]+)" },
      to: { circular: true, pathNot: "^src/$1(/|$)" },
    },
    {
      name: "no-module-cycle-across-folders",
      comment:
        "The same at module level, so the report names the files of a cycle that leaves its top-level " +
        "folder.",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { circular: true, via: { path: "^src/", pathNot: "^src/$1/" } },
    },
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
