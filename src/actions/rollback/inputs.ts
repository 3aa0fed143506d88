import { z } from "zod";
import * as f from "../../config/fields.js";
import type { InputSpec } from "../common/inputs.js";
import { connectionSchema, connectionSpecs } from "../deploy/inputs.js";

export const specs = {
  ...connectionSpecs,
  sha: { description: "Release to roll back to (default: the environment's previous release)" },
  database: {
    description:
      "restore (put back the backup taken before the current release migrated) or keep (run the target on the current DB). Required when the current release ran migrations",
  },
  "github-token": {
    description:
      "Optional token to record a GitHub Deployment of the release put back, and its status (needs deployments: write)",
    secret: true,
  },
} as const satisfies Record<string, InputSpec>;

export const schema = z
  .object({
    ...connectionSchema,
    sha: f.sha.optional(),
    database: z.enum(["restore", "keep"], { error: "must be restore or keep" }).optional(),
    "github-token": z.string().optional(),
  })
  .refine((i) => (i["registry-username"] === undefined) === (i["registry-password"] === undefined), {
    error:
      "registry-username and registry-password go together: set both, or neither if the server is already logged in",
    path: ["registry-username"],
  });
