# vmlab_add_guest(name src...): builds `name.elf`, a multiboot v1 ELF32 guest, from C and GNU
# assembly sources plus the shared runtime in guests/lib. Guests are freestanding 32-bit code
# built by the host gcc with their own flags (none of the host's warnings-as-errors or
# sanitizer flags: those are set on vmlab_core only). They never use the FPU/SSE.
#
#   vmlab_add_guest(demo main.c)            -> ${CMAKE_CURRENT_BINARY_DIR}/demo.elf
#   vmlab_add_guest(bench_x loop.S DEFINES ITERS=1000)
# Cache variables: the function is called from other directories (tests/guests, bench).
set(VMLAB_GUEST_LIB_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "guest runtime folder")

function(vmlab_add_guest name)
  set(lib ${VMLAB_GUEST_LIB_DIR})
  set(VMLAB_GUEST_RUNTIME ${lib}/start.S ${lib}/trap.S ${lib}/setup.c ${lib}/trap.c
      ${lib}/console.c ${lib}/paging.c ${lib}/string.c)
  set(VMLAB_GUEST_CFLAGS
    -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-builtin
    -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -fcf-protection=none
    -mgeneral-regs-only -O2 -Wall -Wextra)
  cmake_parse_arguments(G "" "" "DEFINES" ${ARGN})
  add_executable(${name} ${G_UNPARSED_ARGUMENTS} ${VMLAB_GUEST_RUNTIME})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf" LINK_DEPENDS ${VMLAB_GUEST_LIB_DIR}/linker.ld)
  target_include_directories(${name} PRIVATE ${VMLAB_GUEST_LIB_DIR})
  target_compile_options(${name} PRIVATE ${VMLAB_GUEST_CFLAGS})
  target_compile_definitions(${name} PRIVATE ${G_DEFINES})
  target_link_options(${name} PRIVATE -m32 -nostdlib -static -no-pie
    -Wl,-T,${VMLAB_GUEST_LIB_DIR}/linker.ld -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)
  target_link_libraries(${name} PRIVATE gcc)  # 64-bit division helpers for printf
  # The multiboot header must sit in the first 8 KiB of the file: check it after linking.
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DELF=$<TARGET_FILE:${name}>
            -P ${VMLAB_GUEST_LIB_DIR}/check_multiboot.cmake
    VERBATIM)
endfunction()
