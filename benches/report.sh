#!/usr/bin/env bash
# Runs every issue-9 measurement in one go, in the order of the results
# table in benches/README.md: decode throughput beside memchr and the peer
# codec (criterion), end to end over loopback beside a raw read and the
# peer clients, allocations per message, and memory under a 1M-event flood
# for each adapter. Figures are printed; nothing is asserted on timing.
#
#   bash benches/report.sh            # from the workspace root
#   E2E_RUNS=5 bash benches/report.sh # more end-to-end runs
#   LOSS_RUNS=20 bash benches/report.sh # runs of loss_runs (issue 20) per
#                                       # client and workload; 0 skips it
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/bench}"

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(rustc --version)"
echo "# date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

cargo build --release --locked -q -p ami-benches --bins --benches
echo "## decode (criterion: time per corpus, then throughput)"
cargo bench --locked -q -p ami-benches --bench decode -- --noplot decode_bytes 2>&1 \
    | grep -E '^(decode_bytes/|corpus:)|time:|thrpt:'
echo "## end to end"
E2E_RUNS="${E2E_RUNS:-3}" cargo bench --locked -q -p ami-benches --bench e2e 2>&1 | grep -E '^\|'
echo "## allocations per message"
cargo run --release --locked -q -p ami-benches --bin allocs
echo "## memory under a 1 000 000-event flood"
for adapter in tokio smol blocking; do
    cargo run --release --locked -q -p ami-benches --bin flood_memory -- "$adapter"
done
LOSS_RUNS="${LOSS_RUNS:-5}"
if [ "$LOSS_RUNS" -gt 0 ]; then
    echo "## loss at the default options, both workloads ($LOSS_RUNS runs each)"
    cargo run --release --locked -q -p ami-benches --bin loss_runs -- --runs "$LOSS_RUNS" 2>/dev/null
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
