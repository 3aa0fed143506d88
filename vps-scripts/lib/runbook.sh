# shellcheck shell=bash
# Everything a runbook command (deploy, rollback, restore, recover) uses: logging and
# validation, named phases, compose, SQLite, the environment lock, nginx's view of the
# maintenance page and flag, the slots — and one file per phase, named after it
# (docs/design.md §5 maps each phase to its file and function; test/vps/phase-map.bats
# checks the map).
# shellcheck source=lib/common.sh
. "$BERTH_SCRIPTS/lib/common.sh"
# shellcheck source=lib/phases.sh
. "$BERTH_SCRIPTS/lib/phases.sh"
# shellcheck source=lib/compose.sh
. "$BERTH_SCRIPTS/lib/compose.sh"
# shellcheck source=lib/sqlite.sh
. "$BERTH_SCRIPTS/lib/sqlite.sh"
# shellcheck source=lib/sqlite-helper.sh
. "$BERTH_SCRIPTS/lib/sqlite-helper.sh"
# shellcheck source=lib/database-set.sh
. "$BERTH_SCRIPTS/lib/database-set.sh"
# shellcheck source=lib/lock.sh
. "$BERTH_SCRIPTS/lib/lock.sh"
# shellcheck source=lib/nginx-assets.sh
. "$BERTH_SCRIPTS/lib/nginx-assets.sh"
# shellcheck source=lib/swap.sh
. "$BERTH_SCRIPTS/lib/swap.sh"
# The phases, in the order a deploy runs them.
# shellcheck source=lib/reconcile.sh
. "$BERTH_SCRIPTS/lib/reconcile.sh"
# shellcheck source=lib/preflight.sh
. "$BERTH_SCRIPTS/lib/preflight.sh"
# shellcheck source=lib/pull.sh
. "$BERTH_SCRIPTS/lib/pull.sh"
# shellcheck source=lib/rehearse.sh
. "$BERTH_SCRIPTS/lib/rehearse.sh"
# shellcheck source=lib/maintenance.sh
. "$BERTH_SCRIPTS/lib/maintenance.sh"
# shellcheck source=lib/stop.sh
. "$BERTH_SCRIPTS/lib/stop.sh"
# shellcheck source=lib/backup.sh
. "$BERTH_SCRIPTS/lib/backup.sh"
# shellcheck source=lib/migrate.sh
. "$BERTH_SCRIPTS/lib/migrate.sh"
# shellcheck source=lib/start.sh
. "$BERTH_SCRIPTS/lib/start.sh"
# shellcheck source=lib/ready.sh
. "$BERTH_SCRIPTS/lib/ready.sh"
# shellcheck source=lib/switch.sh
. "$BERTH_SCRIPTS/lib/switch.sh"
# shellcheck source=lib/drain.sh
. "$BERTH_SCRIPTS/lib/drain.sh"
# shellcheck source=lib/handover.sh
. "$BERTH_SCRIPTS/lib/handover.sh"
# shellcheck source=lib/record.sh
. "$BERTH_SCRIPTS/lib/record.sh"
# shellcheck source=lib/retire.sh
. "$BERTH_SCRIPTS/lib/retire.sh"
# shellcheck source=lib/prune.sh
. "$BERTH_SCRIPTS/lib/prune.sh"
# shellcheck source=lib/restore.sh
. "$BERTH_SCRIPTS/lib/restore.sh"
# shellcheck source=lib/place.sh
. "$BERTH_SCRIPTS/lib/place.sh"
# berth sync's own phases.
# shellcheck source=lib/snapshot.sh
. "$BERTH_SCRIPTS/lib/snapshot.sh"
# shellcheck source=lib/scrub.sh
. "$BERTH_SCRIPTS/lib/scrub.sh"
# shellcheck source=lib/check.sh
. "$BERTH_SCRIPTS/lib/check.sh"
