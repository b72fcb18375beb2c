; Time: the IRQ 0 tick counter (INT 08h), INT 1Ah time-of-day and real-time-clock calls, and
; the RTC's IRQ 8. INT 1Ah AH=B1h (the PCI BIOS) is forwarded to pci.asm.

; IRQ 0, 18.2 times a second: count ticks since midnight, wrap at 24 h, call the user hook 1Ch.
irq0_timer:
  push eax
  push ds
  mov ax, BDA_SEG
  mov ds, ax
  mov eax, [BDA_TICKS]
  inc eax
  cmp eax, TICKS_PER_DAY
  jb .store
  xor eax, eax
  inc byte [BDA_MIDNIGHT]
.store:
  mov [BDA_TICKS], eax
  int 0x1C
  mov al, 0x20
  out PIC1_CMD, al
  pop ds
  pop eax
  iret

; IRQ 8: read register C so the RTC can interrupt again, then the EOIs.
irq8_rtc:
  push ax
  mov al, 0x0C
  out CMOS_INDEX, al
  in al, CMOS_DATA
  mov al, 0x20
  out PIC2_CMD, al
  out PIC1_CMD, al
  pop ax
  iret

; AL = CMOS register; returns AL = its value.
cmos_read:
  out CMOS_INDEX, al
  in al, CMOS_DATA
  ret

; AL = CMOS register, AH = value.
cmos_write:
  out CMOS_INDEX, al
  xchg al, ah
  out CMOS_DATA, al
  xchg al, ah
  ret

; Waits (boundedly) until the RTC is not in an update cycle (register A bit 7), so a read of
; several registers sees one consistent time.
rtc_wait_not_updating:
  push cx
  push ax
  mov cx, 0xFFFF
.poll:
  mov al, 0x0A
  call cmos_read
  test al, 0x80
  jz .done
  loop .poll
.done:
  pop ax
  pop cx
  ret

int1a_time:
  sti
  SERVICE_ENTER
  mov ax, BDA_SEG
  mov ds, ax
  mov ax, [F_EAX]
  cmp ah, 0xB1
  je .pci
  cmp ah, 0x00
  je .get_ticks
  cmp ah, 0x01
  je .set_ticks
  cmp ah, 0x02
  je .get_time
  cmp ah, 0x03
  je .set_time
  cmp ah, 0x04
  je .get_date
  cmp ah, 0x05
  je .set_date
  RETURN_CF_SET                ; alarm and the rest: not implemented
  jmp .leave
.pci:
  call pci_bios_service        ; pci.asm; sets AH and CF in the frame
  jmp .leave
.get_ticks:
  cli
  mov eax, [BDA_TICKS]
  mov cl, [BDA_MIDNIGHT]
  mov byte [BDA_MIDNIGHT], 0
  sti
  mov F_DX, ax
  shr eax, 16
  mov F_CX, ax
  mov F_AL, cl
  RETURN_CF_CLEAR
  jmp .leave
.set_ticks:
  mov ax, [F_ECX]
  shl eax, 16
  mov ax, [F_EDX]
  cli
  mov [BDA_TICKS], eax
  mov byte [BDA_MIDNIGHT], 0
  sti
  RETURN_CF_CLEAR
  jmp .leave
.get_time:                     ; CH hours, CL minutes, DH seconds (BCD), DL daylight saving
  call rtc_wait_not_updating
  mov al, 0x04
  call cmos_read
  mov F_CH, al
  mov al, 0x02
  call cmos_read
  mov F_CL, al
  mov al, 0x00
  call cmos_read
  mov F_DH, al
  mov al, 0x0B
  call cmos_read
  and al, 0x01
  mov F_DL, al
  RETURN_CF_CLEAR
  jmp .leave
.set_time:
  call rtc_wait_not_updating
  mov al, 0x04
  mov ah, F_CH
  call cmos_write
  mov al, 0x02
  mov ah, F_CL
  call cmos_write
  mov al, 0x00
  mov ah, F_DH
  call cmos_write
  RETURN_CF_CLEAR
  jmp .leave
.get_date:                     ; CH century, CL year, DH month, DL day (BCD)
  call rtc_wait_not_updating
  mov al, 0x32
  call cmos_read
  mov F_CH, al
  mov al, 0x09
  call cmos_read
  mov F_CL, al
  mov al, 0x08
  call cmos_read
  mov F_DH, al
  mov al, 0x07
  call cmos_read
  mov F_DL, al
  RETURN_CF_CLEAR
  jmp .leave
.set_date:
  call rtc_wait_not_updating
  mov al, 0x32
  mov ah, F_CH
  call cmos_write
  mov al, 0x09
  mov ah, F_CL
  call cmos_write
  mov al, 0x08
  mov ah, F_DH
  call cmos_write
  mov al, 0x07
  mov ah, F_DL
  call cmos_write
  RETURN_CF_CLEAR
.leave:
  SERVICE_LEAVE
