# Install rules, man pages, the Debian package and the bundle (docs/install.md).
#
#   cmake --install build [--prefix P]       DESTDIR=... honoured
#   make install PREFIX=P                    the same through the Makefile
#   make deb                                 yagura_VERSION_ARCH.deb (CPack)
include(GNUInstallDirs)

install(TARGETS yagura_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The data folder: ../share/yagura beside bin/, found relative to the binary.
install(DIRECTORY mappings rules analytics intel DESTINATION ${CMAKE_INSTALL_DATADIR}/yagura)
# The configuration and the unit depend on the prefix given at install time
# (cmake --install --prefix, CPack's /usr): /etc and /lib/systemd/system for
# /usr, PREFIX/etc and PREFIX/lib/systemd/system otherwise.
install(CODE "set(YG_SRC \"${CMAKE_SOURCE_DIR}\")\nset(YG_BIN \"${CMAKE_BINARY_DIR}\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(YG_FULL_SYSCONFDIR "/etc")
    set(unitdir "/lib/systemd/system") # Debian 12; usrmerge moves it later
  else()
    set(YG_FULL_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
    set(unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
  set(YG_FULL_BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
  file(READ "${YG_SRC}/packaging/yagura.service" unit)
  string(CONFIGURE "${unit}" unit @ONLY)
  file(WRITE "${YG_BIN}/packaging/yagura.service" "${unit}")
  file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES "${YG_BIN}/packaging/yagura.service")
  file(INSTALL DESTINATION "${YG_FULL_SYSCONFDIR}/yagura" TYPE FILE RENAME yagura.yaml
       FILES "${YG_SRC}/packaging/yagura-default.yaml")
]])
install(FILES packaging/yagura.sysusers DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d
        RENAME yagura.conf)
install(FILES packaging/yagura.tmpfiles DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d
        RENAME yagura.conf)
install(FILES packaging/completion/yagura.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME yagura)
install(FILES packaging/completion/_yagura DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES README.md packaging/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES packaging/yagura.yaml DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME yagura.yaml.example)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
# A native Debian package's changelog.gz (dpkg and lintian expect it).
configure_file(packaging/debian/changelog ${CMAKE_BINARY_DIR}/debian/changelog @ONLY)
execute_process(COMMAND sh -c "gzip -9nc changelog > changelog.gz"
                WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/debian)
install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages: generated from the built binary's --help and from
# docs/watch-config.md on every build that changes either, then gzipped as
# Debian installs them (man reads them as they are).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(YG_MAN_PAGES yagura.1 yagura-hunt.1 yagura-decode.1 yagura-search.1 yagura-metrics.1
    yagura-logons.1 yagura-watch.1 yagura-rules.1
    yagura-incidents.1 yagura-campaigns.1 yagura-serve.1 yagura-intel.1 yagura.yaml.5)
set(YG_MAN_OUT "")
foreach(p ${YG_MAN_PAGES})
  list(APPEND YG_MAN_OUT ${CMAKE_BINARY_DIR}/man/${p} ${CMAKE_BINARY_DIR}/man/${p}.gz)
endforeach()
# (Leak reports are off: in a sanitizer build a report at exit would fail
# the page, not the program.)
add_custom_command(
  OUTPUT ${YG_MAN_OUT}
  COMMAND ${CMAKE_COMMAND} -E env YAGURA_DATA_DIR=${CMAKE_SOURCE_DIR} ASAN_OPTIONS=detect_leaks=0
          ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/manpages.py $<TARGET_FILE:yagura_cli>
          ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/man ${PROJECT_VERSION}
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/man
  DEPENDS yagura_cli ${CMAKE_SOURCE_DIR}/scripts/manpages.py ${CMAKE_SOURCE_DIR}/docs/watch-config.md
  COMMENT "Man pages from --help and docs/watch-config.md")
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/man)
add_custom_target(yagura_man ALL DEPENDS ${YG_MAN_OUT})
foreach(p ${YG_MAN_PAGES})
  string(REGEX REPLACE ".*\\.([0-9])$" "\\1" sec ${p})
  install(FILES ${CMAKE_BINARY_DIR}/man/${p}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
endforeach()

if(YG_STATIC)
  # The binary looks for its libraries in ../lib/yagura first; the install
  # step copies there every library ldd resolves except the C library's own
  # (libc, libm, libpthread, libdl, librt, libresolv, ld-linux), which
  # every glibc system has.  The target system needs glibc at least as new
  # as the build's.
  # DT_RPATH, not DT_RUNPATH: it applies to the libraries' own dependencies
  # too (libcurl's, libssl's), so those come from the bundle as well.
  set_target_properties(yagura_cli PROPERTIES INSTALL_RPATH "$ORIGIN/../lib/yagura"
                                              BUILD_WITH_INSTALL_RPATH ON)
  target_link_options(yagura_cli PRIVATE -Wl,--disable-new-dtags)
  install(CODE [[
    set(bin "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin/yagura")
    set(libdir "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/yagura")
    file(GET_RUNTIME_DEPENDENCIES EXECUTABLES "${bin}"
         RESOLVED_DEPENDENCIES_VAR deps UNRESOLVED_DEPENDENCIES_VAR missing
         PRE_EXCLUDE_REGEXES "^(libc|libm|libpthread|libdl|librt|libresolv|libutil)\\.so" "^ld-linux"
         POST_EXCLUDE_REGEXES "/(libc|libm|libpthread|libdl|librt|libresolv|libutil)\\.so" "/ld-linux")
    if(missing)
      message(FATAL_ERROR "bundle: unresolved libraries: ${missing}")
    endif()
    file(MAKE_DIRECTORY "${libdir}")
    foreach(d ${deps})
      get_filename_component(name "${d}" NAME)
      message(STATUS "Bundling: ${libdir}/${name}")
      file(COPY_FILE "${d}" "${libdir}/${name}" ONLY_IF_DIFFERENT)
    endforeach()
  ]])
endif()

# ---- the Debian package (make deb) -------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "yagura")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(YG_DEB_MAINTAINER "Yagura maintainers <maintainers@yagura.example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${YG_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Sigma detection engine for security logs")
set(CPACK_PACKAGE_DESCRIPTION
    "Yagura runs the Sigma rule language, correlation rules included, over security\n logs: Windows EVTX and its JSON renderings, syslog, firewall and VPN logs,\n cloud audit logs.  It hunts offline (yagura hunt) and runs as a service\n (yagura watch), with incidents, threat intelligence and a TAXII 2.1 server.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/yagura/yagura")
# Library dependencies from dpkg-shlibdeps; passwd for useradd where
# systemd-sysusers is missing.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "systemd")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
# Install with DESTDIR into the staging folder, so /etc and /lib paths land
# where they belong in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
include(CPack)
