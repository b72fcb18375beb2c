# ctest tests of the teaching kernel (label `kernel`), included from ../CMakeLists.txt:
#   kernel_session_interp      shell commands from the kernel command line (script=...)
#   kernel_session_interp_stdin the same typed into COM1 through vmlab's stdin
#   kernel_session_kvm          the command-line session on --backend kvm (skips with a reason)
#   kernel_faults_interp        acceptance 4: bad user programs are killed, the kernel goes on
#   kernel_no_argument_boot     acceptance 1: `vmlab` with no guest boots this kernel
# Each passes when vmlab exits 0 (ACPI power-off) and the output matches the checks below.
set(_kt ${CMAKE_CURRENT_BINARY_DIR}/tests)
set(_nb "[0-9]+\\.[0-9] [0-9]+\\.[0-9] ")   # nb <name> <ns> <insns> then exits
set(_session_checks
  "vmlab reports technique: interp \\(id 0\\)"
  "PID +PPID +STATE +PAGES +NAME"
  "1 +0 +run +[0-9]+ +sh"
  # a child forktest is listed: waiting for its slice, or already done when the host was slow
  # enough that the timer preempted the parent before its ps (the parent itself is 'run')
  "[0-9]+ +[0-9]+ +(ready|zombie) +[0-9]+ +forktest"
  "forktest: ok"
  "nb_units ns"
  "nb syscall_int80 ${_nb}0\\.00" "nb syscall_sysenter ${_nb}0\\.00" "nb in ${_nb}0\\.00"
  "nb tprwr ${_nb}0\\.00" "nb callret ${_nb}0\\.00" "nb pgfault ${_nb}0\\.00"
  "nb divzero ${_nb}0\\.00" "nb ptemod ${_nb}0\\.00" "nb forkwait ${_nb}0\\.00"
  "nb cpuloop ${_nb}0\\.00"
  "bench: done"
  "kernel: power off")
string(REPLACE ";" "\n" _text "${_session_checks}")
file(WRITE ${_kt}/session_checks.txt "${_text}\n")
# On kvm the technique is 3 and the exit counts come from the KVM core (or '-').
list(TRANSFORM _session_checks REPLACE "interp \\\\\\(id 0\\\\\\)" "kvm \\\\(id 3\\\\)")
list(TRANSFORM _session_checks REPLACE "^nb_units ns$" "nb_units (ns|tsc)")
list(TRANSFORM _session_checks REPLACE "^nb ([a-z0-9_]+) .*" "nb \\1 [0-9]+\\\\.[0-9] [-0-9.]+ [-0-9.]+")
string(REPLACE ";" "\n" _text "${_session_checks}")
file(WRITE ${_kt}/session_checks_kvm.txt "${_text}\n")
file(WRITE ${_kt}/faults_checks.txt
  "killed pid [0-9]+ \\(faults\\): general protection \\(#GP\\)\n"
  "killed pid [0-9]+ \\(faults\\): page fault \\(#PF\\) at 00100000: touched kernel memory\n"
  "killed pid [0-9]+ \\(faults\\): divide error \\(#DE\\)\n"
  "faults: 3 of 3 children killed, the kernel is still running\n"
  "hello from pid [0-9]+, argument 'still alive'\n"
  "kernel: power off\n")
# Typed input: the first byte may be lost to the UART's reset, hence the leading newline.
file(WRITE ${_kt}/session_input.txt "\nps\nforktest\nbench quick\npoweroff\n")

file(WRITE ${_kt}/session_append.txt "script=ps;forktest;bench quick;poweroff\n")
file(WRITE ${_kt}/faults_append.txt "script=faults;hello still alive;poweroff\n")
function(_kernel_test name checks)
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DKERNEL=$<TARGET_FILE:kernel>
            -DCHECKS=${checks} ${ARGN} -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/run_session.cmake)
  set_tests_properties(${name} PROPERTIES LABELS kernel TIMEOUT 120 SKIP_REGULAR_EXPRESSION "SKIPPED:")
endfunction()
_kernel_test(kernel_session_interp ${_kt}/session_checks.txt -DAPPEND_FILE=${_kt}/session_append.txt)
_kernel_test(kernel_session_interp_stdin ${_kt}/session_checks.txt -DINPUT=${_kt}/session_input.txt)
_kernel_test(kernel_session_kvm ${_kt}/session_checks_kvm.txt -DAPPEND_FILE=${_kt}/session_append.txt -DKVM=1)
_kernel_test(kernel_faults_interp ${_kt}/faults_checks.txt -DAPPEND_FILE=${_kt}/faults_append.txt)
file(WRITE ${_kt}/no_argument_checks.txt
  "vmlab teaching kernel: [0-9]+ KiB free, running on vmlab, technique interp\n"
  "command line: [^ ]*guests/kernel/kernel.elf\n"
  "\\$ help\nbuilt in: help ps mem poweroff\n"
  "kernel: power off\n")
file(WRITE ${_kt}/no_argument_input.txt "\nhelp\npoweroff\n")
_kernel_test(kernel_no_argument_boot ${_kt}/no_argument_checks.txt -DNO_KERNEL=1
             -DINPUT=${_kt}/no_argument_input.txt)

# The keyboard: keys typed with the monitor's sendkey reach the shell (python3 paces them).
find_program(_kernel_python3 python3)
if(_kernel_python3)
  add_test(NAME kernel_keyboard_input
    COMMAND ${_kernel_python3} ${CMAKE_CURRENT_SOURCE_DIR}/tests/keyboard.py
            $<TARGET_FILE:vmlab> $<TARGET_FILE:kernel>)
  set_tests_properties(kernel_keyboard_input PROPERTIES LABELS kernel TIMEOUT 60)
endif()

# The same kernel on QEMU (no vmlab CPUID signature, no vmlab MSRs: TSC ticks), when installed.
find_program(_kernel_qemu qemu-system-i386)
if(_kernel_qemu)
  file(WRITE ${_kt}/qemu_checks.txt
    "vmlab shell - not on vmlab\n"
    "forktest: ok\n"
    "nb_units tsc\n"
    "nb syscall_sysenter [0-9]+\\.[0-9] - -\n"
    "nb forkwait [0-9]+\\.[0-9] - -\n"
    "bench: done\n"
    "kernel: power off\n")
  add_test(NAME kernel_session_qemu
    COMMAND ${CMAKE_COMMAND} -DEMU=${_kernel_qemu} -DKERNEL=$<TARGET_FILE:kernel>
            -DCHECKS=${_kt}/qemu_checks.txt -DAPPEND_FILE=${_kt}/session_append.txt
            -P ${CMAKE_CURRENT_SOURCE_DIR}/tests/run_session.cmake)
  set_tests_properties(kernel_session_qemu PROPERTIES LABELS kernel_qemu TIMEOUT 120)
endif()
