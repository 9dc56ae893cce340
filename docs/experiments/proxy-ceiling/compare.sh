#!/bin/bash
# Interleaved rounds of wrk against HAProxy, director and the reference
# proxies in this directory, all over the dataplane bench's two backends.
# Prints each round (requests/s and the proxy's CPU ns per request), then
# medians and their ratio to HAProxy. Needs gcc, liburing-dev, wrk and
# haproxy; run as root (sockmap) from the repository's top level:
#   bash docs/experiments/proxy-ceiling/compare.sh            # keep-alive
#   CLOSE=1 bash docs/experiments/proxy-ceiling/compare.sh    # new connections
set -eu
ROUNDS=${ROUNDS:-5}
SECONDS_EACH=${SECONDS_EACH:-4}
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
gcc -O2 -o "$build/epoll_proxy" "$here/epoll_proxy.c"
gcc -O2 -o "$build/uring_proxy" "$here/uring_proxy.c" -luring
bench=$(cargo bench --profile release --bench dataplane --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\))/\1/p')
targets=5
HOLD=$((ROUNDS * targets * (SECONDS_EACH + 1) + 20)) "$bench" 2>/dev/null &
hold=$!
"$build/epoll_proxy" copy 19090 2>/dev/null &
epoll=$!
"$build/uring_proxy" 2 19091 2>/dev/null &
uring=$!
if [ -n "${CLOSE:-}" ]; then
  # The sockmap proxy lets a FIN overtake redirected data: keep-alive only.
  sockmap=""
  header=(-H "Connection: close")
else
  "$build/epoll_proxy" sockmap 19092 2>/dev/null &
  sockmap=$!
  header=()
fi
cleanup() {
  kill $epoll $uring $sockmap 2>/dev/null || true
  pkill -f "$build/uring_proxy" 2>/dev/null || true
  kill $hold 2>/dev/null || true
  pkill -f "haproxy -db -f /tmp/director-dataplane-bench" 2>/dev/null || true
  pkill -f "director run --dataplane userspace --config /tmp/director-dataplane-bench" 2>/dev/null || true
  rm -rf "$build"
}
trap cleanup EXIT
sleep 2
haproxy=$(pgrep -f "haproxy -db -f /tmp/director-dataplane-bench")
director=$(pgrep -f "director run --dataplane userspace")
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' /proc/$pid/stat))); done
  echo $total
}
tick_ns=$((1000000000 / $(getconf CLK_TCK)))
results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for target in "haproxy 19081 $haproxy" "director 19080 $director" \
    "c-epoll 19090 $epoll" "c-io_uring 19091 $(pgrep -f "$build/uring_proxy" | tr '\n' ' ')" \
    ${sockmap:+"sockmap 19092 $sockmap"}; do
    set -- $target
    name=$1 port=$2
    shift 2
    before=$(cpu_ticks "$@")
    rate=$(wrk -t1 -c50 -d"${SECONDS_EACH}s" "${header[@]}" "http://127.0.0.1:$port/" |
      awk '/Requests\/sec/ {print int($2)}')
    after=$(cpu_ticks "$@")
    ns=$(((after - before) * tick_ns / (rate * SECONDS_EACH)))
    echo "round $round: $name $rate/s $ns ns" >&2
    echo "$name $rate $ns" >>"$results"
  done
done
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
reference=$(awk '$1 == "haproxy" {print $2}' "$results" | median)
printf "%-11s %10s %9s %12s\n" target "median/s" /haproxy "CPU ns/each"
for name in haproxy director c-epoll c-io_uring sockmap; do
  grep -q "^$name " "$results" || continue
  rate=$(awk -v n=$name '$1 == n {print $2}' "$results" | median)
  ns=$(awk -v n=$name '$1 == n {print $3}' "$results" | median)
  printf "%-11s %10d %8.2fx %12d\n" "$name" "$rate" "$(echo "$rate / $reference" | bc -l)" "$ns"
done
rm -f "$results"
wait $hold 2>/dev/null || true
