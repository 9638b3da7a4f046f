# Sluice — top-level entry points. See README.md.
#   make demo   install dependencies, build, run the demo job
#   make test   install dependencies, build with ASan+UBSan, run every test (ctest)
#   make build  release build into build/ (binaries in build/bin/)
#   make clean  remove build directories
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-asan test demo clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j $(JOBS) -- --no-print-directory

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON
	cmake --build build-asan -j $(JOBS) -- --no-print-directory

test: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) --timeout 900

demo: build
	@bash scripts/demo.sh

clean:
	rm -rf build build-asan
