/**
 * The lab itself is real: the VPS's sshd accepts only its pinned host key, the deploy
 * user reaches Docker, the registry checks passwords, and nginx serves each
 * environment's maintenance page from the flag file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { labEnv, repoRoot, tempDir } from "../helpers/lab.js";

const lab = labEnv();

function ssh(knownHosts: string, argv: string[]) {
  const file = join(tempDir("berth-known-hosts-"), "known_hosts");
  writeFileSync(file, `${knownHosts}\n`);
  return spawnSync(
    "ssh",
    [
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${file}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "-i",
      lab.ssh.privateKeyPath,
      "-p",
      String(lab.ssh.port),
      `${lab.ssh.user}@${lab.ssh.host}`,
      ...argv,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
}

function dockerLogin(password: string) {
  return spawnSync(
    "docker",
    ["login", lab.registry.host, "--username", lab.registry.username, "--password-stdin"],
    {
      input: password,
      encoding: "utf8",
      env: { ...process.env, DOCKER_CONFIG: tempDir("berth-docker-config-") },
    },
  );
}

describe("the lab", () => {
  it("lets the deploy user run docker over SSH with the host key pinned", () => {
    const r = ssh(lab.ssh.knownHosts, ["docker", "ps", "--format", "{{.ID}}"]);
    expect(r.stderr).not.toContain("Host key verification failed");
    expect(r.status).toBe(0);
    expect(ssh(lab.ssh.knownHosts, ["id", "-un"]).stdout.trim()).toBe("deploy");
  });

  it("refuses the connection when known_hosts holds another key", () => {
    const other = tempDir("berth-other-key-");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(other, "key")]);
    const pub = execFileSync("cat", [join(other, "key.pub")], { encoding: "utf8" }).split(" ");
    const r = ssh(`[${lab.ssh.host}]:${lab.ssh.port} ${pub[0]} ${pub[1]}`, ["docker", "ps"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it("the registry accepts its credentials and refuses a wrong password", () => {
    const good = dockerLogin(lab.registry.password);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain("Login Succeeded");
    const bad = dockerLogin(`${lab.registry.password}-wrong`);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/unauthorized|401/i);
  });

  it("nginx answers 503 with Retry-After while an environment's maintenance flag is set", async () => {
    const flagDir = join(lab.vps.root, "production", "maintenance");
    execFileSync("install", ["-d", "-o", "deploy", "-g", "deploy", flagDir]);
    const flag = join(flagDir, "MAINTENANCE_ON");
    writeFileSync(flag, "{}\n");
    try {
      const on = await fetch(`${lab.nginx.production}/`);
      expect(on.status).toBe(503);
      expect(on.headers.get("retry-after")).toMatch(/^[0-9]+$/);
      // The checkout's page, as `lab up` installed it for nginx (run it again after an edit).
      expect(await on.text()).toBe(readFileSync(join(repoRoot, "nginx/maintenance.html"), "utf8"));
    } finally {
      execFileSync("rm", ["-f", flag]);
    }
    const off = await fetch(`${lab.nginx.production}/`);
    expect(off.status).not.toBe(503);
  });
});
