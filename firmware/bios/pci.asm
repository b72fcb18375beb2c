; PCI: configuration mechanism #1 (0xCF8 address, 0xCFC data), the POST enumeration of bus 0,
; and the real-mode PCI BIOS (INT 1Ah AX=B1xxh, PCI BIOS specification 2.1).
;
; Enumeration gives every BAR an address (I/O from 0xC000, memory from 0xE0000000, each
; aligned to its size), turns decoding and bus mastering on, routes PIRQA-D to ISA IRQs
; 10, 10, 11, 11 through the PIIX3 (registers 60h-63h, levels in the ELCR) and writes each
; function's IRQ into its interrupt line register (3Ch). The board wires INTx# of slot `dev` to
; PIRQ (intx + dev - 1) mod 4, as the i440FX reference board (and QEMU) do.

; BH = bus, BL = device << 3 | function, DI = register: EAX = the address for 0xCF8.
pci_address:
  movzx eax, bx
  shl eax, 8
  push di
  and di, 0xFC
  or ax, di
  pop di
  or eax, 0x80000000
  ret

; Reads: EAX / AX / AL = register DI of BX. Preserve everything else.
pci_read32:
  push dx
  call pci_address
  mov dx, 0xCF8
  out dx, eax
  mov dx, 0xCFC
  in eax, dx
  pop dx
  ret
pci_read16:
  push dx
  call pci_address
  mov dx, 0xCF8
  out dx, eax
  mov dx, di
  and dx, 2
  add dx, 0xCFC
  in ax, dx
  pop dx
  ret
pci_read8:
  push dx
  call pci_address
  mov dx, 0xCF8
  out dx, eax
  mov dx, di
  and dx, 3
  add dx, 0xCFC
  in al, dx
  pop dx
  ret

; Writes: ECX / CX / CL to register DI of BX. Preserve everything but EAX.
pci_write32:
  push dx
  call pci_address
  mov dx, 0xCF8
  out dx, eax
  mov dx, 0xCFC
  mov eax, ecx
  out dx, eax
  pop dx
  ret
pci_write16:
  push dx
  call pci_address
  mov dx, 0xCF8
  out dx, eax
  mov dx, di
  and dx, 2
  add dx, 0xCFC
  mov ax, cx
  out dx, ax
  pop dx
  ret
pci_write8:
  push dx
  call pci_address
  mov dx, 0xCF8
  out dx, eax
  mov dx, di
  and dx, 3
  add dx, 0xCFC
  mov al, cl
  out dx, al
  pop dx
  ret

pci_init:
  pushad
  push fs
  mov ax, EBDA_SEG
  mov fs, ax
  mov word [fs:EBDA_PCI_IO], PCI_IO_BASE
  mov dword [fs:EBDA_PCI_MEM], PCI_MEM_BASE
  ; PIIX3 (00:01.0) PIRQ route control registers.
  mov bx, 0x0008
  mov di, 0x60
  mov ecx, PIRQA_IRQ | PIRQB_IRQ << 8 | PIRQC_IRQ << 16 | PIRQD_IRQ << 24
  call pci_write32
  ; PCI interrupts are level triggered; so is the ACPI SCI (IRQ 9).
  mov dx, ELCR2
  in al, dx
  or al, (1 << (9 - 8)) | (1 << (PIRQA_IRQ - 8)) | (1 << (PIRQC_IRQ - 8))
  out dx, al
  xor bx, bx                   ; bus 0, device 0, function 0
.function:
  xor di, di
  call pci_read32
  cmp ax, 0xFFFF
  jne .present
  test bl, 7
  jnz .advance
  or bl, 7                     ; no function 0: no device in this slot
  jmp .advance
.present:
  call pci_setup_function
  test bl, 7
  jnz .advance
  mov di, 0x0E
  call pci_read8
  test al, 0x80                ; multi-function device?
  jnz .advance
  or bl, 7
.advance:
  inc bl
  jnz .function
  pop fs
  popad
  ret

; BX = a present function, FS = EBDA.
pci_setup_function:
  pushad
  ; The PIIX3 IDE function decodes its legacy ports only with IDETIM bit 15 set.
  xor di, di
  call pci_read32
  cmp eax, 0x70108086
  jne .not_piix_ide
  mov di, 0x40
  mov cx, 0x8000
  call pci_write16
  mov di, 0x42
  call pci_write16
.not_piix_ide:
  mov di, 0x0E
  call pci_read8
  and al, 0x7F
  jnz .interrupt               ; bridges: their windows are not set up (bus 0 only)
  mov di, 0x10
