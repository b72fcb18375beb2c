# cmake -DEMU=vmlab -DGUEST=guest_timer_irq.elf -P check_irqchip_stats.cmake
# timer_irq (PIT IRQ 0 and RTC IRQ 8 through the 8259s) on --kvm-irqchip kernel: the guest
# passes, --stats says the irqchip is in the kernel, and the core neither injected an interrupt
# nor saw a HLT or interrupt-window exit; the PIC's ports never exit. The same guest on the
# user-space irqchip must show the opposite (injections, HLT exits, EOIs on port 0x20).
include(${CMAKE_CURRENT_LIST_DIR}/kvm_irqchip_usable.cmake)
if(KVM_SKIP_REASON)
  message("SKIPPED: ${KVM_SKIP_REASON}")
  return()
endif()
foreach(chip user kernel)
  execute_process(
    COMMAND ${EMU} --backend kvm --kvm-irqchip ${chip} -kernel ${GUEST} -display none -serial stdio
            --stats -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30 INPUT_FILE /dev/null)
  string(REGEX MATCHALL "kvm\\.(exits\\.(io|hlt|irq_window|interrupted)|interrupts_injected|irqchip_kernel) +[0-9]+" lines "${err}")
  message("--kvm-irqchip ${chip}: exit status ${status}\n${out}${lines}")
  if(NOT status EQUAL 1)
    message(FATAL_ERROR "--kvm-irqchip ${chip}: exit status '${status}', expected 1 (guest passed)\n${err}")
  endif()
  set(${chip}_err "${err}")
endforeach()
foreach(re "kvm\\.irqchip_kernel +1\n" "kvm\\.interrupts_injected +0\n" "kvm\\.exits\\.hlt +0\n"
           "kvm\\.exits\\.irq_window +0\n")
  if(NOT kernel_err MATCHES "${re}")
    message(FATAL_ERROR "--kvm-irqchip kernel: --stats lacks '${re}'")
  endif()
endforeach()
if(kernel_err MATCHES "kvm\\.io_exits\\.port\\.0x0020 ")
  message(FATAL_ERROR "--kvm-irqchip kernel: port 0x20 (the PIC) exited to vmlab")
endif()
foreach(re "kvm\\.irqchip_kernel +0\n" "kvm\\.interrupts_injected +[1-9]" "kvm\\.exits\\.hlt +[1-9]"
           "kvm\\.io_exits\\.port\\.0x0020 +[1-9]")
  if(NOT user_err MATCHES "${re}")
    message(FATAL_ERROR "--kvm-irqchip user: --stats lacks '${re}'")
  endif()
endforeach()
