import { describe, expect, it } from "vitest";
import { schema, specs } from "../../src/actions/build-push/inputs.js";
import { readInputs } from "../../src/actions/common/inputs.js";
import { ConfigError } from "../../src/config/errors.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

function read(inputs: Record<string, string>) {
  const secrets: string[] = [];
  const value = readInputs(specs, schema, {
    getInput: (n) => inputs[n] ?? "",
    setSecret: (s) => secrets.push(s),
  });
  return { value, secrets };
}

describe("build-push inputs", () => {
  it("reads lists, build args and defaults", () => {
    const { value } = read({
      sha: SHA,
      services: "backend, frontend",
      "extra-tags": "latest\nstaging",
      "build-args": "GIT_SHA=abc\nNODE_ENV=production",
    });
    expect(value).toEqual({
      config: "berth.yml",
      sha: SHA,
      services: ["backend", "frontend"],
      "extra-tags": ["latest", "staging"],
      "build-args": { GIT_SHA: "abc", NODE_ENV: "production" },
    });
  });

  it("masks the registry password before validating anything", () => {
    const { secrets } = read({ sha: SHA, "registry-username": "u", "registry-password": "s3cret-pw" });
    expect(secrets).toContain("s3cret-pw");
  });

  it.each(["renovate[bot]", "dependabot[bot]", "octo-cat", "ci@example.com"])(
    "takes %s as the registry user (a bot is the actor of an auto-merged pull request)",
    (user) => {
      expect(() => read({ sha: SHA, "registry-username": user, "registry-password": "pw" })).not.toThrow();
    },
  );

  it.each([
    [
      { sha: SHA, "registry-username": "x[y]", "registry-password": "pw" },
      'input: registry-username: "x[y]"',
    ],
    [
      { sha: SHA, "registry-username": "[bot]", "registry-password": "pw" },
      'input: registry-username: "[bot]"',
    ],
    [{ sha: "abc123" }, 'input: sha: "abc123" is not a full 40-character lowercase hex git commit SHA'],
    [{ sha: SHA.toUpperCase() }, "input: sha:"],
    [{ sha: `${SHA}\n` }, "input: sha:"],
    [
      { sha: SHA, services: "backend;rm -rf /" },
      'input: services.0: "backend;rm -rf /" is not a service name',
    ],
    [{ sha: SHA, services: "../x" }, 'input: services.0: "../x" is not a service name'],
    [{ sha: SHA, "extra-tags": "latest $(id)" }, 'input: extra-tags.0: "latest $(id)" is not a docker tag'],
    [{ sha: SHA, "extra-tags": SHA }, "looks like a commit SHA"],
    [{ sha: SHA, "build-args": "A=x\u202ey" }, 'input: build-args.A: "x\u202ey" is not a build-arg value'],
    [{ sha: SHA, "build-args": "A B=1" }, 'input: build-args: "A B" is not a build-arg name'],
    [{ sha: SHA, "build-args": "novalue" }, 'input: build-args.0: "novalue" must be KEY=VALUE'],
    [{ sha: SHA, config: "../../etc/passwd" }, 'input: config: "../../etc/passwd" is not a relative path'],
    [{ sha: SHA, "registry-username": "u" }, "registry-username and registry-password go together"],
  ])("refuses %j: %s", (inputs, expected) => {
    expect(() => read(inputs)).toThrow(ConfigError);
    expect(() => read(inputs)).toThrow(expected);
  });

  it("never shows a secret in an error", () => {
    expect(() => read({ sha: "bad", "registry-password": "hunter2-secret" })).toThrow(ConfigError);
    try {
      read({ sha: "bad", "registry-password": "hunter2-secret" });
    } catch (e) {
      expect((e as Error).message).not.toContain("hunter2");
    }
  });
});

describe("cross-field errors", () => {
  it("never print the inputs object (it holds the password)", () => {
    expect(() => read({ sha: SHA, "registry-password": "hunter2-secret" })).toThrow(
      "input: registry-username: registry-username and registry-password go together",
    );
    try {
      read({ sha: SHA, "registry-password": "hunter2-secret" });
    } catch (e) {
      expect((e as Error).message).not.toContain("hunter2");
    }
  });
});
