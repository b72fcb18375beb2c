# cmake -DELF=file.elf -P check_multiboot.cmake: fails unless a multiboot v1 header (magic
# 0x1BADB002, little endian, 4-byte aligned) appears within the first 8192 bytes of the file.
file(READ ${ELF} head LIMIT 8192 HEX)
string(LENGTH "${head}" len)
set(pos 0)
while(pos LESS len)
  string(SUBSTRING "${head}" ${pos} 8 word)
  if(word STREQUAL "02b0ad1b")
    return()
  endif()
  math(EXPR pos "${pos} + 8")
endwhile()
message(FATAL_ERROR "${ELF}: no multiboot header in the first 8 KiB")
