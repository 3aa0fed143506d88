/**
 * Optional GitHub Deployment + statuses, so the environment page shows what runs
 * where. REST: POST /repos/{owner}/{repo}/deployments and …/deployments/{id}/statuses
 * (https://docs.github.com/en/rest/deployments). Failures here never fail a deploy.
 *
 * The requests go through `@actions/github`'s Octokit: the API URL of the runner's
 * GitHub (GITHUB_API_URL, so GitHub Enterprise Server works), the runner's proxy
 * settings (https_proxy/no_proxy, through @actions/http-client), and retries of 5xx,
 * 429 and network errors (@octokit/plugin-retry). deploy and rollback depend only on
 * the `GitHubDeployments` interface, so tests hand in a fake.
 */
import { getOctokit } from "@actions/github";
import { defaults } from "@actions/github/lib/utils";
import { retry } from "@octokit/plugin-retry";

export type DeploymentState = "in_progress" | "success" | "failure" | "error";

export interface GitHubDeployments {
  /** Creates a deployment of `sha` to `environment`; resolves with its id. */
  create(sha: string, environment: string, description: string): Promise<number>;
  status(
    id: number,
    state: DeploymentState,
    options: { environmentUrl?: string; logUrl?: string; description?: string },
  ): Promise<void>;
}

export interface DeploymentTarget {
  /** owner/name. */
  readonly repository: string;
  readonly token: string;
  /** Default: the runner's GITHUB_API_URL, else https://api.github.com. */
  readonly apiUrl?: string;
}

export interface OctokitOptions {
  /** Replaces the HTTP layer (tests record the requests); default: the runner's proxy-aware fetch. */
  readonly fetch?: typeof fetch;
  /** Seconds before the first retry; later ones wait 4×, 9× as long (default 1). */
  readonly retryAfterSeconds?: number;
}

/** Each request's bound: a hung API must not hold the deploy's last step. */
const REQUEST_TIMEOUT_MS = 30_000;

// The REST API version these requests are written against.
const API_VERSION = { "x-github-api-version": "2022-11-28" };

export function octokitDeployments(
  target: DeploymentTarget,
  options: OctokitOptions = {},
): GitHubDeployments {
  const [owner = "", repo = "", ...rest] = target.repository.split("/");
  // Thrown by the calls, not here: bookkeeping never stops a deploy (the callers catch).
  const bad = !owner || !repo || rest.length > 0;
  const repository = () => {
    if (bad) throw new Error(`GITHUB_REPOSITORY: "${target.repository}" is not owner/name`);
    return { owner, repo };
  };
  const base = options.fetch ?? (defaults.request?.fetch as typeof fetch | undefined) ?? fetch;
  const timed: typeof fetch = (url, init) =>
    base(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const octokit = getOctokit(
    target.token,
    {
      baseUrl: target.apiUrl ?? process.env.GITHUB_API_URL ?? "https://api.github.com",
      // Replaces @actions/github's default request options, so the proxy agent goes too:
      // `timed` wraps the same proxy-aware fetch.
      request: { ...defaults.request, fetch: timed },
      retry: { retryAfterBaseValue: (options.retryAfterSeconds ?? 1) * 1000 },
    },
    retry,
  );

  return {
    async create(sha, environment, description) {
      const { data } = await octokit.rest.repos.createDeployment({
        ...repository(),
        ref: sha,
        environment,
        description,
        auto_merge: false,
        required_contexts: [],
        production_environment: environment === "production",
        headers: API_VERSION,
      });
      // 202 (a merge message) has no id; berth never asks for a merge (auto_merge false).
      if (!("id" in data) || typeof data.id !== "number") {
        throw new Error("GitHub API /deployments returned no id");
      }
      return data.id;
    },
    async status(id, state, o) {
      await octokit.rest.repos.createDeploymentStatus({
        ...repository(),
        deployment_id: id,
        state,
        ...(o.environmentUrl ? { environment_url: o.environmentUrl } : {}),
        ...(o.logUrl ? { log_url: o.logUrl } : {}),
        ...(o.description ? { description: o.description.slice(0, 140) } : {}),
        auto_inactive: state === "success",
        headers: API_VERSION,
      });
    },
  };
}
