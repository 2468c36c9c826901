# SPDX-License-Identifier: MIT
# keel's build driver: reads the top-level Kbuild and one Kbuild fragment
# per directory, and builds build/keel-init and build/keel (static, musl).
#
#   make                 both binaries (V=1 shows commands)
#   make KEYS=dir        bake another key set in (default: keys/test)
#   make check           every test tier; last line "N passed, N failed"
#   make check-unit | check-host | check-qemu   one tier
#   make fuzz            libFuzzer targets (FUZZ_SECONDS=60 each)
#   make bench           figures, side by side with the peers
#   make demo            boot the signed demo appliance in QEMU
#   make fmt             clang-format the tree

.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDEXPANSION:

O ?= build
KEYS ?= keys/test
BOARD ?= qemu-x86_64
V ?= 0

ifeq ($(V),1)
Q :=
msg = @:
else
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)'
endif

SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
KEEL_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)

CC := musl-gcc
DEP_CFLAGS := -Os -ffunction-sections -fdata-sections -ffile-prefix-map=$(CURDIR)/=
CFLAGS := -std=gnu11 -Os -ffunction-sections -fdata-sections \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	-fno-asynchronous-unwind-tables -fno-stack-protector \
	-ffile-prefix-map=$(CURDIR)/= \
	-isystem $(O)/include -I$(O)/gen -Icompat -I.
LDFLAGS := -static -s -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,norelro
DEPLIBS := $(O)/deps/lib/libbearssl.a $(O)/deps/lib/liblz4.a

# --- read the Kbuild fragments ------------------------------------------
# A fragment names only its own objects: lib-y (into libkeel.a), bin-y and
# <bin>-y (a binary and its objects), ccflags-y, CFLAGS_<obj>, and the
# directories below it to descend into (subdir-y).
subdir-y :=
include Kbuild
TOP_SUBDIRS := $(subdir-y)

define read-kbuild
lib-y :=
bin-y :=
ccflags-y :=
subdir-y :=
include $(1)/Kbuild
LIBOBJS += $$(addprefix $(O)/$(1)/,$$(lib-y))
$$(foreach b,$$(bin-y),$$(eval BIN_$$(b) := $$(addprefix $(O)/$(1)/,$$($$(b)-y))))
$$(foreach b,$$(bin-y),$$(eval BIN_DIR_$$(b) := $(1)))
BINS += $$(bin-y)
ccflags-$(1) := $$(ccflags-y)
SUBDIRS_$(1) := $$(subdir-y)
endef
walk-kbuild = $(eval $(call read-kbuild,$(1)))$(foreach s,$(SUBDIRS_$(1)),$(call walk-kbuild,$(1)/$(s)))
LIBOBJS :=
BINS :=
$(foreach d,$(TOP_SUBDIRS),$(call walk-kbuild,$(d)))

ALLOBJS := $(LIBOBJS) $(foreach b,$(BINS),$(BIN_$(b)))

all: $(addprefix $(O)/,$(BINS))
.PHONY: all

# --- third-party libraries from Debian source packages -----------------
$(O)/deps/lib/libbearssl.a:
	$(Q)CC=$(CC) DEP_CFLAGS="$(DEP_CFLAGS)" scripts/build-dep.sh bearssl $(abspath $(O))
$(O)/deps/lib/liblz4.a:
	$(Q)CC=$(CC) DEP_CFLAGS="$(DEP_CFLAGS)" scripts/build-dep.sh lz4 $(abspath $(O))
# The demo image's userland: static musl toybox with sh (make toybox).
$(O)/deps/bin/toybox: | $(O)/.deps-ok
	$(Q)CC=$(CC) scripts/build-toybox.sh $(abspath $(O))
toybox: $(O)/deps/bin/toybox
.PHONY: toybox
$(O)/.deps-ok:
	$(Q)scripts/deps.sh build
	$(Q)mkdir -p $(@D) && touch $@

# --- the baked key set ---------------------------------------------------
KEYFILES := $(sort $(wildcard $(KEYS)/policy $(KEYS)/*/*.pub))
$(O)/keys/keys-path: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(abspath $(KEYS)) $(KEYFILES)' | cmp -s - $@ || \
		echo '$(abspath $(KEYS)) $(KEYFILES)' >$@
TESTKEYFILES := $(sort $(wildcard keys/test/*/*.pub))
$(O)/keys/keyset.c: scripts/bake-keys.sh $(O)/keys/keys-path $(KEYFILES) \
		$(TESTKEYFILES)
	$(call msg,KEYS,$(KEYS))
	$(Q)scripts/bake-keys.sh $(KEYS) keys/test >$@

# --- the version string -------------------------------------------------
# Rewritten only when it changes, so that the objects that print it (and
# only those) are rebuilt: two builds of one commit are the same bytes.
$(O)/gen/keel_version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '#define KEEL_VERSION "$(KEEL_VERSION)"' | cmp -s - $@ || \
		echo '#define KEEL_VERSION "$(KEEL_VERSION)"' >$@
