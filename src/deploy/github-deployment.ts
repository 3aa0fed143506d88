/**
 * Optional GitHub Deployment + statuses, so the environment page shows what runs
 * where. REST: POST /repos/{owner}/{repo}/deployments and …/deployments/{id}/statuses
 * (https://docs.github.com/en/rest/deployments). Failures here never fail a deploy.
 */

export interface DeploymentTarget {
  readonly apiUrl: string;
  readonly repository: string;
  readonly token: string;
}

export type DeploymentState = "in_progress" | "success" | "failure" | "error";

export class GitHubDeployments {
  constructor(
    private readonly target: DeploymentTarget,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  private async post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const res = await this.fetchImpl(`${this.target.apiUrl}/repos/${this.target.repository}${path}`, {
      method: "POST",
      headers: {
        Accept: "application/vnd.github+json",
        Authorization: `Bearer ${this.target.token}`,
        "X-GitHub-Api-Version": "2022-11-28",
        "Content-Type": "application/json",
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`GitHub API ${path} answered HTTP ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  async create(sha: string, environment: string, description: string): Promise<number> {
    const d = await this.post("/deployments", {
      ref: sha,
      environment,
      description,
      auto_merge: false,
      required_contexts: [],
      production_environment: environment === "production",
    });
    if (typeof d.id !== "number") throw new Error("GitHub API /deployments returned no id");
    return d.id;
  }

  async status(
    id: number,
    state: DeploymentState,
    options: { environmentUrl?: string; logUrl?: string; description?: string },
  ) {
    await this.post(`/deployments/${id}/statuses`, {
      state,
      ...(options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
      ...(options.logUrl ? { log_url: options.logUrl } : {}),
      ...(options.description ? { description: options.description.slice(0, 140) } : {}),
      auto_inactive: state === "success",
    });
  }
}
