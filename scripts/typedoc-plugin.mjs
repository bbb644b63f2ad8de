// typedoc plugin for rungate's API site (typedoc.json "plugin"). Two jobs, both small:
// 1. The markdown pages under docs/ become project documents titled by their first "# " heading (without a
//    trailing "(`rungate/x`)"), so the files need no front matter, which GitHub would show as a table. The
//    guides in the numbered list of docs/guides/README.md form the "Guides" group, in that order;
//    docs/adapters/ is "Adapters"; the rest is "Reference".
// 2. A few doc comments link to functions that are not exported, by design: each orchestrator use case is
//    reached through its `Orchestrator` method, so `{@link cancelRun}` is pointed at `Orchestrator.cancelRun`.
//    Two internal names are shown as code instead of a link. Any other unresolved link still fails the build.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Converter, ReflectionSymbolId } from "typedoc";

/** Unexported use cases whose `Orchestrator` method of the same name is the public way in. */
const ORCHESTRATOR_METHODS = new Set([
  "cancelRun",
  "cleanupRun",
  "createRun",
  "exportEvidence",
  "pruneWorktrees",
  "recordApprovalDecision",
  "redispatch",
  "retryChecks",
  "verifyEvidence",
]);

/** Internal names a doc comment mentions with a link; shown as code, since they are not public. */
const SHOWN_AS_CODE = new Set(["importCandidates"]);

/** The guides, in reading order: the index itself, then each file its numbered list links to. */
function guidesInOrder(root) {
  const index = join(root, "docs", "guides", "README.md");
  const listed = readFileSync(index, "utf8")
    .split("\n")
    .filter((line) => /^\d+\. \[/.test(line))
    .map((line) => /\]\(([^)#]+)/.exec(line)?.[1])
    .filter((target) => target !== undefined)
    .map((target) => resolve(dirname(index), target));
  return [index, ...listed];
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  /** @type {string[]} */
  let guides = [];
  app.converter.on(Converter.EVENT_BEGIN, () => {
    guides = guidesInOrder(root);
  });

  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, doc) => {
    // The content is display parts (text, code spans, links): the title is the first line of all of them.
    const text = doc.content.map((part) => part.text).join("");
    const heading = /^# +(.+)$/m.exec(text)?.[1];
    // "Git adapter (`rungate/git`)" is "Git adapter": typedoc would read the "/" as a folder.
    if (heading)
      doc.name = heading
        .replace(/\s*\(`[^)]*`\)\s*$/, "")
        .replace(/`/g, "")
        .trim();
    const path = resolve(doc.project.files.getReflectionPath(doc) ?? "");
    if (!("group" in doc.frontmatter)) {
      doc.frontmatter.group = guides.includes(path)
        ? "Guides"
        : path.startsWith(join(root, "docs", "adapters"))
          ? "Adapters"
          : "Reference";
    }
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    const rank = (doc) => {
      const i = guides.indexOf(resolve(project.files.getReflectionPath(doc) ?? ""));
      return i === -1 ? guides.length : i;
    };
    const documents = [...(project.documents ?? [])].sort((a, b) => rank(a) - rank(b));
    project.documents = documents;
    project.childrenIncludingDocuments = [...(project.children ?? []), ...documents];
  });

  // Before typedoc's own link resolution (priority -300) checks the links.
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const project = context.project;
      const orchestrator = project.getChildByName(["rungate", "Orchestrator"]);
      /** @param {import("typedoc").CommentDisplayPart[]} parts */
      const fix = (parts) => {
        for (const [i, part] of parts.entries()) {
          if (part.kind !== "inline-tag" || !(part.target instanceof ReflectionSymbolId)) continue;
          if (project.getReflectionsFromSymbolId(part.target).length > 0) continue;
          const name = part.target.qualifiedName;
          const method = ORCHESTRATOR_METHODS.has(name) ? orchestrator?.getChildByName(name) : undefined;
          if (method) part.target = method;
          else if (SHOWN_AS_CODE.has(name)) parts[i] = { kind: "code", text: `\`${name}\`` };
        }
      };
      for (const reflection of Object.values(project.reflections)) {
        const comment = reflection.comment;
        if (!comment) continue;
        fix(comment.summary);
        for (const tag of comment.blockTags) fix(tag.content);
      }
    },
    100,
  );
}
