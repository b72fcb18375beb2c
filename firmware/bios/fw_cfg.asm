; QEMU's fw_cfg, traditional I/O interface: write a 16-bit key to 0x510, then read the item a
; byte at a time from 0x511 (devices/fw_cfg.h).

; AX = key. Preserves every register.
fw_cfg_select:
  push dx
  mov dx, FW_CFG_SEL
  out dx, ax
  pop dx
  ret

; Returns the next byte in AL.
fw_cfg_read_byte:
  push dx
  mov dx, FW_CFG_DATA
  in al, dx
  pop dx
  ret

; Returns the next four bytes (little-endian) in EAX.
fw_cfg_read_dword:
  push dx
  push cx
  mov dx, FW_CFG_DATA
  mov cx, 4
.next:
  in al, dx
  ror eax, 8
  loop .next
  pop cx
  pop dx
  ret

; Reads CX bytes to ES:DI (DI advances).
fw_cfg_read_block:
  push dx
  push cx
  mov dx, FW_CFG_DATA
  jcxz .done
.next:
  in al, dx
  stosb
  loop .next
.done:
  pop cx
  pop dx
  ret

; Skips CX bytes.
fw_cfg_skip:
  push dx
  push cx
  push ax
  mov dx, FW_CFG_DATA
  jcxz .done
.next:
  in al, dx
  loop .next
.done:
  pop ax
  pop cx
  pop dx
  ret

; Looks up a named fw_cfg file. CS:SI = NUL-terminated name. Returns AX = its selector and
; ECX = its size, CF clear; CF set when there is no such file. The directory (key 0x0019) is
; big-endian: u32 count, then 64-byte entries {u32 size, u16 select, u16 reserved, name[56]}.
fw_cfg_find_file:
  push edx
  push ebx
  push di
  mov ax, FWCFG_FILE_DIR
  call fw_cfg_select
  call fw_cfg_read_dword
  bswap eax
  mov ebx, eax                 ; entries left
  cmp ebx, 0x1000
  jbe .entry
  mov ebx, 0x1000              ; more than fw_cfg can hold: stop there
.entry:
  test ebx, ebx
  jz .absent
  dec ebx
  call fw_cfg_read_dword
  bswap eax
  mov ecx, eax                 ; size
  call fw_cfg_read_dword
  xchg al, ah                  ; select (big-endian u16); the reserved half is dropped
  mov di, ax
  ; Compare all 56 name bytes (reading every one keeps the stream at the next entry).
  push si
  push cx
  mov dl, 1                    ; still matching
  mov cx, 56
.name:
  call fw_cfg_read_byte
  test dl, dl
  jz .name_next
  cmp al, [cs:si]
  jne .mismatch
  test al, al
  jnz .advance
  mov dl, 2                    ; matched through the NUL: found
  jmp .name_next
.mismatch:
  xor dl, dl
  jmp .name_next
.advance:
  inc si
.name_next:
  loop .name
  pop cx
  pop si
  cmp dl, 2
  jne .entry
  mov ax, di
  clc
  jmp .out
.absent:
  stc
.out:
  pop di
  pop ebx
  pop edx
  ret
