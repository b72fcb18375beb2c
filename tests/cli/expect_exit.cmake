# Runs ${VMLAB} with ${ARGS} ("|"-separated) and checks the exit status is exactly
# ${EXPECT_STATUS} and the output matches ${EXPECT_REGEX}.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${VMLAB} ${args}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
if(NOT "${status}" STREQUAL "${EXPECT_STATUS}")
  message(FATAL_ERROR "vmlab ${args}: exit status '${status}', expected ${EXPECT_STATUS}\n"
                      "stdout:\n${out}\nstderr:\n${err}")
endif()
string(REPLACE "\n" " " both "${err} ${out}")
if(NOT both MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "vmlab ${args}: output does not match '${EXPECT_REGEX}'\n"
                      "stdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "ok: status ${status}")
