; INT 10h, video services, for the colour text mode 03h (80x25 at 0xB8000) and mode 13h
; (320x200x256 at 0xA0000; output in that mode goes to COM1 only: there is no font here).
; Only display page 0 is drawn; the page number callers pass is accepted and ignored.
; Every character the teletype function (0Eh) and the string function (13h) print is also sent
; to COM1, so serial-only runs see what the screen shows.

COLS equ 80
ROWS equ 25

; Mode 03h: cleared screen, cursor home, BDA video fields filled in.
video_init:
  mov al, 0x03
  call video_set_mode
  ret

; AL = mode. Modes other than 03h/13h are treated as 03h (02h and 07h look the same to a
; program that only prints text).
video_set_mode:
  push ds
  push es
  push ax
  push cx
  push di
  mov cx, BDA_SEG
  mov ds, cx
  call vbe_disable             ; vbe.asm: back from a VBE mode to VGA timing
  and al, 0x7F                 ; bit 7 = keep the screen contents; we clear anyway
  cmp al, 0x13
  je .gfx
  cmp byte [BDA_VIDEO_MODE], 0x13
  jne .text_regs_ok            ; the VGA powers on in mode 03h: reprogram only after 13h
  call vga_program_mode03
.text_regs_ok:
  mov byte [BDA_VIDEO_MODE], 0x03
  mov ax, VGA_TEXT_SEG
  mov es, ax
  xor di, di
  mov ax, 0x0720               ; space, light grey on black
  mov cx, COLS * ROWS
  rep stosw
  jmp .common
.gfx:
  mov byte [BDA_VIDEO_MODE], 0x13
  call vga_program_mode13      ; vga_modes.asm
  mov ax, VGA_GFX_SEG
  mov es, ax
  xor di, di
  xor ax, ax
  mov cx, 320 * 200 / 2
  rep stosw
.common:
  mov word [BDA_VIDEO_COLS], COLS
  mov word [BDA_VIDEO_PAGESZ], 0x1000
  mov word [BDA_VIDEO_START], 0
  mov byte [BDA_VIDEO_PAGE], 0
  mov word [BDA_CRTC_BASE], 0x3D4
  mov byte [BDA_VIDEO_ROWS], ROWS - 1
  mov byte [BDA_CHAR_HEIGHT], 16
  mov word [BDA_CURSOR_TYPE], 0x0607
  xor di, di
  mov cx, 8
.pages:
  mov word [BDA_CURSOR_POS + di], 0
  add di, 2
  loop .pages
  xor dx, dx
  call video_move_cursor
  pop di
  pop cx
  pop ax
  pop es
  pop ds
  ret

; DH = row, DL = column: stores the cursor of page 0 and moves the hardware cursor (CRTC
; registers 0Eh/0Fh hold the character offset). Preserves every register.
video_move_cursor:
  push ds
  push ax
  push bx
  push dx
  mov ax, BDA_SEG
  mov ds, ax
  mov [BDA_CURSOR_POS], dx
  mov al, dh
  mov bl, COLS
  mul bl
  xor dh, dh
  add ax, dx
  mov bx, ax
  mov dx, 0x3D4
  mov al, 0x0E
  mov ah, bh
  out dx, ax
  mov al, 0x0F
  mov ah, bl
  out dx, ax
  pop dx
  pop bx
  pop ax
  pop ds
  ret

; Teletype: AL = character. CR, LF, BS and BEL act; everything else is drawn at the cursor,
; which advances, wraps and scrolls. Sends the byte to COM1 too. Preserves every register.
tty_putc:
  pusha
  push ds
  push es
  call serial_putc
  mov bx, BDA_SEG
  mov ds, bx
  cmp byte [BDA_VIDEO_MODE], 0x03
  jne .done                    ; graphics mode: serial only
  mov dx, [BDA_CURSOR_POS]     ; DL column, DH row
  cmp al, 13
  je .cr
  cmp al, 10
  je .lf
  cmp al, 8
  je .bs
  cmp al, 7
  je .done
  push ax
  mov bx, VGA_TEXT_SEG
  mov es, bx
  mov al, dh
  mov bl, COLS
  mul bl
  xor bh, bh
  mov bl, dl
  add ax, bx
  shl ax, 1
  mov di, ax
  pop ax
  mov [es:di], al              ; the character; the attribute already there stays
  inc dl
  cmp dl, COLS
  jb .store
  xor dl, dl
  jmp .lf
