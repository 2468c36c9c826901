# SPDX-License-Identifier: MIT
# keel's build driver: reads the top-level Kbuild and one Kbuild fragment
# per directory, and builds build/keel-init and build/keel (static, musl).
#
#   make                 both binaries (V=1 shows commands)
#   make ARCH=aarch64    both for arm64 (arm64 is the same), in $(O)/aarch64
#   make BOARD=name ...  the board's architecture (its board.conf arch=)
#   make KEYS=dir        bake another key set in (default: keys/test)
#   make KCFLAGS=...     more compiler flags for keel's own objects
#   make check           every test tier; last line "N passed, N failed"
#   make check-unit | check-fuzz | check-host | check-qemu   one tier
#   make fuzz            libFuzzer targets (FUZZ_SECONDS=60 each)
#   make bench           figures, side by side with the peers
#   make demo            boot the signed demo appliance in QEMU
#   make fmt             clang-format the tree

.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDEXPANSION:

O ?= build
KEYS ?= keys/test
V ?= 0

# --- the target architecture ---------------------------------------------
# ARCH is the CPU keel-init and keel are built for: x86_64 (this machine's)
# or aarch64 (arm64). Given alone it picks the QEMU board of that CPU;
# BOARD alone picks the CPU its board.conf names (arch=). A build for
# another CPU than this machine's goes to $(O)/ARCH (T below) with
# Debian's cross compiler and Debian's musl for that CPU (scripts/
# cross-musl.sh); the host tools ($(O)/keel for images, disks and QEMU,
# unit tests) stay this machine's. T is $(O) for a native build.
HOST_ARCH := $(shell uname -m)
board_arch = $(or $(shell sed -n 's/^arch=//p' board/$(1)/board.conf \
	2>/dev/null),x86_64)
ifneq ($(filter command environment,$(origin ARCH)),)
override ARCH := $(patsubst arm64,aarch64,$(ARCH))
BOARD ?= qemu-$(ARCH)
else
BOARD ?= qemu-x86_64
override ARCH := $(call board_arch,$(BOARD))
endif
ifeq ($(filter x86_64 aarch64,$(ARCH)),)
$(error ARCH=$(ARCH): keel builds for x86_64 and aarch64 (arm64))
endif
ifneq ($(call board_arch,$(BOARD)),$(ARCH))
$(error BOARD=$(BOARD) is for $(call board_arch,$(BOARD)), not ARCH=$(ARCH))
endif
ifeq ($(ARCH),$(HOST_ARCH))
T := $(O)
TCC := musl-gcc
TRUN :=
else
T := $(O)/$(ARCH)
TCC := $(T)/musl/bin/musl-gcc
# The build runs each binary it links (--check-keys): through QEMU's
# user-mode emulator, which runs a static binary of another CPU.
TRUN := qemu-$(ARCH)-static
endif
DEB_ARCH := $(patsubst x86_64,amd64,$(patsubst aarch64,arm64,$(ARCH)))

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
# No unwind tables anywhere (keel's objects, the libraries, the LTO
# link): C without exceptions or backtraces. aarch64's compiler makes
# them by default, 11 KiB of keel-init; on x86_64 2 KiB, all BearSSL's.
NO_UNWIND := -fno-asynchronous-unwind-tables -fno-unwind-tables
# The libraries are linked into the same fixed-address static binaries
# as keel's own code: -fno-pie too (see cflags below).
DEP_CFLAGS := -Os -fno-pie -ffunction-sections -fdata-sections $(NO_UNWIND) \
	-ffile-prefix-map=$(CURDIR)/=
