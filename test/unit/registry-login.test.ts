/**
 * build-push logs the runner's docker in, deploy and rollback log the server's run in:
 * both to the same servers (Docker Hub as docker.io, each registry once), the password
 * on stdin only.
 */
import { describe, expect, it } from "vitest";
import { login } from "../../src/build/build-push.js";
import type { Docker } from "../../src/build/docker.js";
import { loginRegistry } from "../../src/deploy/server-session.js";
import type { ExecOptions, Transport } from "../../src/transport/transport.js";

const repos = ["acme/api", "registry-1.docker.io/acme/web", "ghcr.io/acme/shop", "ghcr.io/acme/worker"];
const credentials = { username: "octocat", password: "s3cret-token" };

describe("registry login", () => {
  it("on the runner: docker login to each registry once, the password on stdin", async () => {
    const calls: { args: readonly string[]; input: string | undefined }[] = [];
    const docker: Docker = {
      run: async (args, options) => {
        calls.push({ args, input: options?.input });
        return { exitCode: 0, stdout: "", stderr: "" };
      },
    };
    await login(docker, repos, credentials);
    expect(calls).toEqual([
      { args: ["login", "docker.io", "--username", "octocat", "--password-stdin"], input: "s3cret-token" },
      { args: ["login", "ghcr.io", "--username", "octocat", "--password-stdin"], input: "s3cret-token" },
    ]);
  });

  it("on the server: the same registries, into the run's own docker config, the password on stdin", async () => {
    const calls: { argv: readonly string[]; stdin: ExecOptions["stdin"] }[] = [];
    const transport: Transport = {
      exec: async (command, options) => {
        calls.push({ argv: command.argv, stdin: options?.stdin });
        return { exitCode: 0, stdout: "", stderr: "" };
      },
      close: () => {},
    };
    const server = { root: "/opt/shop", environment: "staging", connect: async () => transport };
    await loginRegistry(transport, server, "run-1", repos, credentials);
    const dir = "/opt/shop/staging/.registry-auth/run-1";
    expect(calls.map((c) => [c.argv.slice(3), c.stdin])).toEqual([
      [["berth-login", dir, "docker.io", "octocat"], "s3cret-token"],
      [["berth-login", dir, "ghcr.io", "octocat"], "s3cret-token"],
    ]);
    expect(calls.every((c) => !c.argv.includes("s3cret-token"))).toBe(true);
  });
});
