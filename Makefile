# The two commands of the README:
#   make demo    install dependencies, build, hunt over the bundled example logs
#   make check   install dependencies, build, run the whole test suite
# Everything is CMake underneath; this file only strings the steps together.

BUILD ?= build
ASAN_BUILD ?= build-san
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DYG_WERROR=ON

.PHONY: all setup build demo check test test-asan fuzz format clean install deb

all: build

setup:
	scripts/setup.sh

build:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: setup build
	scripts/demo.sh $(BUILD)/yagura

# The whole suite: the release build, the same tests under ASan+UBSan, and
# every fuzz target for a short run (see tests/CMakeLists.txt and fuzz/).
check: setup build
	cmake -S . -B $(ASAN_BUILD) -G Ninja $(CMAKE_FLAGS) -DYG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
	    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DYG_FUZZ=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE slow

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
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