.cr:
  xor dl, dl
  jmp .store
.bs:
  test dl, dl
  jz .store
  dec dl
  jmp .store
.lf:
  inc dh
  cmp dh, ROWS
  jb .store
  mov dh, ROWS - 1
  push dx
  mov al, 1                    ; scroll the whole screen up one line, blank line grey on black
  mov bh, 0x07
  xor cx, cx
  mov dx, (ROWS - 1) << 8 | (COLS - 1)
  call video_scroll_up
  pop dx
.store:
  call video_move_cursor
.done:
  pop es
  pop ds
  popa
  ret

; Scrolls the window CH,CL (top row, left col) .. DH,DL (bottom row, right col) up by AL lines
; (AL = 0 or more than the window height: clear it); new lines are filled with spaces in
; attribute BH. video_scroll_down does the same downwards.
video_scroll_up:
  push bp
  xor bp, bp                   ; direction: 0 up
  jmp video_scroll
video_scroll_down:
  push bp
  mov bp, 1
video_scroll:
  pusha
  push ds
  push es
  mov si, VGA_TEXT_SEG
  mov ds, si
  mov es, si
  cmp dh, ROWS - 1             ; clip the window to the screen
  jbe .rows_ok
  mov dh, ROWS - 1
.rows_ok:
  cmp dl, COLS - 1
  jbe .cols_ok
  mov dl, COLS - 1
.cols_ok:
  cmp ch, dh
  ja .out
  cmp cl, dl
  ja .out
  ; height = DH - CH + 1; width = DL - CL + 1
  mov ah, dh
  sub ah, ch
  inc ah
  cmp al, 0
  je .clear_all
  cmp al, ah
  jb .have_count
.clear_all:
  mov al, ah
.have_count:
  ; BL = lines to move, BH = fill attribute. Scrolling up walks the rows top-down, each row
  ; taking the one BL below it (or blanks); scrolling down walks bottom-up.
  mov bl, al
  test bp, bp
  jnz .down
  mov al, ch
.up_loop:
  cmp al, dh
  ja .out
  mov ah, al
  add ah, bl
  jc .up_blank
  cmp ah, dh
  ja .up_blank
  call .copy_row
  jmp .up_next
.up_blank:
  call .blank_row
.up_next:
  inc al
  jmp .up_loop
.down:
  mov al, dh
.down_loop:
  mov ah, al
  sub ah, bl
  jc .down_blank
  cmp ah, ch
  jb .down_blank
  call .copy_row
  jmp .down_next
.down_blank:
  call .blank_row
.down_next:
  cmp al, ch
  je .out
  dec al
  jmp .down_loop
.out:
  pop es
  pop ds
  popa
  pop bp
  ret

; Row AH -> row AL, columns CL..DL.
.copy_row:
  pusha
  movzx di, al
  imul di, di, COLS
  movzx si, ah
  imul si, si, COLS
  movzx bx, cl
  add di, bx
  add si, bx
  shl di, 1
  shl si, 1
  movzx cx, dl
  sub cx, bx
  inc cx
  rep movsw
  popa
  ret

; Row AL, columns CL..DL := spaces in attribute BH.
.blank_row:
  pusha
  movzx di, al
  imul di, di, COLS
  movzx si, cl
  add di, si
  shl di, 1
  movzx cx, dl
  sub cx, si
  inc cx
  mov ah, bh
  mov al, ' '
  rep stosw
  popa
  ret

; ---- INT 10h dispatcher ----
int10_video:
  sti
  SERVICE_ENTER
  mov bx, BDA_SEG
  mov ds, bx
  mov ax, [F_EAX]
  cmp ah, 0x00
  je .set_mode
  cmp ah, 0x01
  je .cursor_shape
  cmp ah, 0x02
  je .set_cursor
  cmp ah, 0x03
  je .get_cursor
  cmp ah, 0x05
  je .done                     ; select page: only page 0 is shown
  cmp ah, 0x06
  je .scroll_up
  cmp ah, 0x07
  je .scroll_down
  cmp ah, 0x08
  je .read_char
  cmp ah, 0x09
  je .write_char_attr
  cmp ah, 0x0A
  je .write_char
  cmp ah, 0x0E
  je .teletype
  cmp ah, 0x0F
  je .get_mode
  cmp ah, 0x12
  je .alt_select
  cmp ah, 0x13
  je .write_string
  cmp ah, 0x1A
  je .display_combination
  cmp ah, 0x4F
  je .vbe
  jmp .done                    ; palette, fonts, light pen...: nothing to do in text mode
