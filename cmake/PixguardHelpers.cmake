# Helpers that keep module, test and benchmark targets uniform.

# Flags applied to every pixguard target (not to third-party code).
function(pixguard_target_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # librdkafka's RD_KAFKA_V_* macros type-check with ({ ... }); clang reports it where the
    # macro is used. g++ -Wpedantic still catches statement expressions in our own code.
    target_compile_options(${target} PRIVATE -Wno-gnu-statement-expression)
  endif()
  if(PIXGUARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(PIXGUARD_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                           -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(PIXGUARD_FUZZ)
    # Coverage and comparison tracing for libFuzzer; without libFuzzer linked in (tests, the
    # CLI) the sanitizer runtime's no-op hooks take the calls.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# pixguard_add_module(<name> SOURCES ... [DEPS ...]) -> static library pixguard_<name>,
# alias pixguard::<name>, headers included as "<module>/<header>.h" from src/.
function(pixguard_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(pixguard_${name} STATIC ${ARG_SOURCES})
  add_library(pixguard::${name} ALIAS pixguard_${name})
  target_include_directories(pixguard_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(pixguard_${name} PUBLIC ${ARG_DEPS})
  pixguard_target_flags(pixguard_${name})
endfunction()

# pixguard_add_test(<name> SOURCES ... [DEPS ...]) -> a GoogleTest binary registered with ctest.
function(pixguard_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  pixguard_target_flags(${name})
  target_compile_definitions(${name} PRIVATE PIXGUARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "PIXGUARD_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# pixguard_add_fuzzer(<name> SOURCES ... [DEPS ...]) -> a libFuzzer binary (PIXGUARD_FUZZ only).
function(pixguard_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})  # "fuzz/<header>.h"
  pixguard_target_flags(${name})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()

# pixguard_add_bench(<name> SOURCES ... [DEPS ...]) -> a Google Benchmark binary (not run by ctest).
function(pixguard_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  pixguard_target_flags(${name})
endfunction()
