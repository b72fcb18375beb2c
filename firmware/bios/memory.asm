; Memory sizing and the INT 15h "system services", plus INT 11h/12h.
; The E820 map is built by the host (firmware/e820_map.cpp) and read here from the fw_cfg file
; "etc/e820" ({u64 base, u64 length, u32 type} entries, QEMU's format): the same map the ACPI
; and MP tables were placed against, so the two can never disagree.

E820_ENTRY_SIZE equ 20
SMAP            equ 0x534D4150  ; 'SMAP'

; POST: finds the end of the usable RAM that starts at 1 MiB (for E801h/88h) and prints it.
post_memory:
  pushad
  push ds
  mov ax, EBDA_SEG
  mov ds, ax
  mov dword [EBDA_MEM_TOP], 0x100000
  mov word [EBDA_E820_SEL], 0
  mov word [EBDA_E820_COUNT], 0
  mov si, e820_file_name
  call fw_cfg_find_file
  jc .no_map
  mov [EBDA_E820_SEL], ax
  call fw_cfg_select
  mov eax, ecx
  xor edx, edx
  mov ecx, E820_ENTRY_SIZE
  div ecx
  cmp eax, 64
  jbe .count_ok
  mov eax, 64                  ; a corrupt size must not keep us here
.count_ok:
  mov [EBDA_E820_COUNT], ax
  mov ecx, eax
.scan:
  jecxz .print
  call fw_cfg_read_dword       ; base low
  mov ebx, eax
  call fw_cfg_read_dword       ; base high
  mov esi, eax
  call fw_cfg_read_dword       ; length low
  mov edx, eax
  call fw_cfg_read_dword       ; length high
  mov edi, eax
  call fw_cfg_read_dword       ; type
  cmp eax, 1
  jne .next
  cmp ebx, 0x100000
  jne .next
  test esi, esi
  jnz .next
  add ebx, edx                 ; end of the RAM above 1 MiB
  jc .clamp
  test edi, edi
  jz .store
.clamp:
  mov ebx, 0xFFFFF000          ; (cannot happen below 4 GiB; keeps the arithmetic honest)
.store:
  mov [EBDA_MEM_TOP], ebx
.next:
  dec ecx
  jmp .scan
  jmp .print
.no_map:
  mov si, msg_no_e820
  call print_str
.print:
  mov si, msg_memory
  call print_str
  mov eax, [EBDA_MEM_TOP]
  shr eax, 20
  call print_dec32
  mov si, msg_memory_unit
  call print_str
  pop ds
  popad
  ret

msg_memory:      db "Memory: ", 0
msg_no_e820:     db "fw_cfg has no etc/e820: INT 15h E820 will fail", 13, 10, 0
e820_file_name:  db "etc/e820", 0
msg_memory_unit: db " MiB usable below the ACPI tables", 13, 10, 0

int11_equipment:
  push ds
  mov ax, BDA_SEG
  mov ds, ax
  mov ax, [BDA_EQUIPMENT]
  pop ds
  iret

int12_memory_size:
  push ds
  mov ax, BDA_SEG
  mov ds, ax
  mov ax, [BDA_BASE_KIB]
  pop ds
  iret

int15_system:
  sti
  SERVICE_ENTER
  mov ax, EBDA_SEG
  mov fs, ax
  mov eax, [F_EAX]
  cmp eax, 0xE820
  je .e820
  cmp ax, 0xE801
  je .e801
  cmp ah, 0x88
  je .ext_size
  cmp ax, 0x2400
  je .a20_off
  cmp ax, 0x2401
  je .a20_on
  cmp ax, 0x2402
  je .a20_status
  cmp ax, 0x2403
  je .a20_support
  cmp ah, 0x86
  je .wait
  cmp ah, 0xC0
  je .config
  cmp ah, 0x4F
  je .unsupported              ; keyboard intercept: CF set = "process the key normally"
  ; 87h (block move), 89h (protected mode), C1h (EBDA via this call), ...: not implemented.
.unsupported:
  mov F_AH, 0x86
  RETURN_CF_SET
  jmp .leave
.success:
  mov F_AH, 0
  RETURN_CF_CLEAR
.leave:
  SERVICE_LEAVE

.e820:
  ; EBX = continuation (entry index), ES:DI = buffer, ECX = its size, EDX = 'SMAP'.
  cmp dword [F_EDX], SMAP
  jne .unsupported
  cmp dword [F_ECX], E820_ENTRY_SIZE
  jb .unsupported
  movzx eax, word [fs:EBDA_E820_COUNT]
  mov ebx, [F_EBX]
  cmp ebx, eax
  jae .unsupported
  mov esi, eax                 ; count
  mov ax, [fs:EBDA_E820_SEL]
  call fw_cfg_select
  push ebx
  imul ecx, ebx, E820_ENTRY_SIZE
  call fw_cfg_skip_long
  mov es, [F_ES]
  mov di, [F_EDI]
  mov cx, E820_ENTRY_SIZE
  call fw_cfg_read_block
  pop ebx
  inc ebx
  cmp ebx, esi
  jb .more
  xor ebx, ebx                 ; that was the last entry
.more:
  mov [F_EBX], ebx
  mov dword [F_EAX], SMAP
  mov dword [F_ECX], E820_ENTRY_SIZE
  RETURN_CF_CLEAR
  jmp .leave

.e801:
  ; AX = CX = KiB between 1 MiB and 16 MiB, BX = DX = 64 KiB blocks between 16 MiB and the end
  ; of usable RAM.
  mov eax, [fs:EBDA_MEM_TOP]
  mov ebx, eax
  cmp eax, 0x1000000
  jbe .below16
  mov eax, 0x1000000
.below16:
  sub eax, 0x100000
  shr eax, 10
  mov F_AX, ax
  mov F_CX, ax
  xor eax, eax
  sub ebx, 0x1000000
  jbe .no_high
  mov eax, ebx
  shr eax, 16
.no_high:
  mov F_BX, ax
  mov F_DX, ax
  RETURN_CF_CLEAR
  jmp .leave

.ext_size:
  ; AX = KiB above 1 MiB, at most 0xFFFF (64 MiB): the 286-era call.
  mov eax, [fs:EBDA_MEM_TOP]
  sub eax, 0x100000
  shr eax, 10
  cmp eax, 0xFFFF
  jbe .ext_ok
  mov eax, 0xFFFF
.ext_ok:
  mov F_AX, ax
  RETURN_CF_CLEAR
  jmp .leave

.a20_off:
  in al, PORT92
  and al, 0xFC
  out PORT92, al
  ; The 8042's output port also gates A20 (vmlab ORs the two): turn it off there too.
  call kbc_wait_input_empty
  mov al, 0xD1
  out KBC_STATUS, al
  call kbc_wait_input_empty
  mov al, 0xDD
  out KBC_DATA, al
  call kbc_wait_input_empty
  jmp .success
.a20_on:
  in al, PORT92
  or al, 0x02
  and al, 0xFE
  out PORT92, al
  jmp .success
.a20_status:
  call a20_test
  mov F_AL, al
  jmp .success
.a20_support:
  mov F_BX, 0x0003             ; through the keyboard controller and port 92h
  jmp .success

.wait:
  ; CX:DX microseconds. Port 61h bit 4 flips every 15.085 us (the DRAM refresh request): count
  ; flips, as PC BIOSes do, with interrupts on so the clock keeps ticking.
  mov ax, [F_ECX]
  shl eax, 16
  mov ax, [F_EDX]
  xor edx, edx
  mov ecx, 15
  div ecx
  inc eax
  mov ecx, eax
  in al, PORT61
  and al, 0x10
  mov ah, al
.flip:
  in al, PORT61
  and al, 0x10
  cmp al, ah
  je .flip
  mov ah, al
  dec ecx
  jnz .flip
  jmp .success

.config:
  mov F_BX, system_config_table
  mov word [F_ES], 0xF000
  jmp .success

; Skips ECX bytes of the selected fw_cfg item (the E820 entries before the wanted one).
fw_cfg_skip_long:
  push ecx
  push dx
  push ax
  mov dx, FW_CFG_DATA
  jecxz .done
.next:
  in al, dx
  dec ecx
  jnz .next
.done:
  pop ax
  pop dx
  pop ecx
  ret

; AL = 1 if A20 is on: the words at 0000:0500 and FFFF:0510 are the same byte only when the
; address wraps at 1 MiB.
a20_test:
  push ds
  push es
  push bx
  xor ax, ax
  mov ds, ax
  dec ax
  mov es, ax
  mov bx, [0x0500]
  mov word [0x0500], 0x1234
  cmp word [es:0x0510], 0x1234
  jne .differs
  mov word [0x0500], 0x4321
  cmp word [es:0x0510], 0x4321
  jne .differs
  mov [0x0500], bx
  xor al, al
  jmp .out
.differs:
  mov [0x0500], bx
  mov al, 1
.out:
  pop bx
  pop es
  pop ds
  ret

kbc_wait_input_empty:
  push cx
  push ax
  mov cx, 0xFFFF
.poll:
  in al, KBC_STATUS
  test al, 0x02
  jz .done
  loop .poll
.done:
  pop ax
  pop cx
  ret

; INT 15h AH=C0h: the system configuration table (IBM PS/2 BIOS interface).
system_config_table:
  dw 8                         ; bytes that follow
  db 0xFC                      ; model: AT
  db 0x00                      ; submodel
  db 0x01                      ; BIOS revision
  db 0x64                      ; features 1: second PIC, RTC, EBDA allocated
  db 0x40                      ; features 2: INT 16h/09h (extended keyboard) supported
  db 0x00, 0x00, 0x00
