# Tests of shmq-bench (included from tools/shmq-bench/CMakeLists.txt when SHMQ_BUILD_TESTS).
# CMake records add_test only where testing is enabled: the top level must call
# enable_testing() before add_subdirectory(tools) for this test to be registered.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME shmq_bench_smoke
  COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/smoke.py $<TARGET_FILE:shmq-bench>)
set_tests_properties(shmq_bench_smoke PROPERTIES LABELS concurrency TIMEOUT 120)
