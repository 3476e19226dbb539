# Sourced by test_deb.sh and test_static.sh: both compile the whole program in a tree of their
# own with the same flags (a Release build, testing off); through one compiler cache in the build
# folder, whichever runs second (they share a lock) finds every object compiled.  Paths below
# the source folder are hashed relative to each tree (the trees sit side by side), so both
# trees' compile lines match.  Without ccache the builds simply compile.
YG_PKG_LAUNCHER=""
if command -v ccache > /dev/null 2>&1; then
    export CCACHE_DIR="$B/ccache-pkg" CCACHE_BASEDIR="$SRC" CCACHE_NOHASHDIR=1
    YG_PKG_LAUNCHER="-DCMAKE_C_COMPILER_LAUNCHER=ccache"
fi
