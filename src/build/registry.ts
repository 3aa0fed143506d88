/**
 * A minimal Docker Registry HTTP API V2 client: enough to ask "does this tag exist,
 * and what is its manifest digest?" against any v2 registry (GHCR, Docker Hub,
 * distribution with htpasswd). Token auth follows the distribution spec: on a 401
 * with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, fetch a token with
 * basic credentials and retry. Source: https://distribution.github.io/distribution/spec/api/
 * and https://distribution.github.io/distribution/spec/auth/token/
 */

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Registry {
  /** The manifest digest of repo:tag, or null when the tag does not exist. */
  digestOf(repo: string, tag: string): Promise<string | null>;
  /**
   * The compressed bytes a server downloads to pull repo@digest (config and layers, from
   * the manifest; for an index, its largest Linux image): the deploy's disk check counts it.
   */
  pullBytes?(repo: string, digest: string): Promise<number>;
}

interface Descriptor {
  readonly digest?: unknown;
  readonly size?: unknown;
  readonly platform?: { readonly os?: unknown; readonly architecture?: unknown };
}

const bytesOf = (d: Descriptor | undefined, what: string): number => {
  if (typeof d?.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0)
    throw new Error(`${what} has no valid size (${JSON.stringify(d?.size)})`);
  return d.size;
};

/** An image manifest's compressed bytes: its config blob and every layer. */
export function manifestBytes(doc: { config?: Descriptor; layers?: unknown }): number {
  if (!Array.isArray(doc.layers)) throw new Error("the manifest lists no layers");
  return (
    bytesOf(doc.config, "the config") +
    doc.layers.reduce((n: number, l, i) => n + bytesOf(l, `layer ${i}`), 0)
  );
}

/**
 * An index's images a Linux server may pull: its Linux entries (build attestations are
 * listed with platform unknown/unknown and are never pulled).
 */
export function linuxImages(doc: { manifests?: unknown }): string[] {
  const entries = (Array.isArray(doc.manifests) ? doc.manifests : []) as Descriptor[];
  return entries
    .filter((m) => m.platform?.os === "linux" && typeof m.digest === "string")
    .map((m) => m.digest as string);
}

/** Accept every manifest type a push can produce, so HEAD returns the pushed digest. */
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Split a repository into registry host and name, with docker's defaults for Docker Hub. */
export function splitRepo(repo: string): { host: string; name: string } {
  const slash = repo.indexOf("/");
  const first = slash === -1 ? "" : repo.slice(0, slash);
  if (slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!DOCKER_HUB_ALIASES.includes(first)) return { host: first, name: repo.slice(slash + 1) };
    const rest = repo.slice(slash + 1);
    return { host: DOCKER_HUB, name: rest.includes("/") ? rest : `library/${rest}` };
  }
  const name = repo.includes("/") ? repo : `library/${repo}`;
  return { host: DOCKER_HUB, name };
}

/** Docker Hub's API host, and the names users write for it (docker.io/acme/api). */
const DOCKER_HUB = "registry-1.docker.io";
const DOCKER_HUB_ALIASES = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/**
 * The servers `docker login` takes for the repositories' registries, each once. Docker
 * Hub, however the repository spells it (acme/api, docker.io/…, index.docker.io/…,
 * registry-1.docker.io/…), is `docker.io`: docker stores that login under
 * https://index.docker.io/v1/, the key its pulls from Docker Hub read, as it does a
 * login with no server; a login to registry-1.docker.io would be stored under that name,
 * which no pull reads (docker/cli, cli/command/registry/login.go: runLogin).
 */
export function loginServers(repos: readonly string[]): string[] {
  const servers = repos.map((r) => {
    const { host } = splitRepo(r);
    return host === DOCKER_HUB ? "docker.io" : host;
  });
  return [...new Set(servers)];
}

