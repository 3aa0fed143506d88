# shellcheck shell=bash
# shellcheck disable=SC2034 # REPO, A, B, C, ENV_NAME and ENV_DIR are read by the bats files (and libraries) that source this
# What the test/vps/*.bats files share, sourced by their setup():
#   # shellcheck source=helpers.bash
#   . "$BATS_TEST_DIRNAME/helpers.bash"
# REPO, the repository; A, B, C, three release SHAs; scratch_root and runbook_env below.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
C=cccccccccccccccccccccccccccccccccccccccc

# scratch_root: BERTH_ROOT (exported) in the test's own temp directory, with an
# environment directory staging/.
scratch_root() {
  export BERTH_ROOT="$BATS_TEST_TMPDIR/root"
  mkdir -p "$BERTH_ROOT/staging"
}

# runbook_env: scratch_root, and the server's libraries sourced as a runbook verb has
# them (lib/runbook.sh) for the environment staging: ENV_NAME, ENV_DIR. What the
# libraries `declare` ends with this function, as it did with the setup() that sourced them.
runbook_env() {
  scratch_root
  export BERTH_SCRIPTS="$REPO/vps-scripts"
  # shellcheck source=../../vps-scripts/lib/runbook.sh
  . "$BERTH_SCRIPTS/lib/runbook.sh"
  ENV_NAME=staging
  ENV_DIR="$BERTH_ROOT/staging"
}
