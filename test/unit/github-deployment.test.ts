/**
 * Contract test of the GitHub Deployments requests berth makes (github.com cannot
 * exist here): Octokit (through @actions/github) is handed a `fetch` that records each
 * request; we assert method, URL, headers and body as documented in
 * https://docs.github.com/en/rest/deployments, the GHES base URL, and the retries.
 * Then deploy and rollback with a fake, as they are built to take one.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type GitHubDeployments, octokitDeployments } from "../../src/deploy/github-deployment.js";
import { rollback } from "../../src/deploy/rollback.js";
import type { Server } from "../../src/deploy/server-session.js";
import type { Reporter } from "../../src/reporter.js";
import type { Transport } from "../../src/transport/transport.js";

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  version: string | null;
  accept: string | null;
  body: unknown;
}

/** A fetch that records the request and answers from `answers` in turn (last one repeats). */
function recorder(answers: { status: number; body: unknown }[]) {
  const seen: Seen[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = await request.text();
    seen.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("authorization"),
      version: request.headers.get("x-github-api-version"),
      accept: request.headers.get("accept"),
      body: text ? JSON.parse(text) : undefined,
    });
    const a = answers[Math.min(seen.length - 1, answers.length - 1)] ?? { status: 500, body: {} };
    return new Response(JSON.stringify(a.body), {
      status: a.status,
      headers: { "content-type": "application/json" },
    });
  };
  return { seen, fetch };
}

const SHA = "0123456789abcdef0123456789abcdef01234567";
const saved = process.env.GITHUB_API_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.GITHUB_API_URL;
  else process.env.GITHUB_API_URL = saved;
});

describe("GitHub Deployments through Octokit", () => {
  it("creates a deployment for the SHA, then posts statuses with the environment URL", async () => {
    const r = recorder([
      { status: 201, body: { id: 42 } },
      { status: 201, body: { id: 7 } },
    ]);
    const gh = octokitDeployments(
      { apiUrl: "https://ghe.example.com/api/v3", repository: "acme/shop", token: "t0ken" },
      { fetch: r.fetch },
    );
    const id = await gh.create(SHA, "production", "berth deploy 0123456789ab");
    await gh.status(id, "success", { environmentUrl: "https://shop.example.com", logUrl: "https://x/run/1" });
    expect(id).toBe(42);
    expect(r.seen).toEqual([
      {
        method: "POST",
        url: "https://ghe.example.com/api/v3/repos/acme/shop/deployments",
        authorization: "token t0ken",
        version: "2022-11-28",
        accept: "application/vnd.github.v3+json",
        body: {
          ref: SHA,
          environment: "production",
          description: "berth deploy 0123456789ab",
          auto_merge: false,
          required_contexts: [],
          production_environment: true,
        },
      },
      {
        method: "POST",
        url: "https://ghe.example.com/api/v3/repos/acme/shop/deployments/42/statuses",
        authorization: "token t0ken",
        version: "2022-11-28",
        accept: "application/vnd.github.v3+json",
        body: {
          state: "success",
          environment_url: "https://shop.example.com",
          log_url: "https://x/run/1",
          auto_inactive: true,
        },
      },
    ]);
  });

  it("uses the runner's GITHUB_API_URL when no URL is given (GitHub Enterprise Server)", async () => {
    process.env.GITHUB_API_URL = "https://ghes.internal/api/v3";
    const r = recorder([{ status: 201, body: { id: 1 } }]);
    await octokitDeployments({ repository: "acme/shop", token: "t" }, { fetch: r.fetch }).create(
      SHA,
      "staging",
      "x",
    );
    expect(r.seen[0]?.url).toBe("https://ghes.internal/api/v3/repos/acme/shop/deployments");
    expect(r.seen[0]?.body).toMatchObject({ environment: "staging", production_environment: false });
  });

  it("retries a 5xx and a 429, then succeeds", async () => {
    const r = recorder([
      { status: 502, body: { message: "bad gateway" } },
      { status: 429, body: { message: "slow down" } },
      { status: 201, body: { id: 9 } },
    ]);
    const gh = octokitDeployments(
      { apiUrl: "https://api.example", repository: "acme/shop", token: "t" },
      { fetch: r.fetch, retryAfterSeconds: 0 },
    );
    expect(await gh.create(SHA, "staging", "x")).toBe(9);
    expect(r.seen).toHaveLength(3);
  });

  it("does not retry a 403, and reports it with its status", async () => {
    const r = recorder([{ status: 403, body: { message: "Resource not accessible by integration" } }]);
    const gh = octokitDeployments(
      { apiUrl: "https://api.example", repository: "acme/shop", token: "t" },
      { fetch: r.fetch, retryAfterSeconds: 0 },
    );
    await expect(gh.create(SHA, "staging", "x")).rejects.toMatchObject({ status: 403 });
    expect(r.seen).toHaveLength(1);
  });

  it("rejects (never throws on construction) for a GITHUB_REPOSITORY that is not owner/name", async () => {
    const r = recorder([{ status: 201, body: { id: 1 } }]);
    const gh = octokitDeployments({ repository: "nope", token: "t" }, { fetch: r.fetch });
    await expect(gh.create(SHA, "staging", "x")).rejects.toThrow("is not owner/name");
    expect(r.seen).toHaveLength(0);
  });
});

