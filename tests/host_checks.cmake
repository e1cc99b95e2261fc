# SPDX-License-Identifier: MPL-2.0
# The suite's bracket: a snapshot of kernel resources before any test that could create them,
# and a comparison after all of them (ctest fixtures order these around the other tests).
add_test(NAME leak_check_snapshot
    COMMAND ${PROJECT_SOURCE_DIR}/tools/leak-check.sh snapshot ${CMAKE_BINARY_DIR}/leak-baseline.txt)
set_tests_properties(leak_check_snapshot PROPERTIES FIXTURES_SETUP leaks LABELS host)
add_test(NAME leak_check
    COMMAND ${PROJECT_SOURCE_DIR}/tools/leak-check.sh compare ${CMAKE_BINARY_DIR}/leak-baseline.txt)
set_tests_properties(leak_check PROPERTIES FIXTURES_CLEANUP leaks LABELS host)

if(LUMOS_FUZZ_BIN_DIR)
    add_test(NAME fuzz_payload
        COMMAND ${PROJECT_SOURCE_DIR}/tools/run-fuzz.sh ${LUMOS_FUZZ_BIN_DIR}/payload_fuzz
            ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus 30)
    set_tests_properties(fuzz_payload PROPERTIES LABELS fuzz TIMEOUT 120)
    add_test(NAME fuzz_manifest
        COMMAND ${PROJECT_SOURCE_DIR}/tools/run-fuzz.sh ${LUMOS_FUZZ_BIN_DIR}/manifest_fuzz
            ${PROJECT_SOURCE_DIR}/tests/fuzz/manifest_corpus 20)
    set_tests_properties(fuzz_manifest PROPERTIES LABELS fuzz TIMEOUT 120)
    add_test(NAME fuzz_btrfs_stream
        COMMAND ${PROJECT_SOURCE_DIR}/tools/run-fuzz.sh ${LUMOS_FUZZ_BIN_DIR}/btrfs_stream_fuzz
            ${PROJECT_SOURCE_DIR}/tests/fuzz/btrfs_stream_corpus 20)
    set_tests_properties(fuzz_btrfs_stream PROPERTIES LABELS fuzz TIMEOUT 120)
    add_test(NAME fuzz_metadata
        COMMAND ${PROJECT_SOURCE_DIR}/tools/run-fuzz.sh ${LUMOS_FUZZ_BIN_DIR}/metadata_fuzz
            ${PROJECT_SOURCE_DIR}/tests/fuzz/metadata_corpus 20)
    set_tests_properties(fuzz_metadata PROPERTIES LABELS fuzz TIMEOUT 120)
    add_test(NAME fuzz_zfs_stream
        COMMAND ${PROJECT_SOURCE_DIR}/tools/run-fuzz.sh ${LUMOS_FUZZ_BIN_DIR}/zfs_stream_fuzz
            ${PROJECT_SOURCE_DIR}/tests/fuzz/zfs_stream_corpus 20)
    set_tests_properties(fuzz_zfs_stream PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
