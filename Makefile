# A thin front door. CMake is the build; these targets install what is
# missing, configure and run. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test test-gcc test-asan fuzz bench install clean

all: build

deps:
	@bash scripts/install-deps.sh build

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc
	cmake --build $(BUILD) -j $(JOBS)

# make test: gcc build + every test, then clang + ASan/UBSan build + every test.
test:
	@bash scripts/install-deps.sh test
	$(MAKE) --no-print-directory test-gcc test-asan

test-gcc:
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_C_COMPILER=clang -DAFZ_SANITIZE=ON \
	      -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	      ctest --output-on-failure -j $(JOBS)

# make fuzz: clang + libFuzzer + ASan/UBSan, every target for its share of
# FUZZ_SECONDS (default 60), FUZZ_JOBS for -fork, then a findings table.
fuzz: deps
	@bash scripts/fuzz.sh

# make bench: clang + libFuzzer without sanitizers in build-bench; prints the
# four benchmark tables (throughput, time to detect, server mode vs Pebble,
# memory) and writes build-bench/bench.json. BENCH_QUICK=1 for a smoke run.
bench:
	@bash bench/run.sh

# make install PREFIX=DIR: the CLI, libacmefuzz.a, the public headers, the
# pkg-config files and share/acmefuzz (see examples/README.md).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
