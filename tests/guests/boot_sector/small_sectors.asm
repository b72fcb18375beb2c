; One-sector disks for the BIOS's edge cases (assembled with -DUD, -DKEY or -DEMPTY):
;   EMPTY no 55AA signature: the BIOS says the disk is not bootable and halts
;   UD   the MBR executes UD2: the BIOS reports "invalid opcode (#UD) ... at 0000:7C00" and halts
;   KEY  the MBR reads a key with INT 16h AH=00h (typed on COM1: the test feeds "k" on stdin),
;        echoes it with INT 10h and exits through port 0xF4 with 0 if it was 'k'
bits 16
org 0x7C00
%ifdef UD
  ud2
%endif
%ifdef KEY
  xor ax, ax
  mov ds, ax
  mov ah, 0x01                 ; INT 16h AH=01h must not wait
  int 0x16
  xor ah, ah                   ; INT 16h AH=00h waits for the key
  int 0x16
  mov bl, al
  mov ah, 0x0E
  int 0x10
  mov si, got
.print:
  lodsb
  test al, al
  jz .done
  mov ah, 0x0E
  int 0x10
  jmp .print
.done:
  xor al, al
  cmp bl, 'k'
  je .exit
  mov al, 1
.exit:
  out 0xF4, al
  cli
  hlt
got: db " <- key read through INT 16h", 13, 10, 0
%endif
  times 510 - ($ - $$) db 0
%ifdef EMPTY
  dw 0                         ; no boot signature: not bootable
%else
  dw 0xAA55
%endif
  times 512 * 7 db 0