/**
 * The name docker prints for a repository (`docker image inspect`'s RepoDigests):
 * Docker Hub repositories lose their host and `library/` (docker.io/library/nginx → nginx).
 */
export function familiarRepo(repo: string): string {
  const { host, name } = splitRepo(repo);
  if (host !== DOCKER_HUB) return repo;
  return name.startsWith("library/") ? name.slice("library/".length) : name;
}

/** docker itself speaks plain HTTP only to loopback registries by default. */
function registryBaseUrl(host: string): string {
  const hostname = host.replace(/:[0-9]+$/, "");
  const loopback = hostname === "localhost" || /^127\./.test(hostname) || hostname === "[::1]";
  return `${loopback ? "http" : "https"}://${host}`;
}

export class HttpRegistry implements Registry {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly credentials: Credentials | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async digestOf(repo: string, tag: string): Promise<string | null> {
    const { host, name } = splitRepo(repo);
    const url = `${registryBaseUrl(host)}/v2/${name}/manifests/${encodeURIComponent(tag)}`;
    const res = await this.request(url, host, name);
    if (res.status === 404) return null;
    if (!res.ok) {
      throw new Error(
        `registry ${host}: HEAD ${name}:${tag} answered HTTP ${res.status}; check the registry credentials and that the repository exists`,
      );
    }
    const digest = res.headers.get("docker-content-digest");
    if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new Error(
        `registry ${host}: no valid Docker-Content-Digest for ${name}:${tag} (got ${JSON.stringify(digest)})`,
      );
    }
    return digest;
  }

  async pullBytes(repo: string, digest: string): Promise<number> {
    const doc = await this.manifest(repo, digest);
    if (!Array.isArray(doc.manifests)) return manifestBytes(doc);
    const images = linuxImages(doc);
    if (images.length === 0) throw new Error(`${repo}@${digest} is an index with no Linux image`);
    const sizes = await Promise.all(images.map(async (d) => manifestBytes(await this.manifest(repo, d))));
    return Math.max(...sizes);
  }

  private async manifest(repo: string, digest: string): Promise<{ manifests?: unknown; layers?: unknown }> {
    const { host, name } = splitRepo(repo);
    const url = `${registryBaseUrl(host)}/v2/${name}/manifests/${encodeURIComponent(digest)}`;
    const res = await this.request(url, host, name, "GET");
    if (!res.ok) throw new Error(`registry ${host}: GET ${name}@${digest} answered HTTP ${res.status}`);
    return (await res.json()) as { manifests?: unknown; layers?: unknown };
  }

  private async request(url: string, host: string, name: string, method = "HEAD"): Promise<Response> {
    const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
    const cached = this.tokens.get(`${host}/${name}`);
    if (cached) headers.Authorization = cached;
    let res = await this.fetchImpl(url, { method, headers, signal: AbortSignal.timeout(30_000) });
    if (res.status !== 401) return res;
    const auth = await this.authorize(res.headers.get("www-authenticate") ?? "", host);
    if (!auth) return res;
    this.tokens.set(`${host}/${name}`, auth);
    res = await this.fetchImpl(url, {
      method,
      headers: { ...headers, Authorization: auth },
      signal: AbortSignal.timeout(30_000),
    });
    return res;
  }

  private async authorize(challenge: string, host: string): Promise<string | null> {
    const basic = this.credentials
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64")}`
      : undefined;
    if (/^basic/i.test(challenge)) return basic ?? null;
    if (!/^bearer/i.test(challenge)) return null;
    const params: Record<string, string | undefined> = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (!params.realm) return null;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set("service", params.service);
    if (params.scope) tokenUrl.searchParams.set("scope", params.scope);
    const res = await this.fetchImpl(tokenUrl, {
      headers: basic ? { Authorization: basic } : {},
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) {
      throw new Error(
        `registry ${host}: token request answered HTTP ${res.status}; check registry-username/registry-password`,
      );
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : null;
  }
}
