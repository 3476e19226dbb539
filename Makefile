# The two commands of the README:
#   make demo    install dependencies, build, hunt over the bundled example logs
#   make check   install dependencies, build, run the whole test suite
# Everything is CMake underneath; this file only strings the steps together.

BUILD ?= build
ASAN_BUILD ?= build-san
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DYG_WERROR=ON

.PHONY: all setup build demo check test fuzz format clean install deb

all: build

setup:
	scripts/setup.sh

build:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: setup build
	scripts/demo.sh $(BUILD)/yagura

# The whole suite, each test run once where it tells most (labels in tests/CMakeLists.txt):
#   the ordinary build     unit tests, the `release` and `slow` integration tests;
#   the ASan+UBSan build   unit tests, every other integration test, and every fuzz target for
#                          CHECK_FUZZ_SECONDS over its seed corpus (fuzz/);
#   a ThreadSanitizer tree only the threaded tests (label tsan) and what they need.
# The sanitizer trees are built at -O1: the sanitizers' own advice, and several times faster
# than -O0 for the same checks.  Their debug information is line tables only: reports still name
# function, file and line (inlined frames too), and compiling takes a fifth less than with -g
# (src/decode and src/match under ASan/UBSan: 27 s of CPU against 35 s).  scripts/check.sh runs the ordinary build's tests while the
# sanitizer trees build, then the ASan/UBSan and the ThreadSanitizer tests side by side, each
# ctest with CTEST_JOBS (default twice the cores) tests at a time.
# UBSan's pointer-overflow check is left out of the check tree: it is what makes UBSan costly to
# compile (src/decode and src/match: 59 s of compile with it, 35 s without; ASan alone 15 s), and
# what it catches (a pointer computed past the address space's end) ASan reports at the access.
# `make fuzz` and any -DYG_SANITIZE=ON tree keep it.
CHECK_FUZZ_SECONDS ?= 1
CHECK_UBSAN_SKIP ?= pointer-overflow
SAN_FLAGS = -G Ninja $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_FLAGS_DEBUG="-gline-tables-only -O1" \
	    -DCMAKE_CXX_FLAGS_DEBUG="-gline-tables-only -O1"
check: setup build
	cmake -S . -B $(ASAN_BUILD) $(SAN_FLAGS) -DYG_SANITIZE=ON -DYG_FUZZ=ON \
	    -DYG_FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) -DYG_UBSAN_SKIP=$(CHECK_UBSAN_SKIP)
	cmake -S . -B $(TSAN_BUILD) $(SAN_FLAGS) -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
	    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
	JOBS=$(JOBS) scripts/check.sh $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# Install into PREFIX (default /usr/local); DESTDIR is honoured.
PREFIX ?= /usr/local
install:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target yagura_cli yagura_man
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian package yagura_VERSION_ARCH.deb, built with prefix /usr in its
# own build folder (docs/install.md).
DEB_BUILD ?= build-deb
DEB_OUT ?= .
deb:
	cmake -S . -B $(DEB_BUILD) -G Ninja $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
	    -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build $(DEB_BUILD) -j $(JOBS) --target yagura_cli yagura_man
	cd $(DEB_BUILD) && cpack -G DEB
	cp $(DEB_BUILD)/yagura_*.deb $(DEB_OUT)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
