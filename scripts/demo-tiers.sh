#!/usr/bin/env bash
# The tiers demo that ./run runs with DEMO_TIERS=1 (short policies: warm = the last 2 versions, hot = live + 1):
# three more price versions (SKU-0000001 near its demo price 81.18, so no guardrail warning needs an approver) are published one after another, the archive job moves the price versions that left
# every warm window to cold storage, and a rollback to the release that was live at the start streams it back
# from the archive into both agents' Redis.
# Usage: scripts/demo-tiers.sh API_URL "Authorization: Bearer TOKEN"
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
API="$1/api/v1"
AUTH="$2"

get() { curl -fsS -H "$AUTH" "$API/$1"; }
post() { curl -fsS -X POST -H "$AUTH" -H 'Content-Type: application/json' "$API/$1" ${2:+-d "$2"}; }
field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/"; }
wait_live() {
  for _ in $(seq 1 300); do
    get "releases/$1" | grep -q '"state":"Live"' && return 0
    sleep 0.2
  done
  die "release $1 did not go live: curl -H \"\$AUTH\" $API/releases/$1"
}

start_release=$(get "environments/prod" | sed -E 's/.*"liveRelease":\{"id":([0-9]+).*/\1/')
versions=$(get "releases/$start_release" | sed -E 's/.*"versions":(\{[^}]*\}).*/\1/')
log "tiers demo: release $start_release ($versions) is live"
for i in 1 2 3; do
  base=$(get "datasets/price/versions?limit=1" | field version)
  version=$(curl -fsS -X POST -H "$AUTH" -H 'Content-Type: application/x-ndjson' \
    "$API/datasets/price/versions?mode=delta&base=$base&note=tiers%20demo" \
    --data-binary "{\"op\":\"upsert\",\"sku\":\"SKU-0000001\",\"amount\":$((80 + i)).5,\"currency\":\"CNY\"}" | field version)
  release=$(post releases "{\"environment\":\"prod\",\"versions\":$(echo "$versions" | sed -E "s/\"price\":[0-9]+/\"price\":$version/"),\"note\":\"tiers demo $i\"}" \
    | sed -E 's/.*"release":\{"id":([0-9]+).*/\1/')
  post "releases/$release/publish" >/dev/null
  wait_live "$release"
  log "price version $version published in release $release"
done

log "running the archive job (it also runs every Tiers:ArchiveInterval)"
post tiers/archive/run
echo
get tiers/price | grep -oE '"version":[0-9]+,"tier":"(warm|cold)"' | sed -E 's/"version":([0-9]+),"tier":"(.*)"/  price v\1: \2/'

log "rolling back to release $start_release, whose price version now lives only in cold storage"
publication=$(post environments/prod/rollback "{\"toRelease\":$start_release}" | field id)
wait_live "$start_release"
log "release $start_release is live again (publication $publication), staged from the archive: curl -H \"\$AUTH\" $API/publications/$publication"