$(ALLOBJS): | $(O)/gen/keel_version.h

# --- compile and link ----------------------------------------------------
$(ALLOBJS): | $(DEPLIBS)
$(O)/%.o: %.c | $(O)/.deps-ok
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(ccflags-$(patsubst %/,%,$(dir $*))) \
		$(CFLAGS_$(notdir $@)) -MMD -MP -c $< -o $@
$(O)/%.o: $(O)/%.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(O)/libkeel.a: $(LIBOBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcsD $@ $(sort $^)

# Every binary runs the baked key set's own check when linked: an empty
# key set or a policy that needs no signature fails the build here.
$(O)/keel-init $(O)/keel: $(O)/%: $$(BIN_$$*) $(O)/libkeel.a $(DEPLIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@.tmp $(BIN_$*) $(O)/libkeel.a $(DEPLIBS)
	$(Q)$@.tmp --check-keys >/dev/null || { rm -f $@.tmp; \
		echo "keel: build: key set $(KEYS) refused (see above)" >&2; exit 1; }
	$(Q)mv $@.tmp $@

-include $(ALLOBJS:.o=.d)

# keel-test: keel with the test hooks of launcher/run_map.c compiled in
# (KEEL_TEST_HOOKS: a pause between the check and the mount), for the
# host tests only; never installed, never part of `all`.
TEST_HOOKED := $(O)/launcher/run_map.o
TEST_HOOK_OBJS := $(patsubst $(O)/%,$(O)/test/%,$(TEST_HOOKED))
$(TEST_HOOK_OBJS): $(O)/test/%.o: %.c | $(O)/.deps-ok $(O)/gen/keel_version.h $(DEPLIBS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -DKEEL_TEST_HOOKS -MMD -MP -c $< -o $@
$(O)/keel-test: $(filter-out $(TEST_HOOKED),$(BIN_keel)) $(TEST_HOOK_OBJS) $(O)/libkeel.a $(DEPLIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(O)/libkeel.a $(DEPLIBS)
-include $(TEST_HOOK_OBJS:.o=.d)

# --- host builds of lib/ for unit tests (ASan/UBSan) and fuzzing ---------
HOSTCC := clang
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fno-omit-frame-pointer -isystem $(O)/host/include -I$(O)/gen -Icompat -I.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_DEPLIBS := $(O)/host/deps/lib/libbearssl.a $(O)/host/deps/lib/liblz4.a
HOST_LIBOBJS := $(patsubst $(O)/%,$(O)/host/%,$(LIBOBJS))
FUZZ_LIBOBJS := $(patsubst $(O)/%,$(O)/fuzz/%,$(LIBOBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(O)/host/tests/%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

$(O)/host/deps/lib/libbearssl.a $(O)/host/deps/lib/liblz4.a: $(O)/host/deps/lib/lib%.a: | $(O)/.deps-ok
	$(Q)CC=$(HOSTCC) DEP_CFLAGS="-O2 -g" DEP_SRC=$(abspath $(O))/deps/src \
		scripts/build-dep.sh $* $(abspath $(O))/host
$(HOST_LIBOBJS) $(FUZZ_LIBOBJS): | $(HOST_DEPLIBS)
$(O)/host/%.o: %.c
	$(call msg,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) $(CFLAGS_$(notdir $@)) -MMD -MP -c $< -o $@
$(O)/host/%.o: $(O)/%.c
	$(call msg,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -MMD -MP -c $< -o $@
$(O)/fuzz/%.o: %.c
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link $(CFLAGS_$(notdir $@)) -c $< -o $@
$(O)/fuzz/%.o: $(O)/%.c
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c $< -o $@
$(O)/host/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(HOST_LIBOBJS) $(HOST_DEPLIBS)
	$(call msg,HOSTLD,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -o $@ $< $(HOST_LIBOBJS) $(HOST_DEPLIBS)
$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBOBJS) $(HOST_DEPLIBS)
	$(call msg,FUZZLD,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBOBJS) $(HOST_DEPLIBS)

unit-tests: $(UNIT_TESTS)
fuzzers: $(FUZZERS)
.PHONY: unit-tests fuzzers
-include $(HOST_LIBOBJS:.o=.d)

# --- tests, fuzzing, benchmarks, the board -------------------------------
# The isolation probe runs inside containers: static, no keel code in it.
PROBE_SRC := tests/probe/probe.c tests/probe/escape.c tests/probe/escape_sys.c \
	tests/probe/escape_proc.c
$(O)/probe: $(PROBE_SRC) tests/probe/escape.h
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -static -Os -Wall -Wextra -Werror -Wno-format-truncation \
		-I. -o $@ $(PROBE_SRC)
run-check run-check-host run-bench: $(O)/probe
run-check run-check-host run-check-qemu: $(O)/keel-test

# The board: Debian's kernel and modules, and the initramfs with keel-init
# (make board). The tiny kernel with everything built in takes ~12 minutes
# (make kernel) and lands as board $(BOARD)-tiny, for keel qemu --board.
BOARD_OUT := $(O)/board/$(BOARD)
$(BOARD_OUT)/vmlinux: scripts/fetch-kernel.sh board/$(BOARD)/board.conf | $(O)/.deps-ok
	$(Q)scripts/fetch-kernel.sh $(BOARD) $(abspath $(BOARD_OUT))
$(BOARD_OUT)/board.conf: board/$(BOARD)/board.conf
	$(Q)mkdir -p $(@D) && cp $< $@
$(BOARD_OUT)/initramfs.cpio: scripts/mkinitramfs.sh $(O)/keel-init $(O)/keel \
		$(BOARD_OUT)/vmlinux board/$(BOARD)/board.conf
	$(Q)scripts/mkinitramfs.sh $(BOARD) $(BOARD_OUT) $(O)/keel-init $@ \
		$(O)/keel
board: $(BOARD_OUT)/initramfs.cpio $(BOARD_OUT)/board.conf
kernel: $(O)/keel-init $(O)/keel
	$(Q)scripts/deps.sh kernel
	$(Q)scripts/build-kernel.sh $(BOARD) $(O)/board/$(BOARD)-tiny
	$(Q)cp board/$(BOARD)/board.conf $(O)/board/$(BOARD)-tiny/board.conf
	$(Q)scripts/mkinitramfs.sh $(BOARD) $(O)/board/$(BOARD)-tiny \
		$(O)/keel-init $(O)/board/$(BOARD)-tiny/initramfs.cpio $(O)/keel
run-check run-check-qemu: board
.PHONY: board kernel

# --- the demo appliance (make demo) --------------------------------------
# keel-demo (demo/Kbuild) is an app like any other: static musl, no keel
# code. make demo installs what it needs, builds keel, the board and the
# signed demo image, puts the image in the slots of $(O)/demo/disk.img
# (made once: its etc and var partitions persist across runs) and boots
# it; 127.0.0.1:DEMO_PORT reaches the service's port 80; ctrl-a x quits.
DEMO_PORT ?= 8080
DEMO_OUT := $(O)/demo
demo-y :=
include demo/Kbuild
DEMO_OBJS := $(addprefix $(DEMO_OUT)/,$(demo-y))
$(DEMO_OUT)/keel-demo: $(DEMO_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) -static -s -Wl,--gc-sections -o $@ $^
-include $(DEMO_OBJS:.o=.d)
$(DEMO_OUT)/demo.img: scripts/demo.sh demo/config.json demo/greeting \
		$(DEMO_OUT)/keel-demo $(O)/deps/bin/toybox $(O)/keel
	$(Q)KEEL_VERSION=$(KEEL_VERSION) BOARD=$(BOARD) \
		scripts/demo.sh image $(O)
demo-image: $(DEMO_OUT)/demo.img
demo-disk: all board $(DEMO_OUT)/demo.img
	$(Q)BOARD=$(BOARD) scripts/demo.sh disk $(O)
demo:
	$(Q)scripts/deps.sh demo
	$(Q)$(MAKE) --no-print-directory demo-disk
	$(Q)DEMO_PORT=$(DEMO_PORT) DEMO_TIMEOUT=$(DEMO_TIMEOUT) BOARD=$(BOARD) \
		scripts/demo.sh run $(O)
run-check run-check-qemu: $(DEMO_OUT)/demo.img
.PHONY: demo demo-image demo-disk
# The test tiers need more packages than the build (QEMU, veritysetup,
# clang, the peers): install what is missing first, then build and run.
check check-unit check-host check-qemu fuzz bench:
	$(Q)scripts/deps.sh all
	$(Q)$(MAKE) --no-print-directory run-$@
run-check: all unit-tests
	$(Q)O=$(abspath $(O)) tests/run.sh all
run-check-unit: all unit-tests
	$(Q)O=$(abspath $(O)) tests/run.sh unit
run-check-host: all
	$(Q)O=$(abspath $(O)) tests/run.sh host
run-check-qemu: all
	$(Q)O=$(abspath $(O)) tests/run.sh qemu
run-fuzz: fuzzers
	$(Q)O=$(abspath $(O)) tests/fuzz/run.sh $(FUZZ_SECONDS)
run-bench: all board
	$(Q)O=$(abspath $(O)) tests/bench/run.sh
fmt:
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format -i
clean:
	rm -rf $(O)/keel $(O)/keel-init $(O)/keel-test $(O)/test $(O)/libkeel.a $(O)/fuzz \
		$(addprefix $(O)/,$(TOP_SUBDIRS)) $(addprefix $(O)/host/,$(TOP_SUBDIRS) tests)
distclean:
	rm -rf $(O)
.PHONY: check check-unit check-host check-qemu fuzz bench fmt clean distclean FORCE
.PHONY: run-check run-check-unit run-check-host run-check-qemu run-fuzz run-bench
