# shellcheck shell=bash
# Everything a runbook command (deploy, rollback) uses: logging and validation, named
# phases, compose, SQLite, readiness, the environment lock, nginx's view of the
# maintenance page and flag, and release bundles.
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
# shellcheck source=lib/rehearse.sh
. "$BERTH_SCRIPTS/lib/rehearse.sh"
# shellcheck source=lib/ready.sh
. "$BERTH_SCRIPTS/lib/ready.sh"
# shellcheck source=lib/lock.sh
. "$BERTH_SCRIPTS/lib/lock.sh"
# shellcheck source=lib/nginx-assets.sh
. "$BERTH_SCRIPTS/lib/nginx-assets.sh"
# shellcheck source=lib/swap.sh
. "$BERTH_SCRIPTS/lib/swap.sh"
# shellcheck source=lib/release.sh
. "$BERTH_SCRIPTS/lib/release.sh"
