# shellcheck shell=bash
# The `prune` phase: old releases' images and bundles, old backups and run directories go.

# prune_releases <current> <previous>: keep the newest N releases' images and the
# newest N backups; never the current or previous release's. Older bundles (~150 KB)
# stay longer (5×N, at least 20) so `rollback --to` can pull their images again.
prune_releases() {
  local current=$1 previous=$2 keep keep_backups keep_bundles dir sha n=0 ref
  keep=$(manifest "$ENV_DIR/releases/$current" .keep.releases)
  keep_backups=$(manifest "$ENV_DIR/releases/$current" .keep.backups)
  keep_bundles=$((keep * 5 > 20 ? keep * 5 : 20))
  # shellcheck disable=SC2012 # ls -t: newest first by mtime; names that are not SHAs are skipped
  while read -r dir; do
    sha=$(basename "$dir")
    valid_sha "$sha" || continue
    n=$((n + 1))
    if [ "$n" -le "$keep" ] || [ "$sha" = "$current" ] || [ "$sha" = "$previous" ]; then continue; fi
    while read -r ref; do
      if docker image rm "$ref" >/dev/null 2>&1; then say "pruned image $ref"; fi
    done < <(jq -r '.images[] | "\(.repo)@\(.digest)"' "$dir/release.json" 2>/dev/null)
    if [ "$n" -gt "$keep_bundles" ]; then
      rm -rf -- "$dir"
      say "pruned release bundle $sha"
    fi
  done < <(ls -1dt "$ENV_DIR"/releases/*/ 2>/dev/null | sed 's:/$::')
  # Backups that `rollback --restore-db` may need (those named by the latest successful
  # ledger lines) are kept whatever their age.
  local needed
  needed=$(ledger_lines | jq -rs --argjson k "$keep" '[.[] | select(.result == "succeeded" or .result == "rolled_back")] | .[-($k + 2):][] | .backup // empty' || true)
  n=0
  while read -r dir; do
    n=$((n + 1))
    if grep -qxF -- "$dir" <<<"$needed"; then continue; fi
    if [ "$n" -gt "$keep_backups" ]; then
      # The set's members, and the -wal/-shm a reader may have left beside any of them.
      rm -f -- "$dir" "$dir"-wal "$dir"-shm "$dir".[0-9]* && say "pruned backup $(basename "$dir")"
    fi
  done < <(ls -1t "$ENV_DIR"/backups/*.db 2>/dev/null)
  find "$ENV_DIR/runs" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} + 2>/dev/null || true
}
