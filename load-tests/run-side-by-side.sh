#!/usr/bin/env bash
# Builds Kiln and the load generator, then runs every scenario against Kiln and a real
# redis-server 7.0 (each started fresh per scenario on free loopback ports with the same
# directives) and writes results/<timestamp>/ (report.html, results.csv, table.md, *.hgrm).
#
#   load-tests/run-side-by-side.sh [--quick] [--scenarios a,b] [any kiln-load suite option]
#   load-tests/run-side-by-side.sh --scenarios cache-lru,cache-lfu --duration 15 --quiet
#     (maxmemory 100mb caches, only when named: hit ratio, evictions, used_memory, peak RSS)
#
# Environment: KILN_JAR (default ../target/kiln.jar, built if missing), REDIS_SERVER (default:
# redis-server on PATH; the Redis rows are skipped with a message when there is none),
# PORT_BASE (default 7470), REBUILD=1 to rebuild Kiln even when its jar exists.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

kiln_jar="${KILN_JAR:-$here/../target/kiln.jar}"
if [[ ! -f "$kiln_jar" || "${REBUILD:-0}" == 1 ]]; then
  echo "building Kiln ($kiln_jar)"
  mvn -q -f ../pom.xml package -DskipTests
fi
if [[ ! -f target/kiln-load.jar || -n "$(find src pom.xml -newer target/kiln-load.jar -print -quit)" ]]; then
  echo "building the load generator"
  mvn -q -f pom.xml package -DskipTests
fi

redis="${REDIS_SERVER:-$(command -v redis-server || true)}"
redis_args=()
if [[ -n "$redis" ]]; then
  echo "redis: $("$redis" --version | head -1)"
  redis_args=(--redis-server "$redis")
else
  echo "redis-server not found (apt-get install -y redis-server): running Kiln alone, no ratios"
  redis_args=(--servers kiln)
fi

stamp="$(date +%Y%m%d-%H%M%S)"
out="$here/results/$stamp"
exec java -jar target/kiln-load.jar suite --kiln-jar "$kiln_jar" "${redis_args[@]}" \
  --port-base "${PORT_BASE:-7470}" --out "$out" "$@"