.bar:
  mov ecx, 0xFFFFFFFF
  call pci_write32
  call pci_read32              ; the bits that stay 0 give the size
  test eax, eax
  jz .next_bar
  test al, 1
  jnz .io_bar
  ; Memory BAR: size = ~(mask & ~0xF) + 1.
  mov edx, eax
  and eax, 0xFFFFFFF0
  neg eax
  jz .next_bar
  mov ecx, [fs:EBDA_PCI_MEM]
  dec eax
  add ecx, eax
  not eax
  and ecx, eax                 ; aligned up to the size
  not eax
  inc eax
  push eax
  call pci_write32
  pop eax
  add ecx, eax
  mov [fs:EBDA_PCI_MEM], ecx
  and dl, 0x06
  cmp dl, 0x04                 ; 64-bit BAR: the next one holds the high half
  jne .next_bar
  add di, 4
  xor ecx, ecx
  call pci_write32
  jmp .next_bar
.io_bar:
  and eax, 0xFFFFFFFC
  neg eax
  and eax, 0xFFFF
  jz .next_bar
  movzx ecx, word [fs:EBDA_PCI_IO]
  dec eax
  add ecx, eax
  not eax
  and ecx, eax
  not eax
  inc eax
  push eax
  call pci_write32
  pop eax
  add ecx, eax
  mov [fs:EBDA_PCI_IO], cx
.next_bar:
  add di, 4
  cmp di, 0x24
  jbe .bar
  ; Decode I/O and memory, allow bus mastering.
  mov di, 0x04
  call pci_read16
  or ax, 0x0007
  mov cx, ax
  call pci_write16
.interrupt:
  mov di, 0x3D
  call pci_read8               ; interrupt pin: 0 none, 1-4 INTA#-INTD#
  test al, al
  jz .done
  cmp al, 4
  ja .done
  dec al
  mov ah, bl
  shr ah, 3                    ; device number
  add al, ah
  dec al
  and al, 3                    ; PIRQ
  movzx si, al
  mov cl, [cs:pirq_irq + si]
  mov di, 0x3C
  call pci_write8
.done:
  popad
  ret

pirq_irq: db PIRQA_IRQ, PIRQB_IRQ, PIRQC_IRQ, PIRQD_IRQ

; ---- INT 1Ah AH=B1h: the PCI BIOS (called with the INT 1Ah frame in BP) ----
pci_bios_service:
  mov al, F_AL
  cmp al, 0x01
  je .present
  cmp al, 0x02
  je .find_device
  cmp al, 0x03
  je .find_class
  cmp al, 0x08
  je .read8
  cmp al, 0x09
  je .read16
  cmp al, 0x0A
  je .read32
  cmp al, 0x0B
  je .write8
  cmp al, 0x0C
  je .write16
  cmp al, 0x0D
  je .write32
  mov ah, 0x81                 ; function not supported (BIOS32, IRQ routing options, ...)
  jmp .status
.present:
  mov F_AL, 0x01               ; configuration mechanism #1
  mov F_BX, 0x0210             ; version 2.10
  mov F_CL, 0                  ; last bus
  mov dword [F_EDX], 0x20494350   ; "PCI "
  mov dword [F_EDI], 0         ; no protected-mode entry point
  xor ah, ah
  jmp .status
.find_device:
  ; CX = device id, DX = vendor id, SI = index among the matches.
  mov edx, [F_ECX]
  shl edx, 16
  mov dx, [F_EDX]
  xor di, di
  jmp .find
.find_class:
  ; ECX = class code (24 bits), SI = index: compared with register 08h >> 8.
  mov edx, [F_ECX]
  and edx, 0x00FFFFFF
  mov di, 0x08
.find:
  mov si, [F_ESI]
  xor bx, bx
.scan:
  call pci_read32
  cmp di, 0x08
  jne .compare
  shr eax, 8
.compare:
  cmp eax, edx
  jne .scan_next
  test si, si
  jz .found
  dec si
.scan_next:
  inc bl
  jnz .scan
  mov ah, 0x86                 ; device not found
  jmp .status
.found:
  mov F_BX, bx
  xor ah, ah
  jmp .status
.read8:
  call .args
  call pci_read8
  mov F_CL, al
  jmp .ok
.read16:
  call .args
  test di, 1
  jnz .bad_register
  call pci_read16
  mov F_CX, ax
  jmp .ok
.read32:
  call .args
  test di, 3
  jnz .bad_register
  call pci_read32
  mov [F_ECX], eax
  jmp .ok
.write8:
  call .args
  call pci_write8
  jmp .ok
.write16:
  call .args
  test di, 1
  jnz .bad_register
  call pci_write16
  jmp .ok
.write32:
  call .args
  test di, 3
  jnz .bad_register
  call pci_write32
  jmp .ok
.bad_register:
  mov ah, 0x87
  jmp .status
.ok:
  xor ah, ah
.status:
  mov F_AH, ah
  test ah, ah
  jz .cf_clear
  RETURN_CF_SET
  ret
.cf_clear:
  RETURN_CF_CLEAR
  ret
; BX = bus/devfn, DI = register (checked: below 256), ECX = the value to write.
.args:
  mov bx, [F_EBX]
  mov di, [F_EDI]
  and di, 0xFF
  mov ecx, [F_ECX]
  ret
