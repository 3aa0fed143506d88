/**
 * `berth init`'s questions about the server and berth itself: the SSH host (never
 * detectable), the app root, SSH port and user (berth's defaults), and the berth
 * commit the callers pin (this berth's).
 */
import * as f from "../config/fields.js";
import { berthCommit } from "./home.js";
import { type Asker, byField } from "./init-ask.js";
import type { InitPlan } from "./init-render.js";

export async function askServer(
  asker: Asker,
  app: string,
  home: string | undefined,
): Promise<{ environments: InitPlan["environments"]; berthRef: string }> {
  const host = await asker.ask({
    key: "host",
    usage: "--host vps.example.com",
    prompt: "SSH host of your server (staging and production)",
    example: "vps.example.com",
    check: byField(f.host),
  });
  const root = await asker.ask({
    key: "root",
    usage: `--root /opt/${app}`,
    prompt: "App root on the server",
    detected: `/opt/${app}`,
    example: `/opt/${app}`,
    check: byField(f.serverPath),
  });
  const port = await asker.ask({
    key: "ssh-port",
    usage: "--ssh-port 22",
    prompt: "SSH port",
    detected: "22",
    example: "22",
    check: byField(f.port),
  });
  const user = await asker.ask({
    key: "ssh-user",
    usage: "--ssh-user deploy",
    prompt: "SSH user that deploys",
    detected: "deploy",
    example: "deploy",
    check: byField(f.user),
  });
  const berthRef = await asker.ask({
    key: "berth-ref",
    usage: "--berth-ref <full commit SHA of berth>",
    prompt: "berth commit the workflows pin (this berth's is unknown: not a git checkout)",
    detected: home === undefined ? undefined : berthCommit(home),
    example: "0".repeat(40),
    check: byField(f.sha),
  });
  const environments = ["staging", "production"].map((name) => ({
    name,
    host,
    port: Number(port),
    user,
    root,
  }));
  return { environments, berthRef };
}
