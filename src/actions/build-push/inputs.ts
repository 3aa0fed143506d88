import { z } from "zod";
import * as f from "../../config/fields.js";
import type { InputSpec } from "../common/inputs.js";
import { splitList } from "../common/inputs.js";
import { registryPair, registrySchema } from "../common/registry-inputs.js";

/** The action's inputs: names, defaults and descriptions; action.yml must match (tested). */
export const specs = {
  config: { description: "Path to berth.yml", default: "berth.yml" },
  sha: { description: "Full 40-hex commit SHA to build and tag (default: GITHUB_SHA)" },
  services: { description: "Services to build, comma or newline separated (default: all in berth.yml)" },
  "extra-tags": { description: "Extra mutable tags to push besides the SHA tag, comma or newline separated" },
  "build-args": {
    description:
      "Extra build args, one KEY=VALUE per line (values may hold spaces and commas); override berth.yml's build.args",
  },
  "registry-username": { description: "Registry user name (e.g. github.actor for GHCR)" },
  "registry-password": { description: "Registry password or token (masked)", secret: true },
} as const satisfies Record<string, InputSpec>;

/**
 * One KEY=VALUE per line. Lines only: a value may hold commas and spaces
 * (FEATURES=a,b or APP_TITLE=Acme API); each travels to docker as one argv word.
 */
const buildArgLines = z.preprocess(
  (v) =>
    typeof v === "string"
      ? v
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l.length > 0)
      : [],
  z.array(
    z.string().regex(/^[^=]+=/, { error: "must be KEY=VALUE, one per line, e.g. NODE_ENV=production" }),
  ),
);

export const schema = registryPair(
  z.object({
    config: f.inputRepoPath.default("berth.yml"),
    sha: f.sha,
    services: z.preprocess((v) => splitList(v as string | undefined), z.array(f.serviceName)),
    "extra-tags": z.preprocess((v) => splitList(v as string | undefined), z.array(f.tag)),
    "build-args": buildArgLines.transform((lines, ctx) => {
      const out: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf("=");
        const [k, v] = [line.slice(0, i), line.slice(i + 1)];
        const name = f.buildArgName.safeParse(k);
        const value = f.buildArgValue.safeParse(v);
        if (!name.success) {
          ctx.addIssue({ code: "custom", input: k, message: name.error.issues[0]?.message ?? "is invalid" });
        } else if (!value.success) {
          const message = value.error.issues[0]?.message ?? "is invalid";
          ctx.addIssue({ code: "custom", path: [k], input: v, message });
        } else out[k] = v;
      }
      return out;
    }),
    ...registrySchema,
  }),
  "to use an existing docker login",
);
