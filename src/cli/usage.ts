/** The `berth` CLI's help text: one place, printed by `berth help` and on bad usage. */
import { EXIT_MEANING } from "../remote/exit-codes.generated.js";

/** The server's exit codes (vps-scripts/lib/exit-codes.sh), which the server verbs exit with. */
const exitCodes = Object.entries(EXIT_MEANING)
  .map(([code, meaning]) => `  ${code}  ${meaning}`)
  .join("\n");

export const USAGE = `usage: berth <verb> [<env>] [args…] [options]

On your machine (offline):
  check                             validate berth.yml and what it points to
  init                              write berth.yml and the caller workflows for this repo
  setup <env> [--ssh-user root]     provision the server once: packages, deploy user, directories,
                                    env file, nginx site (berth setup --help)  *

On the server, over SSH (the same verbs as <root>/bin/berth there):
  status <env>                      current/previous release, lock, maintenance, containers
  releases <env>                    the ledger, newest first
  logs <env> [--run ID | --app [--service S] [--tail N]]
                                    the latest deploy/rollback/restore/backup log (or run ID's),
                                    or with --app the app's container logs
  maintenance status <env>          the maintenance flag
  rollback <env> [--to SHA] [--restore-db | --keep-db]      *
  deploy <env> <sha>                re-run the deploy of a release already uploaded  *
  maintenance on|off <env>          *
  backup <env> [--offsite]          a consistent SQLite backup now; --offsite also sends it
                                    with restic to berth.yml's offsite.repository  *
  restore <env> <backup>            put a backup from <env>/backups/ back  *
  sync <from> <to> [--scrub CMD] [--allow-production]
                                    replace <to>'s database with a consistent snapshot of
                                    <from>'s, CMD run on it in a one-off container of <to>'s
                                    release (e.g. to anonymise emails); <to>'s own is kept  *
  drill <env>                       restore the latest offsite snapshot aside, check it and
                                    boot the current release on it (the live site untouched)
  recover <env> --from-offsite      rebuild a lost environment from its latest offsite
                                    snapshot on a server prepared by setup  *

  * changes the server: asks for confirmation on a terminal, or needs --yes.
  rollback, deploy, backup, restore, sync, drill and recover run detached on the server: a
  dropped connection does not stop them (see their log with \`berth logs <env>\`).

Options:
  --config FILE        berth.yml to read (default: berth.yml in this directory)
  --json               machine output: the server's JSON on stdout, logs on stderr
  --yes, -y            do it without asking (needed when not on a terminal)
  --host H, --port P, --user U   override berth.yml's environment
  --known-hosts FILE   the pinned host keys (default: ~/.ssh/known_hosts)
  --identity FILE      private key (default: $BERTH_SSH_KEY's text, else the first of
                       ~/.ssh/id_ed25519, id_ecdsa, id_rsa and ssh-agent's keys)
  --help, -h           this text;   --version   berth's version

Exit codes (the server's, vps-scripts/lib/exit-codes.sh):
${exitCodes}
NO_COLOR turns color off.
`;