describe("rollback records a GitHub deployment of the release it put back", () => {
  const TO = "b".repeat(40);
  const FROM = "c".repeat(40);
  const quiet: Reporter = {
    info: () => {},
    warning: () => {},
    startGroup: () => {},
    endGroup: () => {},
    remote: () => {},
    remoteEnd: () => {},
  };
  /** A server whose `berth run` starts and whose `follow` streams a result marker and exits. */
  const serverEnding = (exitCode: number, result: Record<string, unknown>): Server => {
    const transport: Transport = {
      async exec(command, options) {
        if (command.argv[1] === "follow") {
          options?.onStdout?.(Buffer.from(`@@berth ${JSON.stringify({ event: "result", ...result })}\n`));
          return { exitCode, stdout: "", stderr: "" };
        }
        return { exitCode: 0, stdout: "", stderr: "" };
      },
      close() {},
    };
    return { root: "/opt/app", environment: "production", connect: async () => transport };
  };
  const fake = () => {
    const calls: unknown[][] = [];
    const github: GitHubDeployments = {
      async create(...a) {
        calls.push(["create", ...a]);
        return 5;
      },
      async status(...a) {
        calls.push(["status", ...a]);
      },
    };
    return { calls, github };
  };
  const request = {
    environment: "production",
    sha: undefined,
    database: undefined,
    repos: [],
    credentials: undefined,
    runId: "1-1-abc",
    actor: "octocat",
    runUrl: "https://github.com/acme/shop/actions/runs/1",
    environmentUrl: "https://shop.example.com",
  };

  it("creates it for the SHA the server put back, with the run and the environment URL", async () => {
    const { calls, github } = fake();
    const server = serverEnding(0, { sha: TO, from: FROM, result: "rolled_back" });
    const report = await rollback(request, { server, reporter: quiet, github, now: Date.now });
    expect(report.sha).toBe(TO);
    expect(calls).toEqual([
      ["create", TO, "production", `berth rollback to ${TO.slice(0, 12)} from ${FROM.slice(0, 12)}`],
      [
        "status",
        5,
        "success",
        {
          environmentUrl: "https://shop.example.com",
          logUrl: "https://github.com/acme/shop/actions/runs/1",
          description: "berth rollback: rolled_back",
        },
      ],
    ]);
  });

  it("records a failed rollback as a failure of the release it tried, and nothing when none is known", async () => {
    const failed = fake();
    await rollback(
      { ...request, sha: TO },
      {
        server: serverEnding(3, { result: "failed" }),
        reporter: quiet,
        github: failed.github,
        now: Date.now,
      },
    );
    expect(failed.calls.map((c) => [c[0], c[1], c[2]])).toEqual([
      ["create", TO, "production"],
      ["status", 5, "failure"],
    ]);
    const refused = fake();
    await rollback(request, {
      server: serverEnding(2, { result: "refused" }),
      reporter: quiet,
      github: refused.github,
      now: Date.now,
    });
    expect(refused.calls).toEqual([]);
  });

  it("never lets GitHub decide the outcome", async () => {
    const warnings: string[] = [];
    const github: GitHubDeployments = {
      create: async () => {
        throw new Error("HTTP 403");
      },
      status: async () => {},
    };
    const report = await rollback(request, {
      server: serverEnding(0, { sha: TO, result: "rolled_back" }),
      reporter: { ...quiet, warning: (m) => warnings.push(m) },
      github,
      now: Date.now,
    });
    expect(report.exitCode).toBe(0);
    expect(warnings).toEqual([
      "GitHub deployment: HTTP 403 (continuing; the rollback does not depend on it)",
    ]);
  });
});
