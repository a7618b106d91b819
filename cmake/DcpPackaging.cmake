# Installation and the Debian package (docs/operations.md, "Installing").
#
#   cmake --install build --prefix /usr      the tools, man pages, completion, examples, unit
#   scripts/package                          build/dcp_<version>_<arch>.deb (CPack)
#
# Man pages are made at build time by help2man from each tool's --help-all and --version;
# bash completion by each tool's --bash-completion (util/cli.h), so both follow the flags.
include(GNUInstallDirs)

set(DCP_TOOLS dcp verifier padder)
set(DCP_TOOL_SUMMARY_dcp "online data-consistency checker for replicated MySQL/MariaDB")
set(DCP_TOOL_SUMMARY_verifier "offline schema and data comparison of a source and a target")
set(DCP_TOOL_SUMMARY_padder "backfill and repair a MySQL/MariaDB target from binlogs or a report")

find_program(HELP2MAN help2man)
set(_generated)
foreach(_tool ${DCP_TOOLS})
  set(_completion ${CMAKE_BINARY_DIR}/completion/${_tool})
  add_custom_command(
    OUTPUT ${_completion}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/completion
    COMMAND $<TARGET_FILE:${_tool}_tool> --bash-completion > ${_completion}
    DEPENDS ${_tool}_tool
    COMMENT "bash completion for ${_tool}")
  list(APPEND _generated ${_completion})
  install(FILES ${_completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  if(HELP2MAN)
    set(_man ${CMAKE_BINARY_DIR}/man/${_tool}.1)
    add_custom_command(
      OUTPUT ${_man}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1
              --help-option=--help-all --version-option=--version
              "--name=${DCP_TOOL_SUMMARY_${_tool}}" --output=${_man} $<TARGET_FILE:${_tool}_tool>
      COMMAND gzip -9nf ${_man}
      DEPENDS ${_tool}_tool
      COMMENT "man page for ${_tool}")
    list(APPEND _generated ${_man}.gz)
    install(FILES ${_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
endforeach()
if(NOT HELP2MAN)
  message(WARNING "help2man not found: no man pages (scripts/setup installs it)")
endif()
add_custom_target(dcp_docs ALL DEPENDS ${_generated})

install(TARGETS dcp_tool verifier_tool padder_tool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES examples/dcp.toml examples/verifier.toml examples/padder.toml README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES contrib/systemd/dcp.service DESTINATION lib/systemd/system)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dcp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "dcp maintainers <dcp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "data-consistency checking for replicated MySQL/MariaDB (dcp, verifier, padder)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/contrib/debian/postinst ${PROJECT_SOURCE_DIR}/contrib/debian/prerm
    ${PROJECT_SOURCE_DIR}/contrib/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
