# shellcheck shell=bash
# The `record` phase: the run's ledger line (<env>/releases.log, docs/design.md §4).

# record_run <kind> <sha> <previous sha> <bundle> <result> <phase> [extra JSON object]:
# append the run's ledger line (docs/design.md §4: time, env, sha, images by digest, actor, run,
# result, phase, durations, backup) merged with the kind's own fields, and keep it in
# $WORK/result.json for finish_run.
record_run() {
  local backup="" extra=${7:-} line
  [ -n "$extra" ] || extra='{}'
  [ -s "$WORK/backup" ] && backup=$(cat "$WORK/backup")
  line=$(jq -cn \
    --arg time "$(now_iso)" --arg env "$ENV_NAME" --arg kind "$1" --arg sha "$2" --arg previousSha "$3" \
    --argjson images "$(jq -c '.images | map_values(.ref)' "$4/release.json")" \
    --arg actor "$BERTH_ACTOR" --arg runUrl "$BERTH_RUN_URL" --arg runId "$BERTH_RUN_ID" \
    --arg result "$5" --arg phase "$6" \
    --argjson durations "$(durations_json)" --arg total "$(seconds_since "$T0")" --arg backup "$backup" \
    --argjson extra "$extra" \
    '{time: $time, env: $env, kind: $kind, sha: $sha, previousSha: $previousSha, images: $images,
      actor: $actor, runUrl: $runUrl, runId: $runId, result: $result, phase: $phase,
      durations: $durations, totalSeconds: ($total | tonumber),
      backup: (if $backup == "" then null else $backup end)} + $extra')
  ledger_append "$line"
  printf '%s\n' "$line" >"$WORK/result.json"
}
