# cmake -DEMU=vmlab -DGUEST=<x.elf> [-DARGS=a;b] -DOUT=<dir> -DNAME=<name> -P same_on_bt.cmake
# The interpreter is the reference: the guest runs in deterministic time on --backend interp
# and on --backend bt (every block translated at once), and both runs must print the same
# serial output, exit with the same status and end with the same counters: instructions,
# interrupts, exceptions, page walks, I/O by port, device bytes (every --stats-json counter
# except host time and the technique's own: bt.*, interp.*, decode-cache and chaining counts).
foreach(backend interp bt)
  set(extra --backend ${backend})
  if(backend STREQUAL "bt")
    list(APPEND extra --bt-hot-runs 1)
  endif()
  execute_process(
    COMMAND ${EMU} ${extra} -kernel ${GUEST} -display none -serial stdio --deterministic
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
            --stats-json ${OUT}/same_on_bt_${NAME}_${backend}.json ${ARGS}
    RESULT_VARIABLE status_${backend} OUTPUT_VARIABLE out_${backend} ERROR_VARIABLE err TIMEOUT 25
    INPUT_FILE /dev/null)
  file(STRINGS ${OUT}/same_on_bt_${NAME}_${backend}.json lines)
  set(counters_${backend} "")
  foreach(l IN LISTS lines)
    if(NOT l MATCHES "seconds|mips|\"bt\\.|\"interp\\.|decode_cache|chain|^[{}]")
      string(REGEX REPLACE ",$" "" l "${l}")
      string(APPEND counters_${backend} "${l}\n")
    endif()
  endforeach()
endforeach()
message("interp: status ${status_interp}\n${out_interp}")
if(NOT status_interp STREQUAL status_bt)
  message(FATAL_ERROR "exit status: interp ${status_interp}, bt ${status_bt}")
endif()
if(NOT out_interp STREQUAL out_bt)
  message(FATAL_ERROR "serial output differs; bt printed:\n${out_bt}")
endif()
if(NOT counters_interp STREQUAL counters_bt)
  message(FATAL_ERROR "counters differ:\ninterp:\n${counters_interp}\nbt:\n${counters_bt}")
endif()
string(REGEX MATCH "run.instructions\": [0-9]+" n "${counters_bt}")
message("same on bt: serial output, exit status ${status_bt} and counters (${n})")
