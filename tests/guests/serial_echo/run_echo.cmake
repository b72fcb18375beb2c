# cmake -DEMU=<vmlab> -DGUEST=<serial_echo.elf> -DINPUT=<file> -DEXPECT=<status>
#       -DREGEX=<regex on stdout+stderr> [-DARGS=a;b] -P run_echo.cmake
# Boots serial_echo in echo mode with stdin from INPUT and checks the exit status and output.
string(REPLACE "|" ";" args "${ARGS}")
execute_process(
  COMMAND ${EMU} -kernel ${GUEST} -append echo=1 -display none -debugcon null
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ${args}
  INPUT_FILE ${INPUT}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 25)
message("stdout:\n${out}\nstderr:\n${err}")
if(NOT "${status}" STREQUAL "${EXPECT}")
  message(FATAL_ERROR "exit status '${status}', expected ${EXPECT}")
endif()
string(REPLACE "\n" " " both "${out} ${err}")
string(REPLACE "\r" "" both "${both}")
if(NOT both MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match '${REGEX}'")
endif()
