import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseLedger, promotableImages } from "../../src/release/ledger.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const D = `sha256:${"c".repeat(64)}`;
const line = (sha: string, result: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: "2026-11-22T10:00:00Z",
    env: "staging",
    sha,
    result,
    images: { backend: `r.example/app/backend:${sha}@${D}` },
    ...extra,
  });

describe("ledger", () => {
  it("parses lines and skips a torn last line", () => {
    const text = `${line(A, "succeeded")}\n${line(B, "failed", { phase: "migrate" })}\n{"sha":"tor`;
    expect(parseLedger(text).map((l) => [l.sha, l.result, l.phase])).toEqual([
      [A, "succeeded", undefined],
      [B, "failed", "migrate"],
    ]);
  });

  it("promotes the digests of the latest successful deploy of the SHA", () => {
    const lines = parseLedger([line(A, "failed", { phase: "ready" }), line(A, "succeeded")].join("\n"));
    expect(promotableImages(lines, A, "staging")).toEqual({
      backend: { repo: "r.example/app/backend", tag: A, digest: D, ref: `r.example/app/backend:${A}@${D}` },
    });
  });

  it("looks past rollback lines to the SHA's latest deploy", () => {
    const lines = parseLedger(
      [
        line(A, "succeeded", { kind: "deploy" }),
        line(B, "succeeded", { kind: "deploy" }),
        line(A, "rolled_back", { kind: "rollback" }),
      ].join("\n"),
    );
    expect(promotableImages(lines, A, "staging").backend?.digest).toBe(D);
  });

  it.each([
    [[line(B, "succeeded")], `promote: ${A} was never deployed to staging`],
    [[line(A, "rolled_back", { kind: "rollback" })], `promote: ${A} was never deployed to staging`],
    [[line(A, "succeeded"), line(A, "failed", { phase: "migrate" })], "the latest staging deploy of"],
    [
      [line(A, "succeeded", { images: { backend: "r.example/app/backend:latest" } })],
      "unpinned image for backend",
    ],
  ])("refuses %#", (lines, expected) => {
    expect(() => promotableImages(parseLedger(lines.join("\n")), A, "staging")).toThrow(ConfigError);
    expect(() => promotableImages(parseLedger(lines.join("\n")), A, "staging")).toThrow(expected);
  });
});
