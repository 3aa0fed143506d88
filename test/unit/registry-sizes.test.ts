/**
 * What a pull downloads, read from registry manifests (src/build/registry.ts): the
 * deploy writes it into release.json for the server's disk check. Manifests as
 * registries serve them: a single image (docker v2 / OCI), and the index `docker buildx`
 * pushes by default — one Linux image plus its provenance attestation (platform
 * unknown/unknown, never pulled).
 */
import { describe, expect, it } from "vitest";
import { linuxImages, manifestBytes } from "../../src/build/registry.js";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe("manifestBytes", () => {
  it.each([
    [
      "docker v2 schema 2",
      {
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 1469, digest: d(1) },
        layers: [
          { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 29_124_563, digest: d(2) },
          { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 412, digest: d(3) },
        ],
      },
      1469 + 29_124_563 + 412,
    ],
    [
      "OCI, no layers beyond the base",
      {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", size: 700, digest: d(4) },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: 3_000_000, digest: d(5) }],
      },
      3_000_700,
    ],
  ])("%s: config and layers", (_, doc, bytes) => {
    expect(manifestBytes(doc)).toBe(bytes);
  });

  it.each([
    ["no layers", { config: { size: 1 } }, "the manifest lists no layers"],
    [
      "a layer without a size",
      { config: { size: 1 }, layers: [{ digest: d(1) }] },
      "layer 0 has no valid size",
    ],
    ["a negative size", { config: { size: -1 }, layers: [] }, "the config has no valid size (-1)"],
  ])("refuses %s", (_, doc, message) => {
    expect(() => manifestBytes(doc as Parameters<typeof manifestBytes>[0])).toThrow(message);
  });
});

describe("linuxImages", () => {
  it("takes an index's Linux images, not its attestations", () => {
    const index = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { digest: d(1), size: 1000, platform: { architecture: "amd64", os: "linux" } },
        { digest: d(2), size: 1000, platform: { architecture: "arm64", os: "linux", variant: "v8" } },
        {
          digest: d(3),
          size: 840,
          annotations: { "vnd.docker.reference.type": "attestation-manifest" },
          platform: { architecture: "unknown", os: "unknown" },
        },
      ],
    };
    expect(linuxImages(index)).toEqual([d(1), d(2)]);
    expect(linuxImages({ manifests: [] })).toEqual([]);
  });
});
