# Installation layout and the Debian package (`cpack -G DEB` in the build directory).
#
# The package installs /usr/bin/gantry, the systemd unit, /etc/gantry/gantry.yaml and
# /etc/logrotate.d/gantry (both conffiles), the man page and the docs; its postinst makes the
# `gantry` system user and /var/log/gantry. The /etc paths are absolute on purpose: they are
# where the unit and logrotate look, whatever the install prefix (GANTRY_SYSCONFDIR moves them
# for an unprivileged `cmake --install`).

set(GANTRY_SYSCONFDIR "/etc" CACHE PATH "Where the config and logrotate files are installed")

# The man page carries the project version; it is installed gzipped, as Debian wants.
configure_file(${PROJECT_SOURCE_DIR}/docs/gantry.8 ${CMAKE_BINARY_DIR}/man/gantry.8 @ONLY)
add_custom_command(
    OUTPUT ${CMAKE_BINARY_DIR}/man/gantry.8.gz
    COMMAND gzip -9nfk ${CMAKE_BINARY_DIR}/man/gantry.8
    DEPENDS ${CMAKE_BINARY_DIR}/man/gantry.8
    COMMENT "Compressing the man page")
add_custom_target(gantry_man ALL DEPENDS ${CMAKE_BINARY_DIR}/man/gantry.8.gz)

install(FILES packaging/gantry.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_BINARY_DIR}/man/gantry.8.gz DESTINATION share/man/man8)
install(FILES docs/operations.md docs/config.md README.md DESTINATION share/doc/gantry)
install(FILES config/gantry.yaml DESTINATION ${GANTRY_SYSCONFDIR}/gantry)
install(FILES packaging/gantry.logrotate DESTINATION ${GANTRY_SYSCONFDIR}/logrotate.d
    RENAME gantry)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gantry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "high-performance reverse proxy and edge gateway")
set(CPACK_PACKAGE_CONTACT "gantry maintainers <gantry@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser | passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)

if(GANTRY_TESTS)
    add_test(NAME "packaging: systemd unit passes systemd-analyze verify"
        COMMAND sh ${PROJECT_SOURCE_DIR}/tests/packaging/verify_unit.sh
            ${PROJECT_SOURCE_DIR}/packaging/gantry.service $<TARGET_FILE:gantry>)
    set_tests_properties("packaging: systemd unit passes systemd-analyze verify" PROPERTIES
        LABELS packaging TIMEOUT 60 SKIP_RETURN_CODE 77)
    add_test(NAME "packaging: the .deb holds the binary, unit, conffiles, user and man page"
        COMMAND sh ${PROJECT_SOURCE_DIR}/tests/packaging/check_deb.sh
            ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR})
    set_tests_properties("packaging: the .deb holds the binary, unit, conffiles, user and man page"
        PROPERTIES LABELS packaging TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
