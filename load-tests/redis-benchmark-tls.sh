#!/usr/bin/env bash
# TLS side by side: redis-benchmark --tls -c 50 -n N -P 1 -t set,get against Kiln and
# redis-server 7.0 (Debian's is built with TLS), each serving TLS only, one after the other, with
# a certificate made here by openssl; prints requests/s per test and the Kiln/Redis ratio.
#
#   load-tests/redis-benchmark-tls.sh [N]      (JAVA_OPTS for Kiln's JVM flags)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-200000}"
jar="$here/../target/kiln.jar"
[[ -f "$jar" ]] || mvn -q -f "$here/../pom.xml" package -DskipTests
certs="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$certs"' EXIT
(cd "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 1 -subj "/CN=bench CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
  echo "subjectAltName=IP:127.0.0.1,DNS:localhost" > ext
  openssl req -newkey rsa:2048 -nodes -subj "/CN=bench" -keyout s.key -out s.csr 2>/dev/null
  openssl x509 -req -sha256 -days 1 -in s.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -extfile ext -out s.crt 2>/dev/null)
tls=(--tls --cacert "$certs/ca.crt")
server_tls=(--port 0 --bind 127.0.0.1 --save "" --dir "$certs" --tls-cert-file "$certs/s.crt"
  --tls-key-file "$certs/s.key" --tls-auth-clients no)

measure() { # port -> "TEST rps" lines, after a warm-up and a quiet spell
  for _ in $(seq 1 100); do redis-cli "${tls[@]}" -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 6 # Kiln rehearses its snapshot code at its first quiet second: not during the run
  redis-benchmark -p "$1" "${tls[@]}" -q -c 50 -n 100000 -t set,get > /dev/null 2>&1
  redis-benchmark -p "$1" "${tls[@]}" -q -c 50 -n "$n" -P 1 -t set,get 2>&1 | tr '\r' '\n' \
    | grep "requests per second" | sed -E 's/^ *([A-Z_]+)[^:]*: ([0-9.]+) requests per second.*/\1 \2/'
}
java ${JAVA_OPTS:-} -jar "$jar" "${server_tls[@]}" --tls-port 7395 > /tmp/rb-tls-kiln.log 2>&1 &
pids+=($!)
kiln_out="$(measure 7395)"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
redis-server "${server_tls[@]}" --appendonly no --tls-port 7396 > /tmp/rb-tls-redis.log 2>&1 &
pids+=($!)
redis_out="$(measure 7396)"
echo "== --tls -c 50 -n $n -P 1"
paste <(echo "$kiln_out") <(echo "$redis_out") \
  | awk '{printf "%-10s kiln %10.0f  redis %10.0f  kiln/redis %.2f\n", $1, $2, $4, $2/$4}'