# keel checks a signature on every `keel run IMAGE`, on the launch's
# path: BearSSL's P-256 (ec_p256_m31.c alone) is built again at -O3 for
# keel, which links it first (`make bench`, its P-256 row, has the two
# builds' times; docs/AGENTS.md §5 the size). keel-init keeps -Os (its
# size budget).
DEP_FAST_CFLAGS := $(patsubst -Os,-O3,$(DEP_CFLAGS))
DEPLIBS_keel := deps/lib/libbearssl-p256fast.a
# The flags of a build directory ($(1): $(O) or T): its libraries' headers.
# -flto: keel-init and keel are optimised whole at the link (about 4 KiB
# less keel-init); the archives are written by gcc-ar, which indexes the
# objects' LTO symbols. -fno-pie: every link is -static, a fixed-address
# executable, so the code need not be position-independent (Debian's
# compiler makes it so by default): 2.8 KiB less keel-init on x86_64,
# 1.8 KiB on aarch64.
cflags = -std=gnu11 -Os -flto -fno-pie -ffunction-sections -fdata-sections \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	$(NO_UNWIND) -fno-stack-protector \
	-ffile-prefix-map=$(CURDIR)/= \
	-isystem $(1)/include -I$(O)/gen -Icompat -I. $(KCFLAGS)
CFLAGS := $(call cflags,$(O))
# Per architecture (CFLAGS_<arch>), for keel-init and keel. aarch64: the
# compiler's atomics inline, not through helpers that pick LSE
# instructions at run time (the helpers and their CPU probe: 168 bytes).
CFLAGS_aarch64 := -mno-outline-atomics
# -z noseparate-code: no padding around the code, as the aarch64 linker
# lays out by default; x86_64's default (-z separate-code) pads the code
# to its own pages in the file, 7 KiB of zeros in keel-init (84 KiB on
# aarch64, whose pages may be 64 KiB). scripts/rodata.ld: the read-only
# data in a segment of its own, read-only, where -z noseparate-code
# alone makes one read+execute segment of headers, code and read-only
# data (64 bytes: a program header; docs/AGENTS.md §5 has the layouts).
# -z common-page-size=64: the data segment starts where the code ends
# (modulo the page), never padded to a page boundary in the file to save
# a page of memory: up to 4 KiB of zeros in a file that itself sits in
# RAM (the initramfs), depending on where the code happens to end.
# LD_STRIP= (make LD_STRIP=): the same links with their symbols, for a
# look at which function holds which instructions (tests/host/build.sh).
LD_STRIP ?= -s
LDSCRIPT := scripts/rodata.ld
LDFLAGS := -static $(LD_STRIP) -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,norelro \
	-Wl,-z,noseparate-code -Wl,-T,$(LDSCRIPT) -Wl,-z,common-page-size=64 \
	-flto=2 $(NO_UNWIND)
DEPLIBS := $(O)/deps/lib/libbearssl.a $(O)/deps/lib/liblz4.a
TDEPLIBS := $(T)/deps/lib/libbearssl.a $(T)/deps/lib/liblz4.a
export KEEL_APT_DIR := $(abspath $(O))/apt

# --- flags stamps ---------------------------------------------------------
# An object depends on the stamp of the flags it is built with (a file
# holding them, rewritten only when they change), a binary on that of
# its link flags: a flag change rebuilds exactly what it applies to,
# and a make with the same flags rebuilds nothing. One stamp per set of
# flags: per build directory (so per architecture) and per kind of
# build (the binaries' objects, keel-test's hooked ones, unit tests
# under sanitizers, fuzzers); a flag one Kbuild fragment adds rebuilds
# the whole set. ($(call stamp,COMPILER,FLAGS) is the stamp's recipe.)
# A stamp holds the compiler's identity too, the first line of its
# --version (Debian's package version in it), asked of the whole
# compiler command (a wrapper such as "ccache gcc" answers with its
# compiler's): a compiler upgrade rebuilds what it compiled (LTO objects
# of another GCC do not link).
sq = '$(subst ','\'',$(1))'
cc_id = $(shell $(1) --version 2>/dev/null | head -n 1)
stamp = $(call stamp-write,$(strip $(1) $(2)) / $(call cc_id,$(1)))
stamp-write = mkdir -p $(@D) && { printf '%s\n' $(call sq,$(1)) | \
	cmp -s - $@ || printf '%s\n' $(call sq,$(1)) >$@; }
