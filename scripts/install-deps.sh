#!/usr/bin/env bash
# install-deps.sh [build|test|fuzz|afl|bench] - install the Debian packages acmefuzz
# needs for that job when they are missing. As root it runs apt-get (after
# apt-get update: a fresh machine's package lists may be empty); otherwise it
# prints the exact command to run and fails.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
            libssl-dev libcjson-dev libcurl4-openssl-dev check openssl)
test_pkgs=(pebble curl ca-certificates)
# Server mode (acmefuzz serve / suite): libevent's evhttp + bufferevent_openssl;
# its integration tests run real clients (tests/integration/serve_*.sh, suite_*.sh).
build_pkgs+=(libevent-dev)
test_pkgs+=(lego certbot)

# Packaging tests (tests/integration/ossfuzz_build.sh, install_example.sh):
# clang++ links the libFuzzer targets as OSS-Fuzz does (Debian's clang
# package ships it), readelf checks their shared-library needs, python3
# zips and unzips seed corpora.
test_pkgs+=(clang binutils python3)
# tests/integration/lint.sh: the format check and static analysis.
test_pkgs+=(clang-format cppcheck)

# AFL++ (scripts/afl.sh and its test, tests/integration/afl.sh): optional
# for building and libFuzzer fuzzing, installed for `make test`.
afl_pkgs=(afl++)
test_pkgs+=("${afl_pkgs[@]}")

# Two more real clients for `acmefuzz suite` (clients/external/README.md,
# tests/integration/suite_acme_tiny.sh, suite_node_acme_client.sh):
# acme-tiny, and node with npm for the npm package acme-client, which
# clients/external/node-acme-client/install.sh then installs with `npm ci`
# from its lock file (the test runs it). Debian's nodejs and npm only when
# the machine has no npm at all: a machine image whose Node.js comes from
# elsewhere ships npm inside its nodejs package, and Debian's npm would
# conflict with it.
test_pkgs+=(acme-tiny)
# libfaketime for --time-scale (tests/integration/suite_faketime.sh)
test_pkgs+=(faketime)
# uacme for tests/integration/suite_uacme.sh (as root: its adapter
# bind-mounts the CA bundle in a private mount namespace; util-linux's
# unshare, which every Debian system has).
test_pkgs+=(uacme)
if ! command -v npm >/dev/null 2>&1; then
  test_pkgs+=(nodejs npm)
fi

# Reports (harness/io/report/afz_report_html.h, afz_sarif.h): tests/integration/
# report_browser.sh renders the HTML report in headless Chromium and checks
# the screenshot, DOM and console; suite_reports.sh validates `suite --sarif`
# against the SARIF 2.1.0 JSON schema with python3-jsonschema.
test_pkgs+=(chromium python3-jsonschema)

# make bench (bench/run.sh): what make test installs (section 3 runs Pebble
# and lego), plus jq to write and merge the JSON and GNU time for peak RSS.
bench_pkgs=(jq time)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build|fuzz) ;;
  test) want+=("${test_pkgs[@]}") ;;
  afl) want+=("${afl_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|fuzz|afl|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "acmefuzz: missing Debian packages: ${missing[*]}" >&2
  echo "run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "acmefuzz: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
