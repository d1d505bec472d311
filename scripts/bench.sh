#!/usr/bin/env bash
# Runs unitop's benchmarks (issue #5) and prints ONE table: figure, target, measured, anchor
# measured in the same run, ratio, met. Benchmarks are not tests: nothing here fails a build.
#
#   scripts/bench.sh                 everything (about 15-20 minutes on 2 cores, plus builds)
#   scripts/bench.sh console render  only some: console|render|logs|boot|startup|idle|memory|scale|flood|workload|upload
#   scripts/bench.sh --markdown ...  the table as Markdown (for docs/benchmarks.md)
#
# In-process figures use ordo-one/benchmark (package Benchmarks/); end-to-end figures time whole
# processes from outside (scripts/bench/*.py), each in its own temporary UNITOP_HOME, removing
# every instance it started. A benchmark whose feature has not landed shows "n/a (reason)".
# Knobs (environment): see the docstring at the top of each scripts/bench/bench_*.py.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ALL=(console render logs boot startup idle memory scale flood workload upload)
MARKDOWN=""
SELECTED=()
for arg in "$@"; do
    case "$arg" in
        --markdown) MARKDOWN="--markdown" ;;
        all) SELECTED+=("${ALL[@]}") ;;
        console|render|logs|boot|startup|idle|memory|scale|flood|workload|upload) SELECTED+=("$arg") ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown benchmark '$arg' (use: ${ALL[*]})" >&2; exit 2 ;;
    esac
done
[ ${#SELECTED[@]} -eq 0 ] && SELECTED=("${ALL[@]}")
wants() { local x; for x in "${SELECTED[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
log() { echo "bench: $*" >&2; }

# Tools the harness needs; installed from Debian when missing.
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v tmux >/dev/null || missing+=(tmux)
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v virsh >/dev/null || missing+=(libvirt-clients)
command -v make >/dev/null || missing+=(make)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        log "not root: cannot install ${missing[*]}"
    fi
fi

RESULTS=$(mktemp /tmp/unitop-bench-results.XXXXXX)
export UNITOP_BENCH_RESULTS="$RESULTS"
export UNITOP_FIXTURES="$ROOT/fixtures/build"
export UNITOP_BENCH_BIN="$ROOT/.build/release"
export UNITOP_BENCH_TOOL="$ROOT/Benchmarks/.build/release/unitop-bench-tool"
BUILD_LOG=$(mktemp /tmp/unitop-bench-build.XXXXXX)
trap 'rm -f "$BUILD_LOG"' EXIT

needs_e2e=0
for b in logs boot startup idle memory scale flood workload; do wants "$b" && needs_e2e=1; done

if [ $needs_e2e = 1 ]; then
    log "building fixtures"
    make -C fixtures >>"$BUILD_LOG" 2>&1 || log "fixtures did not build (see make -C fixtures)"
    if wants workload; then
        make -C fixtures disks netguest >>"$BUILD_LOG" 2>&1 \
            || log "the workload fixtures did not build (make -C fixtures disks netguest): workload will be n/a"
    fi
    log "building unitop and unitop-monitor (release)"
    if ! { swift build -c release --static-swift-stdlib --product unitop && swift build -c release --static-swift-stdlib --product unitop-monitor; } >>"$BUILD_LOG" 2>&1; then
        log "unitop does not build in release mode: end-to-end figures will be n/a"
        grep -m3 "error:" "$BUILD_LOG" >&2
        export UNITOP_BENCH_BIN="$ROOT/.build/unitop-bench-no-binary"
    fi
    if wants logs || wants memory; then
        log "building unitop-bench-tool (release)"
        swift build --package-path Benchmarks -c release --product unitop-bench-tool >>"$BUILD_LOG" 2>&1 \
            || log "unitop-bench-tool does not build: logs/memory will be n/a"
    fi
fi

start=$(date +%s)
for b in "${SELECTED[@]}"; do
    log "running $b ($(date -u +%H:%M:%S))"
    case "$b" in
        console|render) python3 scripts/bench/inprocess.py "$b" 2>>"$BUILD_LOG" ;;
        *) python3 "scripts/bench/bench_$b.py" ;;
    esac || log "$b: harness error (exit $?)"
done
log "done in $(( $(date +%s) - start )) s"

echo
echo "unitop benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, KVM: $([ -w /dev/kvm ] && echo yes || echo no)"
python3 scripts/bench/table.py "$RESULTS" $MARKDOWN
cp "$RESULTS" "$ROOT/.build/bench-results.tsv" 2>/dev/null || true
rm -f "$RESULTS"
