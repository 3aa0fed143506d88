import { z } from "zod";
import * as f from "../../config/fields.js";
import type { InputSpec } from "../common/inputs.js";
import { registryPair } from "../common/registry-inputs.js";
import { connectionSchema, connectionSpecs, SERVER_LOGGED_IN } from "../deploy/inputs.js";

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

export const schema = registryPair(
  z.object({
    ...connectionSchema,
    sha: f.sha.optional(),
    database: z.enum(["restore", "keep"], { error: "must be restore or keep" }).optional(),
    "github-token": z.string().optional(),
  }),
  SERVER_LOGGED_IN,
);
