# Packaging: the systemd unit's check now; the .deb (CPack) is added below it.

if(GANTRY_TESTS)
    add_test(NAME "packaging: systemd unit passes systemd-analyze verify"
        COMMAND sh ${PROJECT_SOURCE_DIR}/tests/packaging/verify_unit.sh
            ${PROJECT_SOURCE_DIR}/packaging/gantry.service $<TARGET_FILE:gantry>)
    set_tests_properties("packaging: systemd unit passes systemd-analyze verify" PROPERTIES
        LABELS packaging TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
