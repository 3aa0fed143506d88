/**
 * The `images` map that flows from build-push to deploy (and into the manifest and the
 * ledger): service → repo, tag, digest, ref. Parsed strictly: deploy pins what it says.
 */
import { z } from "zod";
import { ConfigError, formatIssues } from "../config/errors.js";
import * as f from "../config/fields.js";
import type { BerthYaml } from "../config/schema.js";

const digest = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, { error: "is not an image digest; expected sha256: and 64 hex digits" });

const imageEntry = z
  .object({
    repo: f.imageRepo,
    tag: f.sha,
    digest,
    ref: z.string().optional(),
    status: z.enum(["built", "reused"]).optional(),
  })
  .transform((i) => imageEntryOf(i.repo, i.tag, i.digest));

export interface ImageEntry {
  readonly repo: string;
  /** The full commit SHA the image was built from. */
  readonly tag: string;
  readonly digest: string;
  /** `repo:sha@digest`: what the server pins (imageRef). */
  readonly ref: string;
}
export type Images = Record<string, ImageEntry>;

/**
 * The one spelling of a pinned image, `repo:sha@sha256:…` (docs/design.md §2): the
 * images output, release.json, compose.berth.yml and the ledger all carry it.
 */
function imageRef(repo: string, sha: string, digest: string): string {
  return `${repo}:${sha}@${digest}`;
}

export function imageEntryOf(repo: string, sha: string, digest: string): ImageEntry {
  return { repo, tag: sha, digest, ref: imageRef(repo, sha, digest) };
}

const REF = /^(?<repo>[^@\s]+):(?<tag>[0-9a-f]{40})@(?<digest>sha256:[0-9a-f]{64})$/;

/** imageRef's inverse: the entry a ledger's ref stands for, or undefined when it is not pinned so. */
export function parseImageRef(ref: string): ImageEntry | undefined {
  const m = REF.exec(ref)?.groups;
  return m?.repo && m.tag && m.digest ? imageEntryOf(m.repo, m.tag, m.digest) : undefined;
}

/**
 * Parse the `images` input (JSON from build-push) and check it against berth.yml and
 * the SHA being deployed: every service present, same repository, tagged with this SHA.
 */
export function parseImages(json: string, config: BerthYaml, sha: string): Images {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(
      `input: images: is not JSON (${(e as Error).message}); pass build-push's images output, or leave it empty to look the digests up in the registry`,
    );
  }
  const parsed = z.record(f.serviceName, imageEntry).safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(formatIssues("input: images", parsed.error, raw));
  return checkImages(parsed.data, config, sha, "input: images");
}

/** Every service of berth.yml present, from its own repository, tagged with this SHA. */
export function checkImages(images: Images, config: BerthYaml, sha: string, source: string): Images {
  for (const [service, svc] of Object.entries(config.services)) {
    const img = images[service];
    if (!img) {
      throw new ConfigError(
        `${source}: has no entry for service "${service}"; build it with build-push (all services) or leave images empty to look it up`,
      );
    }
    if (img.repo !== svc.image) {
      throw new ConfigError(
        `${source}.${service}.repo: "${img.repo}" is not berth.yml's services.${service}.image ("${svc.image}"); pass the images of the same config`,
      );
    }
    if (img.tag !== sha) {
      throw new ConfigError(
        `${source}.${service}.tag: "${img.tag}" is not the SHA being deployed (${sha}); production promotes the exact images built for that SHA`,
      );
    }
  }
  for (const service of Object.keys(images)) {
    if (!config.services[service]) {
      throw new ConfigError(`${source}: names service "${service}", which is not in berth.yml`);
    }
  }
  return images;
}
