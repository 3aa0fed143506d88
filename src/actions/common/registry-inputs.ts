/**
 * The registry-username and registry-password inputs every action takes: validated
 * together, and turned into the one Credentials value the registry client and the
 * logins use.
 */
import { z } from "zod";
import type { Credentials } from "../../build/registry.js";
import * as f from "../../config/fields.js";

export interface RegistryInputs {
  readonly "registry-username"?: string | undefined;
  readonly "registry-password"?: string | undefined;
}

export const registrySchema = {
  "registry-username": f.registryUser.optional(),
  "registry-password": z.string().optional(),
};

/**
 * One without the other is a mistake, never a choice: refused, naming what leaving
 * both empty means for this action (`whenNeither`).
 */
export function registryPair<S extends z.ZodType<RegistryInputs>>(schema: S, whenNeither: string) {
  return schema.refine(
    (i) => (i["registry-username"] === undefined) === (i["registry-password"] === undefined),
    {
      error: `registry-username and registry-password go together: set both, or neither ${whenNeither}`,
      path: ["registry-username"],
    },
  );
}

export function credentials(i: RegistryInputs): Credentials | undefined {
  return i["registry-username"] && i["registry-password"]
    ? { username: i["registry-username"], password: i["registry-password"] }
    : undefined;
}
