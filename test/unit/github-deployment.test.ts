/**
 * Contract test of the GitHub Deployments requests berth makes (github.com cannot
 * exist here): a local HTTP server records them; we assert method, path, headers, body.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubDeployments } from "../../src/deploy/github-deployment.js";

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  version: string | undefined;
  body: Record<string, unknown>;
}
const seen: Seen[] = [];
const server = createServer((req, res) => {
  let data = "";
  req.on("data", (d) => {
    data += d;
  });
  req.on("end", () => {
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      auth: req.headers.authorization,
      version: req.headers["x-github-api-version"] as string | undefined,
      body: JSON.parse(data),
    });
    res.writeHead(201, { "content-type": "application/json" });
    res.end(req.url?.endsWith("/deployments") ? '{"id": 42}' : '{"id": 7}');
  });
});
let api = "";

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("GitHub Deployments", () => {
  it("creates a deployment for the SHA, then posts statuses with the environment URL", async () => {
    const gh = new GitHubDeployments({ apiUrl: api, repository: "acme/shop", token: "t0ken" });
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const id = await gh.create(sha, "production", "berth deploy 0123456789ab");
    await gh.status(id, "success", { environmentUrl: "https://shop.example.com", logUrl: "https://x/run/1" });
    expect(id).toBe(42);
    expect(seen).toEqual([
      {
        method: "POST",
        url: "/repos/acme/shop/deployments",
        auth: "Bearer t0ken",
        version: "2022-11-28",
        body: {
          ref: sha,
          environment: "production",
          description: "berth deploy 0123456789ab",
          auto_merge: false,
          required_contexts: [],
          production_environment: true,
        },
      },
      {
        method: "POST",
        url: "/repos/acme/shop/deployments/42/statuses",
        auth: "Bearer t0ken",
        version: "2022-11-28",
        body: {
          state: "success",
          environment_url: "https://shop.example.com",
          log_url: "https://x/run/1",
          auto_inactive: true,
        },
      },
    ]);
  });

  it("reports an HTTP error with its status", async () => {
    const gh = new GitHubDeployments(
      { apiUrl: `${api}/nope`, repository: "acme/shop", token: "t" },
      async () => new Response("{}", { status: 403 }),
    );
    await expect(gh.create("a".repeat(40), "staging", "x")).rejects.toThrow("HTTP 403");
  });
});