# Every flag the Kbuild fragments add for architecture $(1): per
# directory (ccflags-y), per object (CFLAGS_<obj>) and per object for
# that architecture only (CFLAGS_<arch>_<obj>).
kbuild-flags = $(foreach v,$(sort $(filter ccflags-% CFLAGS_%,$(.VARIABLES))),\
	$(if $(and $(strip $($(v))),$(filter-out ccflags-y,$(v)),\
	$(or $(filter CFLAGS_$(1)_%,$(v)),\
	$(filter-out $(ALL_ARCHS:%=CFLAGS_%_%),$(v)))),$(v)=$($(v))))
ALL_ARCHS := x86_64 aarch64

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
# The same objects for the target architecture (the same list if native).
tobj = $(patsubst $(O)/%,$(T)/%,$(1))
TLIBOBJS := $(call tobj,$(LIBOBJS))
TALLOBJS := $(call tobj,$(ALLOBJS))

all: $(addprefix $(T)/,$(BINS))
# This machine's keel, for images, disks and QEMU (the same as all's when
# the build is native).
host: $(O)/keel
.PHONY: all host

# --- third-party libraries from Debian source packages -----------------
# Built once per build directory (per architecture) from one source tree.
# The libraries are built again when DEP_CFLAGS or the compiler change
# (deps/flags; the compiler is there once .deps-ok is).
$(O)/deps/flags: FORCE | $(O)/.deps-ok
	$(Q)$(call stamp,$(CC),$(DEP_CFLAGS) / $(DEP_FAST_CFLAGS))
$(O)/deps/lib/libbearssl.a $(O)/deps/lib/liblz4.a: $(O)/deps/lib/lib%.a: $(O)/deps/flags | $(O)/.deps-ok
	$(Q)CC=$(CC) DEP_CFLAGS="$(DEP_CFLAGS)" \
		DEP_FAST_CFLAGS="$(DEP_FAST_CFLAGS)" scripts/build-dep.sh $* $(abspath $(O))
# made with libbearssl.a (build-dep.sh)
$(O)/deps/lib/libbearssl-p256fast.a: $(O)/deps/lib/libbearssl.a ;
# The demo image's userland: static musl toybox with sh (make toybox).
# (TCC is a name on PATH for this machine's CPU, a path in the tree for
# another's: only a path is made absolute)
$(T)/deps/bin/toybox: | $(T)/.deps-ok
	$(Q)CC=$(if $(findstring /,$(TCC)),$(abspath $(TCC)),$(TCC)) \
		$(TOYBOX_ENV) scripts/build-toybox.sh $(abspath $(T))
toybox: $(T)/deps/bin/toybox
.PHONY: toybox
$(O)/.deps-ok:
	$(Q)scripts/deps.sh build
	$(Q)mkdir -p $(@D) && touch $@
ifneq ($(T),$(O))
TAR := $(ARCH)-linux-gnu-gcc-ar
TOYBOX_ENV := STRIP=$(ARCH)-linux-gnu-strip \
	UAPI_ASM=$(abspath $(T))/musl/usr/include/$(ARCH)-linux-gnu/asm
$(T)/deps/flags: FORCE | $(T)/.deps-ok
	$(Q)$(call stamp,$(TCC),$(DEP_CFLAGS) / $(DEP_FAST_CFLAGS))
$(T)/deps/lib/libbearssl.a $(T)/deps/lib/liblz4.a: $(T)/deps/lib/lib%.a: $(T)/deps/flags | $(T)/.deps-ok
	$(Q)CC=$(abspath $(TCC)) AR=$(TAR) DEP_CFLAGS="$(DEP_CFLAGS)" \
		DEP_FAST_CFLAGS="$(DEP_FAST_CFLAGS)" \
		DEP_SRC=$(abspath $(O))/deps/src \
		scripts/build-dep.sh $* $(abspath $(T))
$(T)/deps/lib/libbearssl-p256fast.a: $(T)/deps/lib/libbearssl.a ;
# The cross compiler and Debian's musl for ARCH (never installed).
$(T)/.deps-ok: | $(O)/.deps-ok
	$(Q)scripts/deps.sh cross
	$(Q)scripts/cross-musl.sh $(ARCH) $(abspath $(T))
	$(Q)touch $@
