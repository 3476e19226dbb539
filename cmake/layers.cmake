# The layers of the engine, bottom first (docs/architecture.md, "Layers").
#
# Each layer is one static library built from the folders listed for it.  A
# layer's sources see the headers of its own folders and of the layers below
# it, and nothing else: their include root (build/layers/<layer>/) holds links
# to exactly those folders, so an include that goes up a layer fails to
# compile.  Each library links the layer below it and the system libraries its
# own folders use, so a program that embeds only the lower layers (yagura_scan)
# does not link libcurl, libmicrohttpd or SQLite.
#
# tests/integration/test_layers.py reads this list: it walks the #include
# graph of src/ and fails on a cycle between folders or an include that goes
# up, and checks that docs/architecture.md shows the same order.
set(YG_LAYERS core decode match correlate incident campaign detector engine io watch)
set(YG_LAYER_core core)
set(YG_LAYER_decode decode)
set(YG_LAYER_match sigma intel match)
set(YG_LAYER_correlate geo correlate)
set(YG_LAYER_incident store incident)
set(YG_LAYER_campaign campaign)
set(YG_LAYER_detector detector)
set(YG_LAYER_engine engine)
set(YG_LAYER_io output http ingest taxii console)
set(YG_LAYER_watch watch)
# The system libraries each layer's own folders use.
set(YG_LAYER_DEPS_core PkgConfig::YAML PkgConfig::SSL Threads::Threads m)
set(YG_LAYER_DEPS_decode PkgConfig::ZLIB)
set(YG_LAYER_DEPS_match PkgConfig::PCRE2 PkgConfig::HS PkgConfig::LIBZIP PkgConfig::SSL)
set(YG_LAYER_DEPS_correlate PkgConfig::MAXMINDDB)
set(YG_LAYER_DEPS_incident PkgConfig::SQLITE)
set(YG_LAYER_DEPS_campaign m)
set(YG_LAYER_DEPS_detector)
set(YG_LAYER_DEPS_engine PkgConfig::ZLIB PkgConfig::ZSTD)
set(YG_LAYER_DEPS_io PkgConfig::MHD PkgConfig::CURL PkgConfig::SSL PkgConfig::ZLIB)
set(YG_LAYER_DEPS_watch PkgConfig::RDKAFKA)
