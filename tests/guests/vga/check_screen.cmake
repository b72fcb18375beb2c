# cmake -DEMU=<vmlab> -DGUEST=<guest_vga elf> -DSCREEN=text|vbe -DOUT=<file.ppm>
#       -P check_screen.cmake
# Runs the vga guest on vmlab with --screendump-at-exit and checks pixels of the screen it
# leaves: the text screen (SCREEN=text, guest command line stay=text) or the VBE picture.
# Colours are the standard VGA ones: attribute 0x1E = yellow (FFFF55) on blue (0000AA), etc.
set(ARGS "")
if(SCREEN STREQUAL "text")
  set(ARGS -append stay=text)
endif()
file(REMOVE ${OUT})
execute_process(
  COMMAND ${EMU} -kernel ${GUEST} -display none -serial stdio
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ${ARGS}
          --screendump-at-exit ${OUT}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50 INPUT_FILE /dev/null)
message("${out}${err}")
if(NOT status STREQUAL "1")
  message(FATAL_ERROR "guest failed: exit status '${status}'")
endif()

file(READ ${OUT} header LIMIT 15)
function(expect_pixel width x y want what)
  math(EXPR off "15 + (${y} * ${width} + ${x}) * 3")
  file(READ ${OUT} got OFFSET ${off} LIMIT 3 HEX)
  if(NOT got STREQUAL want)
    message(SEND_ERROR "pixel (${x}, ${y}) ${what}: got ${got}, expected ${want}")
  endif()
endfunction()

if(SCREEN STREQUAL "text")
  if(NOT header STREQUAL "P6\n720 400\n255\n")
    message(FATAL_ERROR "not an 80x25 9x16 text screen: header '${header}'")
  endif()
  expect_pixel(720 0 0 "0000aa" "background of 'v' (attribute 0x1E)")
  expect_pixel(720 0 6 "ffff55" "stroke of 'v'")
  expect_pixel(720 4 21 "ff5555" "full block (0xDB) in light red")
  expect_pixel(720 8 21 "ff5555" "9th dot of a line-graphics character")
  expect_pixel(720 100 40 "aa0000" "row 2, blank on red")
  expect_pixel(720 46 29 "aaaaaa" "cursor (row 1, column 5, line 13)")
  expect_pixel(720 46 28 "000000" "above the cursor")
else()
  if(NOT header STREQUAL "P6\n320 200\n255\n")
    message(FATAL_ERROR "not the 320x200 VBE screen: header '${header}'")
  endif()
  expect_pixel(320 0 0 "000040" "background")
  expect_pixel(320 15 15 "ff0000" "red box")
  expect_pixel(320 31 15 "000040" "right of the box")
  expect_pixel(320 100 199 "00ff00" "green column")
endif()
