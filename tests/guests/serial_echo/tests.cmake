# Serial input end to end with the serial_echo guest (included from tests/guests/CMakeLists.txt).
set(_echo_dir ${CMAKE_CURRENT_SOURCE_DIR}/serial_echo)
set(_echo_in ${CMAKE_CURRENT_BINARY_DIR}/serial_echo_input)
string(ASCII 1 _ctrl_a)
# The first byte is read before the guest runs and sits in RBR until the guest's FCR write
# (entering FIFO mode) clears it - lost, as on real hardware: the leading newline is that byte.
file(WRITE ${_echo_in}_text.txt "\nhello world q")
file(WRITE ${_echo_in}_ctrl_a_x.txt "ab${_ctrl_a}x")
file(WRITE ${_echo_in}_monitor.txt "hi${_ctrl_a}cinfo status\ninfo registers\nxp/2xb 0\nquit\n")
file(WRITE ${_echo_in}_monitor_only.txt "info status\nstop\ninfo status\ncont\nbogus\nquit\n")

function(_serial_echo_test name input expect regex)
  string(JOIN "|" _args ${ARGN})
  add_test(NAME guest_serial_echo_${name}
    COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_serial_echo>
            -DINPUT=${input} -DEXPECT=${expect} "-DREGEX=${regex}" "-DARGS=${_args}"
            -P ${_echo_dir}/run_echo.cmake)
  set_tests_properties(guest_serial_echo_${name} PROPERTIES LABELS guest TIMEOUT 30)
endfunction()

# A pipe on stdin reaches the guest through COM1's receive interrupt; 'q' makes it pass.
_serial_echo_test(pipe ${_echo_in}_text.txt 1 "HELLO WORLD Q.*bye after 13 bytes" -serial stdio)
# Ctrl-A x on stdin quits with status 0, as QEMU.
_serial_echo_test(ctrl_a_x ${_echo_in}_ctrl_a_x.txt 0 "terminated by Ctrl-A x" -serial stdio)
# -serial mon:stdio: Ctrl-A c reaches the monitor, which answers and quits (status 0).
_serial_echo_test(mon_stdio ${_echo_in}_monitor.txt 0
  "VM status: running.*EAX=[0-9a-f]+.*0000000000000000: 0x[0-9a-f][0-9a-f] 0x" -serial mon:stdio)
# -monitor stdio next to a serial port on null: stop / cont / unknown command / quit.
_serial_echo_test(monitor_stdio ${_echo_in}_monitor_only.txt 0
  "VM status: running.*VM status: paused.*unknown command: 'bogus'" -serial null -monitor stdio)

find_program(_python3 python3)
if(_python3)
  add_test(NAME guest_serial_echo_tcp
    COMMAND ${_python3} ${_echo_dir}/tcp_echo.py $<TARGET_FILE:vmlab> $<TARGET_FILE:guest_serial_echo>)
  set_tests_properties(guest_serial_echo_tcp PROPERTIES LABELS guest TIMEOUT 60)
  add_test(NAME guest_serial_echo_tcp_monitor
    COMMAND ${_python3} ${_echo_dir}/tcp_monitor.py $<TARGET_FILE:vmlab> $<TARGET_FILE:guest_serial_echo>)
  set_tests_properties(guest_serial_echo_tcp_monitor PROPERTIES LABELS guest TIMEOUT 60)
endif()
