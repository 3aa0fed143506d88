/**
 * Compose services that keep data berth does not back up: database and other stateful
 * servers, known by their image's name or by the directory their image keeps its
 * data in. berth backs up SQLite files only (docs/design.md §2). Pure.
 */
import type { Mount } from "./compose-mounts.js";
import type { ComposeModel, ComposeService } from "./compose-types.js";

interface Kind {
  readonly name: string;
  /** Matches the image's last path component without tag (postgres, bitnami/postgresql → postgresql). */
  readonly image: RegExp;
  /** Where the image keeps its data: a mount there holds it. */
  readonly dataDirs: readonly string[];
  /** Only with a mount is it a store (Redis without a volume is a cache). */
  readonly needsMount: boolean;
}

const KINDS: readonly Kind[] = [
  {
    name: "PostgreSQL",
    image: /^(?:postgres|postgresql|postgis|timescaledb(?:-ha)?|pgvector|supabase-postgres)$/,
    dataDirs: [
      "/var/lib/postgresql/data",
      "/var/lib/postgresql",
      "/bitnami/postgresql",
      "/home/postgres/pgdata",
    ],
    needsMount: false,
  },
  {
    name: "MySQL",
    image: /^(?:mysql|percona(?:-server)?)$/,
    dataDirs: ["/var/lib/mysql", "/bitnami/mysql"],
    needsMount: false,
  },
  {
    name: "MariaDB",
    image: /^mariadb$/,
    dataDirs: ["/var/lib/mysql", "/bitnami/mariadb"],
    needsMount: false,
  },
  {
    name: "MongoDB",
    image: /^(?:mongo|mongodb(?:-community-server)?)$/,
    dataDirs: ["/data/db", "/bitnami/mongodb"],
    needsMount: false,
  },
  {
    name: "Redis",
    image: /^(?:redis|redis-stack(?:-server)?|valkey|keydb)$/,
    dataDirs: ["/data", "/bitnami/redis"],
    needsMount: true,
  },
  {
    name: "Elasticsearch",
    image: /^(?:elasticsearch|opensearch)$/,
    dataDirs: ["/usr/share/elasticsearch/data", "/usr/share/opensearch/data"],
    needsMount: false,
  },
  { name: "ClickHouse", image: /^clickhouse-server$/, dataDirs: ["/var/lib/clickhouse"], needsMount: false },
  { name: "CouchDB", image: /^couchdb$/, dataDirs: ["/opt/couchdb/data"], needsMount: false },
  {
    name: "InfluxDB",
    image: /^influxdb$/,
    dataDirs: ["/var/lib/influxdb", "/var/lib/influxdb2"],
    needsMount: false,
  },
  { name: "Neo4j", image: /^neo4j$/, dataDirs: ["/data"], needsMount: false },
  { name: "RabbitMQ", image: /^rabbitmq$/, dataDirs: ["/var/lib/rabbitmq"], needsMount: true },
  { name: "MinIO", image: /^minio$/, dataDirs: ["/data"], needsMount: true },
];

export interface StatefulService {
  readonly service: string;
  /** PostgreSQL, MySQL, … */
  readonly kind: string;
  readonly image: string | undefined;
  /** The mount holding its data, if one does. */
  readonly mount: Mount | undefined;
}

/** The image's last path component without tag or digest: docker.io/bitnami/postgresql:16 → postgresql. */
function imageName(image: string): string {
  const noDigest = image.replace(/@.*$/, "");
  const last = noDigest.split("/").pop() ?? "";
  return last.replace(/:.*$/, "").toLowerCase();
}

const persistent = (m: Mount) => m.type === "bind" || m.type === "volume";

function kindOf(svc: ComposeService): { kind: Kind; mount: Mount | undefined } | undefined {
  const name = svc.image === undefined || svc.image.includes("$") ? undefined : imageName(svc.image);
  const mountOf = (kind: Kind) => svc.volumes.find((m) => persistent(m) && kind.dataDirs.includes(m.target));
  // By the image's name first: a MariaDB keeps its data where MySQL does.
  for (const kind of KINDS) {
    const mount = mountOf(kind);
    if (name !== undefined && kind.image.test(name) && (mount !== undefined || !kind.needsMount))
      return { kind, mount };
  }
  // Else by a data directory specific to one kind (not /data), never for the app's own build.
  if (svc.build) return undefined;
  for (const kind of KINDS) {
    const mount = mountOf(kind);
    if (mount !== undefined && mount.target !== "/data") return { kind, mount };
  }
  return undefined;
}

/** Services of the compose file that run a stateful server, in file order. */
export function statefulServices(model: ComposeModel): StatefulService[] {
  return Object.values(model.services).flatMap((svc) => {
    const k = kindOf(svc);
    return k ? [{ service: svc.name, kind: k.kind.name, image: svc.image, mount: k.mount }] : [];
  });
}

/** What berth does not do for it: printed by init and check. */
export const UNMANAGED_CONSEQUENCE =
  "berth backs up SQLite files only: no backup before a deploy, no restore on rollback, and migrations run against it without a safety copy";
