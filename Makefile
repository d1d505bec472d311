# Convenience targets; the README's two commands (scripts/demo.sh, scripts/test.sh) need no make.
SWIFT ?= swift

.PHONY: all build release fixtures test demo bench fuzz clean

all: build

fixtures:
	$(MAKE) -C fixtures

build: fixtures
	$(SWIFT) build

release: fixtures
	$(SWIFT) build -c release --static-swift-stdlib

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh

# FUZZ_SECONDS per target (default 30)
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	-bash scripts/demo.sh --clean
	$(MAKE) -C fixtures clean
	rm -rf .build .build-*