else
TAR := gcc-ar
endif

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
$(ALLOBJS) $(TALLOBJS): | $(O)/gen/keel_version.h

# --- compile and link ----------------------------------------------------
# One set of rules per build directory: $(1) the directory, $(2) its
# compiler, $(3) its architecture (CFLAGS_<arch>_<object> in a Kbuild
# fragment adds flags for one architecture), $(4) its libraries, $(5) how
# to run what it links, $(6) its ar.
define build-rules
$(1)/cflags: FORCE | $(1)/.deps-ok
	$$(Q)$$(call stamp,$(2),$$(call cflags,$(1)) $$(CFLAGS_$(3)) \
		$$(call kbuild-flags,$(3)))
$(1)/ldflags: FORCE | $(1)/.deps-ok
	$$(Q)$$(call stamp,$(2),$$(LDFLAGS))
$(1)/%.o: %.c $(1)/cflags | $(1)/.deps-ok
	$$(call msg,CC,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(call compile,$(1),$(2),$(3))
# The test hooks' builds of some objects (keel-test, keel-init-test
# below): the same flags and -DKEEL_TEST_HOOKS, a stamp of their own.
$(1)/test/cflags: FORCE | $(1)/.deps-ok
	$$(Q)$$(call stamp,$(2),$$(call cflags,$(1)) $$(CFLAGS_$(3)) \
		$$(call kbuild-flags,$(3)) -DKEEL_TEST_HOOKS)
$(1)/test/%.o: %.c $(1)/test/cflags | $(1)/.deps-ok $(4)
	$$(call msg,CC,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(call compile,$(1),$(2),$(3)) -DKEEL_TEST_HOOKS
$(1)/%.o: $(O)/%.c $(1)/cflags | $(1)/.deps-ok
	$$(call msg,CC,$$@)
	@mkdir -p $$(@D)
	$$(Q)$(2) $$(call cflags,$(1)) $$(CFLAGS_$(3)) -MMD -MP -c $$< -o $$@

$(1)/libkeel.a: $$(call objs-in,$(1),$$(LIBOBJS))
	$$(call msg,AR,$$@)
	$$(Q)rm -f $$@ && $(6) rcsD $$@ $$(sort $$^)

# Every binary runs the baked key set's own check when linked: an empty
# key set or a policy that needs no signature fails the build here.
$(1)/keel-init $(1)/keel: $(1)/%: $$$$(call objs-in,$(1),$$$$(BIN_$$$$*)) \
		$(1)/libkeel.a $$$$(addprefix $(1)/,$$$$(DEPLIBS_$$$$*)) $(4) \
		$(1)/ldflags $$(LDSCRIPT)
	$$(call msg,LD,$$@)
	$$(Q)$(2) $$(LDFLAGS) -o $$@.tmp $$(call objs-in,$(1),$$(BIN_$$*)) \
		$(1)/libkeel.a $$(addprefix $(1)/,$$(DEPLIBS_$$*)) $(4)
	$$(Q)$(5) $$@.tmp --check-keys >/dev/null || { rm -f $$@.tmp; \
		echo "keel: build: key set $$(KEYS) refused (see above)" >&2; exit 1; }
	$$(Q)mv $$@.tmp $$@
# keel-init's check has no PEM decoder (ks_check_points): keel's, linked
# first from the same libkeel.a, proves the baked points are the PEM's.
$(1)/keel-init: | $(1)/keel
endef
objs-in = $(patsubst $(O)/%,$(1)/%,$(2))
# The command compiling $< into $@ in build directory $(1) with compiler
# $(2) for architecture $(3): the directory's flags, its Kbuild fragment's
# and the object's ($* is the object's path below $(1)).
compile = $(2) $(call cflags,$(1)) $(ccflags-$(patsubst %/,%,$(dir $*))) \
	$(CFLAGS_$(3)) $(CFLAGS_$(notdir $@)) $(CFLAGS_$(3)_$(notdir $@)) \
	-MMD -MP -c $< -o $@

$(ALLOBJS): | $(DEPLIBS)
$(eval $(call build-rules,$(O),$(CC),$(HOST_ARCH),$(DEPLIBS),,gcc-ar))
-include $(ALLOBJS:.o=.d)
ifneq ($(T),$(O))
$(TALLOBJS): | $(TDEPLIBS)
$(eval $(call build-rules,$(T),$(TCC),$(ARCH),$(TDEPLIBS),$(TRUN),$(TAR)))
-include $(TALLOBJS:.o=.d)
endif

# keel-test: keel with the test hooks of launcher/run_map.c,
# launcher/cmd_app.c and launcher/cmd_installer.c compiled in
# (KEEL_TEST_HOOKS: a pause between the check and the mount; keel app
# crashing on a marked config; the installer's 2 s wait for a stalled
# client), for the host tests only; never installed, never part of `all`.
TEST_HOOKED := $(O)/launcher/run_map.o $(O)/launcher/cmd_app.o \
	$(O)/launcher/cmd_installer.o
TEST_HOOK_OBJS := $(patsubst $(O)/%,$(O)/test/%,$(TEST_HOOKED))
$(O)/keel-test: $(filter-out $(TEST_HOOKED),$(BIN_keel)) $(TEST_HOOK_OBJS) $(O)/libkeel.a \
		$(O)/$(DEPLIBS_keel) $(DEPLIBS) $(O)/ldflags $(LDSCRIPT)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(O)/libkeel.a $(O)/$(DEPLIBS_keel) $(DEPLIBS)
-include $(TEST_HOOK_OBJS:.o=.d)
# keel-init-test: keel-init with the test hooks of init/slot.c (a pause
# between the full check and the mount: tests/host/init_race.sh) and
# init/agent_conf.c (a pause between the open of an agent's keel/ and
# its opaque check: tests/host/agent_conf.sh).
INIT_HOOKED := $(O)/init/slot.o $(O)/init/agent_conf.o
INIT_HOOK_OBJS := $(patsubst $(O)/%,$(O)/test/%,$(INIT_HOOKED))
$(O)/keel-init-test: $(filter-out $(INIT_HOOKED),$(BIN_keel-init)) $(INIT_HOOK_OBJS) $(O)/libkeel.a $(DEPLIBS) $(O)/ldflags \
		$(LDSCRIPT)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(O)/libkeel.a $(DEPLIBS)
-include $(INIT_HOOK_OBJS:.o=.d)
$(TEST_HOOK_OBJS) $(INIT_HOOK_OBJS): | $(O)/gen/keel_version.h
# The target's, for keel run in its QEMU guest (tests/qemu/run_verity.sh).
ifneq ($(T),$(O))
TTEST_HOOK_OBJS := $(patsubst $(O)/%,$(T)/test/%,$(TEST_HOOKED))
$(T)/keel-test: $(call tobj,$(filter-out $(TEST_HOOKED),$(BIN_keel))) \
		$(TTEST_HOOK_OBJS) $(T)/libkeel.a $(TDEPLIBS) $(T)/ldflags $(LDSCRIPT)
	$(call msg,LD,$@)
	$(Q)$(TCC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(T)/libkeel.a $(TDEPLIBS)
-include $(TTEST_HOOK_OBJS:.o=.d)
$(TTEST_HOOK_OBJS): | $(O)/gen/keel_version.h
endif

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

HOST_DEP_CFLAGS := -O2 -g
$(O)/host/deps/flags: FORCE
	$(Q)$(call stamp,$(HOSTCC),$(HOST_DEP_CFLAGS))
$(O)/host/deps/lib/libbearssl.a $(O)/host/deps/lib/liblz4.a: $(O)/host/deps/lib/lib%.a: \
		$(O)/host/deps/flags | $(O)/.deps-ok
	$(Q)CC=$(HOSTCC) DEP_CFLAGS="$(HOST_DEP_CFLAGS)" DEP_SRC=$(abspath $(O))/deps/src \
		scripts/build-dep.sh $* $(abspath $(O))/host
$(HOST_LIBOBJS) $(FUZZ_LIBOBJS): | $(HOST_DEPLIBS)
$(O)/host/cflags: FORCE
	$(Q)$(call stamp,$(HOSTCC),$(HOST_CFLAGS) $(SAN) \
		$(call kbuild-flags,$(HOST_ARCH)))
$(O)/fuzz/cflags: FORCE
	$(Q)$(call stamp,$(HOSTCC),$(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer \
		$(call kbuild-flags,$(HOST_ARCH)))
$(O)/host/%.o: %.c $(O)/host/cflags
	$(call msg,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) $(CFLAGS_$(notdir $@)) \
		$(CFLAGS_$(HOST_ARCH)_$(notdir $@)) -MMD -MP -c $< -o $@
$(O)/host/%.o: $(O)/%.c $(O)/host/cflags
	$(call msg,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -MMD -MP -c $< -o $@
$(O)/fuzz/%.o: %.c $(O)/fuzz/cflags
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link $(CFLAGS_$(notdir $@)) \
		$(CFLAGS_$(HOST_ARCH)_$(notdir $@)) -c $< -o $@
$(O)/fuzz/%.o: $(O)/%.c $(O)/fuzz/cflags
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c $< -o $@
$(O)/host/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(HOST_LIBOBJS) $(HOST_DEPLIBS) \
		$(O)/host/cflags
	$(call msg,HOSTLD,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -o $@ $< $(HOST_LIBOBJS) $(HOST_DEPLIBS)
$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBOBJS) $(HOST_DEPLIBS) $(O)/fuzz/cflags
	$(call msg,FUZZLD,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBOBJS) $(HOST_DEPLIBS)

unit-tests: $(UNIT_TESTS)
fuzzers: $(FUZZERS)
.PHONY: unit-tests fuzzers

# The unit tests for a target of another CPU: static, without sanitizers,
# run under QEMU's user-mode emulator (tests/run.sh) and, for what that
# cannot show (seccomp), booted as the app of the target's QEMU board.
# Compiled with the warnings as errors, linked (LTO) as the binaries are:
# without them, for GCC's maybe-uninitialized guesses across files.
ifneq ($(T),$(O))
TUNIT_TESTS := $(patsubst tests/unit/%.c,$(T)/tests/%,$(wildcard tests/unit/test_*.c))
TUNIT_LDFLAGS := -static -flto=2 $(NO_UNWIND)
$(T)/tests/ldflags: FORCE | $(T)/.deps-ok
	$(Q)$(call stamp,$(TCC),$(TUNIT_LDFLAGS))
$(T)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(T)/libkeel.a $(TDEPLIBS) \
		$(T)/cflags $(T)/tests/ldflags
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(TCC) $(call cflags,$(T)) -c -o $@.o $<
	$(Q)$(TCC) $(TUNIT_LDFLAGS) -o $@ $@.o $(T)/libkeel.a $(TDEPLIBS) && \
		rm -f $@.o
# The QEMU suites' guest userland for the target: Debian's static
# busybox of that architecture, unpacked (the host's is busybox-static).
$(T)/deps/bin/busybox: | $(T)/.deps-ok
	$(Q)mkdir -p $(@D) $(T)/debs/busybox
	$(Q)dpkg-deb -x $$(scripts/fetch-deb.sh $(DEB_ARCH) $(T)/debs \
		busybox-static) $(T)/debs/busybox
	$(Q)cp $(T)/debs/busybox/bin/busybox $@
endif
target-tests: $(TUNIT_TESTS)
.PHONY: target-tests
-include $(HOST_LIBOBJS:.o=.d)

# --- tests, fuzzing, benchmarks, the board -------------------------------
# The isolation probe runs inside containers: static, no keel code in it
# (the target's for QEMU boards of another architecture).
PROBE_SRC := tests/probe/probe.c tests/probe/escape.c tests/probe/escape_sys.c \
	tests/probe/escape_proc.c
PROBE_FLAGS := -static -Os -Wall -Wextra -Werror -Wno-format-truncation -I.
# $(1) the build directory, $(2) its compiler; probe.flags its stamp.
define probe-rules
$(1)/probe.flags: FORCE $(3)
	$$(Q)$$(call stamp,$(2),$$(PROBE_FLAGS))
$(1)/probe: $$(PROBE_SRC) $$(wildcard tests/probe/*.h) $(1)/probe.flags $(3)
	$$(call msg,CC,$$@)
	@mkdir -p $$(@D)
	$$(Q)$(2) $$(PROBE_FLAGS) -o $$@ $$(PROBE_SRC)
endef
$(eval $(call probe-rules,$(O),$(CC)))
ifneq ($(T),$(O))
$(eval $(call probe-rules,$(T),$(TCC),| $(T)/.deps-ok))
endif
run-check run-check-host run-bench: $(O)/probe
run-check run-check-host run-check-qemu: $(O)/keel-test
run-check run-check-host: $(O)/keel-init-test

# The board: Debian's kernel and modules, and the initramfs with keel-init
# (make board). The tiny kernel with everything built in takes ~12 minutes
# (make kernel) and lands as board $(BOARD)-tiny, for keel qemu --board.
# The board's files go next to this machine's keel, which boots them
# (keel qemu --board NAME); keel-init is the board architecture's.
BOARD_OUT := $(O)/board/$(BOARD)
KIMAGE := $(if $(filter aarch64,$(ARCH)),Image,vmlinux)
$(BOARD_OUT)/$(KIMAGE): scripts/fetch-kernel.sh board/$(BOARD)/board.conf | $(O)/.deps-ok
	$(Q)scripts/fetch-kernel.sh $(BOARD) $(abspath $(BOARD_OUT))
$(BOARD_OUT)/board.conf: board/$(BOARD)/board.conf
	$(Q)mkdir -p $(@D) && cp $< $@
$(BOARD_OUT)/initramfs.cpio: scripts/mkinitramfs.sh $(T)/keel-init $(T)/keel \
		$(BOARD_OUT)/$(KIMAGE) board/$(BOARD)/board.conf
	$(Q)scripts/mkinitramfs.sh $(BOARD) $(BOARD_OUT) $(T)/keel-init $@ \
		$(T)/keel
board: $(BOARD_OUT)/initramfs.cpio $(BOARD_OUT)/board.conf
kernel: $(T)/keel-init $(T)/keel
	$(Q)scripts/deps.sh kernel
	$(Q)scripts/build-kernel.sh $(BOARD) $(O)/board/$(BOARD)-tiny
	$(Q)cp board/$(BOARD)/board.conf $(O)/board/$(BOARD)-tiny/board.conf
	$(Q)scripts/mkinitramfs.sh $(BOARD) $(O)/board/$(BOARD)-tiny \
		$(T)/keel-init $(O)/board/$(BOARD)-tiny/initramfs.cpio $(T)/keel
run-check run-check-qemu: board
.PHONY: board kernel

# --- the demo appliance (make demo) --------------------------------------
# keel-demo (demo/Kbuild) is an app like any other: static musl, no keel
# code. make demo installs what it needs, builds keel, the board and the
# signed demo image, puts the image in the slots of $(T)/demo/disk.img
# (made once: its etc and var partitions persist across runs) and boots
# it; 127.0.0.1:DEMO_PORT reaches the service's port 80; ctrl-a x quits.
# The image's binaries are the board architecture's (T), the tools that
# make and boot it this machine's ($(O)/keel).
DEMO_PORT ?= 8080
DEMO_OUT := $(T)/demo
demo-y :=
include demo/Kbuild
DEMO_OBJS := $(addprefix $(DEMO_OUT)/,$(demo-y))
DEMO_LDFLAGS := -static -s -Wl,--gc-sections
$(DEMO_OUT)/ldflags: FORCE | $(T)/.deps-ok
	$(Q)$(call stamp,$(TCC),$(DEMO_LDFLAGS))
$(DEMO_OUT)/keel-demo: $(DEMO_OBJS) $(DEMO_OUT)/ldflags
	$(call msg,LD,$@)
	$(Q)$(TCC) $(DEMO_LDFLAGS) -o $@ $(DEMO_OBJS)
-include $(DEMO_OBJS:.o=.d)
DEMO_ENV = KEEL=$(abspath $(O))/keel KEEL_VERSION=$(KEEL_VERSION) \
	BOARD=$(BOARD) ARCH=$(ARCH) TRUN=$(TRUN)
$(DEMO_OUT)/demo.img: scripts/demo.sh demo/config.json demo/greeting \
		$(DEMO_OUT)/keel-demo $(T)/deps/bin/toybox $(O)/keel
	$(Q)$(DEMO_ENV) scripts/demo.sh image $(T)
demo-image: $(DEMO_OUT)/demo.img
demo-disk: all host board $(DEMO_OUT)/demo.img
	$(Q)$(DEMO_ENV) scripts/demo.sh disk $(T)
demo:
	$(Q)scripts/deps.sh demo
	$(Q)$(MAKE) --no-print-directory demo-disk
	$(Q)DEMO_PORT=$(DEMO_PORT) DEMO_TIMEOUT=$(DEMO_TIMEOUT) $(DEMO_ENV) \
		scripts/demo.sh run $(T)
run-check run-check-qemu: $(DEMO_OUT)/demo.img
.PHONY: demo demo-image demo-disk
# The QEMU boards make check boots, one per CPU. This machine's CPU is
# built by the rules above; another's (its binaries, board, unit tests,
# probe, keel-test, busybox and demo image) by a make of its own.
CHECK_BOARDS := qemu-x86_64 qemu-aarch64
OTHER_BOARDS := $(filter-out qemu-$(HOST_ARCH),$(CHECK_BOARDS))
ifneq ($(T),$(O))
target-check: all board target-tests $(T)/probe $(T)/keel-test \
	$(T)/deps/bin/busybox $(DEMO_OUT)/demo.img
endif
other-boards:
	$(Q)for b in $(OTHER_BOARDS); do $(MAKE) --no-print-directory \
		BOARD=$$b target-check || exit 1; done
.PHONY: target-check other-boards
run-check run-check-unit run-check-host run-check-qemu: other-boards
RUN_ENV = O=$(abspath $(O)) KEEL_QEMU_BOARDS="$(CHECK_BOARDS)"
# The test tiers need more packages than the build (QEMU, veritysetup,
# clang, the peers): install what is missing first, then build and run.
check check-unit check-fuzz check-host check-qemu fuzz bench:
	$(Q)scripts/deps.sh all
	$(Q)$(MAKE) --no-print-directory run-$@
run-check: all unit-tests fuzzers
	$(Q)$(RUN_ENV) tests/run.sh all
run-check-unit: all unit-tests
	$(Q)$(RUN_ENV) tests/run.sh unit
run-check-fuzz: all fuzzers
	$(Q)$(RUN_ENV) tests/run.sh fuzz
run-check-host: all
	$(Q)$(RUN_ENV) tests/run.sh host
run-check-qemu: all
	$(Q)$(RUN_ENV) tests/run.sh qemu
run-fuzz: fuzzers
	$(Q)O=$(abspath $(O)) tests/fuzz/run.sh $(FUZZ_SECONDS)
run-bench: all board
	$(Q)O=$(abspath $(O)) tests/bench/run.sh
fmt:
	$(Q)git ls-files '*.c' '*.h' | xargs clang-format -i
clean:
	rm -rf $(O)/keel $(O)/keel-init $(O)/keel-test $(O)/keel-init-test $(O)/test $(O)/libkeel.a $(O)/fuzz \
		$(O)/cflags $(O)/ldflags $(O)/host/cflags $(O)/probe $(O)/probe.flags \
		$(addprefix $(O)/,$(TOP_SUBDIRS)) $(addprefix $(O)/host/,$(TOP_SUBDIRS) tests)
distclean:
	rm -rf $(O)
.PHONY: check check-unit check-fuzz check-host check-qemu fuzz bench fmt clean distclean FORCE
.PHONY: run-check run-check-unit run-check-fuzz run-check-host run-check-qemu run-fuzz run-bench
