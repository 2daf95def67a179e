# Helpers that give every module the same shape:
#   tp_library(NAME foo SOURCES a.cc b.cc DEPS tp::core PUBLIC_DEPS ...)
#     -> target tp_foo, alias tp::foo, headers under libs/foo/include
#   tp_test(NAME foo_test SOURCES foo_test.cc DEPS tp::foo LABELS unit)
#     -> a GoogleTest binary registered with ctest
# Warnings are errors on our own targets only.

set(TP_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

function(tp_warnings target)
  target_compile_options(${target} PRIVATE ${TP_WARNINGS})
endfunction()

function(tp_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  set(target tp_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(tp::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    "${CMAKE_CURRENT_SOURCE_DIR}/include")
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  tp_warnings(${target})
endfunction()

# Tests run from the build tree; TP_SOURCE_DIR lets them find vectors and data.
function(tp_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    TP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  tp_warnings(${ARG_NAME})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --gtest_brief=1)
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

function(tp_service_executable)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  tp_warnings(${ARG_NAME})
endfunction()
