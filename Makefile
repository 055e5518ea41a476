# The two commands of the README: `make demo` and `make test`. Both install what is missing.
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: deps build demo test bench asan clean

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt CMakePresets.json | deps
	cmake --preset $(PRESET) >/dev/null

build: deps $(BUILD)/build.ninja
	cmake --build --preset $(PRESET) -j $(JOBS)

# the main job on a built-in default: train crossq-wn on pendulum (2 seeds), then report
demo: build
	bash scripts/demo.sh $(BUILD)/crossq

# the whole test suite through ctest
test: build
	ctest --preset $(PRESET) -j $(JOBS)

bench: build
	$(BUILD)/crossq bench update --threads 1
	$(BUILD)/crossq bench update --threads 2

# the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang), plus the bounded
# libFuzzer runs (label fuzz, docs/robustness.md); the learning test runs in the release suite only
asan:
	$(MAKE) test PRESET=asan

clean:
	rm -rf build
