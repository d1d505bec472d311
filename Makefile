# Build, install and package unitop. The README's two commands (scripts/demo.sh, scripts/test.sh)
# need no make. Usual variables: PREFIX (default /usr/local), DESTDIR (staging root).
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=

VERSION := $(shell sed -n 's/^ *static let version = "\(.*\)"$$/\1/p' Sources/unitop/BuildInfo.swift)
COMMIT := $(shell scripts/build-commit.sh)
# The static release build: the Swift runtime and Foundation linked in, the commit compiled in.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xcc -DUNITOP_COMMIT='"$(COMMIT)"'
REL := .build/release
GEN := .build/generated

BINDIR := $(DESTDIR)$(PREFIX)/bin
LIBEXECDIR := $(DESTDIR)$(PREFIX)/libexec/unitop
SHAREDIR := $(DESTDIR)$(PREFIX)/share/unitop
MANDIR := $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR := $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR := $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
THEMES := $(notdir $(wildcard themes/*.toml))

.PHONY: all build release fixtures test demo bench fuzz clean man completions install uninstall deb version

all: build

fixtures:
	$(MAKE) -C fixtures

build: fixtures
	$(SWIFT) build

release:
	$(SWIFT) build $(RELEASE_FLAGS) --product unitop
	$(SWIFT) build $(RELEASE_FLAGS) --product unitop-monitor

version:
	@echo $(VERSION) $(COMMIT)

# unitop(1): generated from the command definitions (swift-argument-parser's generate-manual),
# with the hand-written sections (TUI keys, files, environment, exit status) spliced in.
man: release
	$(SWIFT) build $(RELEASE_FLAGS) --product generate-manual
	scripts/manpage.sh $(REL)/generate-manual $(REL)/unitop $(GEN)/man

completions: release
	mkdir -p $(GEN)/completions
	$(REL)/unitop --generate-completion-script bash | sed '1{/^#!/d}' > $(GEN)/completions/unitop.bash
	$(REL)/unitop --generate-completion-script zsh > $(GEN)/completions/_unitop
	$(REL)/unitop --generate-completion-script fish > $(GEN)/completions/unitop.fish

install: release man completions
	install -d $(BINDIR) $(LIBEXECDIR) $(SHAREDIR)/themes $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	install -m 0755 $(REL)/unitop $(BINDIR)/unitop
	install -m 0755 $(REL)/unitop-monitor $(LIBEXECDIR)/unitop-monitor
	for t in $(THEMES); do install -m 0644 themes/$$t $(SHAREDIR)/themes/$$t; done
	install -m 0644 $(GEN)/man/unitop.1 $(MANDIR)/unitop.1
	install -m 0644 $(GEN)/completions/unitop.bash $(BASHDIR)/unitop
	install -m 0644 $(GEN)/completions/_unitop $(ZSHDIR)/_unitop
	install -m 0644 $(GEN)/completions/unitop.fish $(FISHDIR)/unitop.fish

# Removes exactly what install put there, then the directories of our own that are left empty.
uninstall:
	rm -f $(BINDIR)/unitop $(LIBEXECDIR)/unitop-monitor $(MANDIR)/unitop.1
	rm -f $(BASHDIR)/unitop $(ZSHDIR)/_unitop $(FISHDIR)/unitop.fish
	for t in $(THEMES); do rm -f $(SHAREDIR)/themes/$$t; done
	-rmdir $(SHAREDIR)/themes $(SHAREDIR) $(LIBEXECDIR) 2>/dev/null

# unitop_VERSION_amd64.deb in .build/deb (dpkg-deb; Depends computed by dpkg-shlibdeps).
deb:
	scripts/package-deb.sh

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
