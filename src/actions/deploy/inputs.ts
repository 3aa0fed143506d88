import { z } from "zod";
import * as f from "../../config/fields.js";
import type { InputSpec } from "../common/inputs.js";
import { registryPair, registrySchema } from "../common/registry-inputs.js";

/** Inputs shared by deploy and rollback: where, and how to reach the server. */
export const connectionSpecs = {
  config: { description: "Path to berth.yml", default: "berth.yml" },
  environment: { description: "Environment to deploy to, as named in berth.yml (e.g. staging)" },
  "ssh-private-key": { description: "Private key of the deploy user on the server (masked)", secret: true },
  "ssh-known-hosts": {
    description: "known_hosts line(s) pinning the server's host key; unknown or mismatched keys are refused",
  },
  "ssh-host": { description: "Override berth.yml's host for this environment" },
  "ssh-port": { description: "Override berth.yml's SSH port for this environment" },
  "ssh-user": { description: "Override berth.yml's SSH user for this environment" },
  "registry-username": { description: "Registry user the server pulls with" },
  "registry-password": {
    description: "Registry password or token the server pulls with (masked)",
    secret: true,
  },
} as const satisfies Record<string, InputSpec>;

export const specs = {
  ...connectionSpecs,
  sha: {
    description:
      "Full 40-hex commit SHA to deploy (default: GITHUB_SHA; with promote-from: the source environment's current release)",
  },
  images: {
    description:
      "build-push's images output (or a dry run's); when empty, digests for sha are looked up in the registry",
  },
  "promote-from": {
    description:
      "Promote: deploy exactly the digests whose latest deploy of sha SUCCEEDED in this environment (e.g. staging) and still serves there, read from its ledger with the same SSH inputs; no rebuild. With images: the digests a dry run in that environment's job resolved, checked against the registry again",
  },
  "dry-run": {
    description:
      "true: resolve the SHA and the images and check them (with promote-from: the source's ledger and the registry), then stop; nothing is uploaded, the target server is not contacted",
    default: "false",
  },
  "github-token": {
    description: "Optional token to record a GitHub Deployment and its status (needs deployments: write)",
    secret: true,
  },
  "allow-scripts-downgrade": {
    description:
      "true: install this berth's server scripts even when the server has newer ones (every environment deployed from that root then runs these); default: such a deploy is refused before anything changes",
    default: "false",
  },
} as const satisfies Record<string, InputSpec>;

const privateKey = z
  .string({ error: "is required: the deploy user's private key (store it as a secret)" })
  .refine((k) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k), {
    error: "is not a private key (expected a -----BEGIN … PRIVATE KEY----- block)",
  });

const knownHosts = z
  .string({ error: "is required: the server's known_hosts line, e.g. from ssh-keyscan verified out of band" })
  .max(65536)
  .refine((k) => !k.includes("\0"), { error: "contains a NUL byte" });

export const connectionSchema = {
  config: f.inputRepoPath.default("berth.yml"),
  environment: f.environmentName,
  "ssh-private-key": privateKey,
  "ssh-known-hosts": knownHosts,
  "ssh-host": f.host.optional(),
  "ssh-port": f.port.optional(),
  "ssh-user": f.user.optional(),
  ...registrySchema,
};

/** What leaving both registry inputs empty means for deploy and rollback. */
export const SERVER_LOGGED_IN = "if the server is already logged in";

/** A yes/no input: "true" or "false" as the runner passes it, false when empty. */
const trueOrFalse = z
  .enum(["true", "false"], { error: "must be true or false" })
  .default("false")
  .transform((v) => v === "true");

export const schema = registryPair(
  z
    .object({
      ...connectionSchema,
      sha: f.sha.optional(),
      images: z.string().max(1_000_000).optional(),
      "promote-from": f.environmentName.optional(),
      "dry-run": trueOrFalse,
      "github-token": z.string().optional(),
      "allow-scripts-downgrade": trueOrFalse,
    })
    .refine((i) => i.sha !== undefined || (i["promote-from"] !== undefined && i.images === undefined), {
      error:
        "is required: the full 40-hex commit SHA to deploy (only a promotion without images may leave it empty: it then ships the source environment's current release)",
      path: ["sha"],
    }),
  SERVER_LOGGED_IN,
);