.set_mode:
  call video_set_mode
  jmp .done
.cursor_shape:
  mov cx, [F_ECX]
  mov [BDA_CURSOR_TYPE], cx
  jmp .done
.set_cursor:
  mov dx, [F_EDX]
  call video_move_cursor
  jmp .done
.get_cursor:
  mov ax, [BDA_CURSOR_POS]
  mov F_DX, ax
  mov ax, [BDA_CURSOR_TYPE]
  mov F_CX, ax
  jmp .done
.scroll_up:
  mov bx, [F_EBX]
  mov cx, [F_ECX]
  mov dx, [F_EDX]
  call video_scroll_up
  jmp .done
.scroll_down:
  mov bx, [F_EBX]
  mov cx, [F_ECX]
  mov dx, [F_EDX]
  call video_scroll_down
  jmp .done
.read_char:
  call .cursor_address
  mov ax, [es:di]
  mov F_AX, ax
  jmp .done
.write_char_attr:              ; AL char, BL attribute, CX times; the cursor stays
  call .cursor_address
  mov cx, [F_ECX]
  mov ah, [F_EBX]
  call .write_run
  jmp .done
.write_char:                   ; AL char, CX times, attributes kept
  call .cursor_address
  mov cx, [F_ECX]
  jcxz .done
.wc_loop:
  cmp di, COLS * ROWS * 2
  jae .done
  mov [es:di], al
  add di, 2
  loop .wc_loop
  jmp .done
.teletype:
  call tty_putc
  jmp .done
.get_mode:
  mov al, [BDA_VIDEO_MODE]
  mov ah, COLS
  mov F_AX, ax
  mov F_BH, 0
  jmp .done
.alt_select:                   ; BL = 10h: EGA/VGA information
  cmp byte [F_EBX], 0x10
  jne .done
  mov F_BX, 0x0003             ; colour, 256 KiB
  mov F_CX, 0
  jmp .done
.write_string:                 ; AL mode, BL attr, CX length, DH/DL position, ES:BP string
  call .write_string_impl
  jmp .done
.display_combination:          ; AL = 0: VGA with analog colour display
  cmp al, 0
  jne .done
  mov F_AL, 0x1A
  mov F_BX, 0x0008
  jmp .done
.vbe:
  call vbe_service             ; vbe.asm
  jmp .done
.done:
  SERVICE_LEAVE

; ES:DI = the cursor's cell on page 0 (text mode).
.cursor_address:
  push ax
  push bx
  mov bx, VGA_TEXT_SEG
  mov es, bx
  mov bx, [BDA_CURSOR_POS]
  movzx di, bh
  imul di, di, COLS
  xor bh, bh
  add di, bx
  shl di, 1
  pop bx
  pop ax
  ret

; AX = attribute:character, CX = count, ES:DI = first cell; stops at the end of the screen.
.write_run:
  jcxz .wr_done
.wr_loop:
  cmp di, COLS * ROWS * 2
  jae .wr_done
  mov [es:di], ax
  add di, 2
  loop .wr_loop
.wr_done:
  ret

; AH=13h. AL bit 0: move the cursor; bit 1: the string alternates character, attribute.
.write_string_impl:
  mov dx, [BDA_CURSOR_POS]
  push dx                      ; the cursor to restore when AL bit 0 is clear
  mov dx, [F_EDX]
  call video_move_cursor
  mov cx, [F_ECX]
  mov si, [F_EBP]
  mov es, [F_ES]
  jcxz .ws_end
.ws_loop:
  mov al, [es:si]
  inc si
  mov bl, [F_EBX]
  test byte [F_EAX], 2
  jz .ws_attr_known
  mov bl, [es:si]
  inc si
.ws_attr_known:
  push es
  ; Draw with the attribute first (tty_putc keeps the cell's attribute), then print.
  cmp al, 13
  je .ws_put
  cmp al, 10
  je .ws_put
  cmp al, 8
  je .ws_put
  cmp al, 7
  je .ws_put
  call .cursor_address
  mov [es:di + 1], bl
.ws_put:
  call tty_putc
  pop es
  loop .ws_loop
.ws_end:
  pop dx
  test byte [F_EAX], 1
  jnz .ws_keep
  call video_move_cursor
.ws_keep:
  ret
