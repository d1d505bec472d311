#!/usr/bin/env python3
"""Writes the small seed inputs in Fuzz/corpus/image and Fuzz/corpus/config (re-run to regenerate)."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
img = os.path.join(here, "image")
cfg = os.path.join(here, "config")
os.makedirs(img, exist_ok=True)
os.makedirs(cfg, exist_ok=True)

def elf(is64=False, machine=3, segments=((1, 0x100, 0x40),), size=0x400):
    b = bytearray(size)
    b[0:4] = b"\x7fELF"; b[4] = 2 if is64 else 1; b[5] = 1; b[6] = 1
    struct.pack_into("<HHI", b, 16, 2, machine, 1)
    hs, es = (64, 56) if is64 else (52, 32)
    if is64:
        struct.pack_into("<Q", b, 32, hs); struct.pack_into("<HHH", b, 52, hs, es, len(segments))
    else:
        struct.pack_into("<I", b, 28, hs); struct.pack_into("<HHH", b, 40, hs, es, len(segments))
    for i, (t, off, sz) in enumerate(segments):
        at = hs + i * es
        if is64:
            struct.pack_into("<I", b, at, t); struct.pack_into("<Q", b, at + 8, off)
            struct.pack_into("<Q", b, at + 32, sz); struct.pack_into("<Q", b, at + 48, 4)
        else:
            struct.pack_into("<IIIIIIII", b, at, t, off, 0, 0, sz, sz, 7, 4)
    return b

def mb1(b, at, flags=3):
    struct.pack_into("<III", b, at, 0x1BADB002, flags, (-(0x1BADB002 + flags)) & 0xFFFFFFFF)

def mb2(b, at):
    struct.pack_into("<IIII", b, at, 0xE85250D6, 0, 24, (-(0xE85250D6 + 24)) & 0xFFFFFFFF)
    struct.pack_into("<HHI", b, at + 16, 0, 0, 8)

def pvh(b, at):
    struct.pack_into("<III4sI", b, at, 4, 4, 18, b"Xen\0", 0x10000C)

def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))

b = elf(); mb1(b, 0x200); write(img, "multiboot-elf32", b)
b = elf(is64=True, machine=62); mb1(b, 0x200, 0x10003); write(img, "multiboot-elf64-kludge", b)
b = elf(); mb2(b, 0x200); write(img, "multiboot2-elf32", b)
b = elf(is64=True, machine=62, segments=((1, 0x100, 0x40), (4, 0x300, 20))); pvh(b, 0x300); write(img, "pvh-elf64", b)
b = elf(machine=3, segments=((1, 0x100, 0x40), (4, 0x300, 20))); pvh(b, 0x300); mb1(b, 0x200); write(img, "multiboot-pvh-elf32", b)
b = bytearray(0x400); b[510:512] = b"\x55\xaa"; b[0x202:0x206] = b"HdrS"
struct.pack_into("<H", b, 0x206, 0x020F); struct.pack_into("<H", b, 0x236, 1); write(img, "bzimage-header", b)
b = bytearray(512); b[510:512] = b"\x55\xaa"; write(img, "mbr", b)
b = bytearray(104); b[0:4] = b"QFI\xfb"; struct.pack_into(">I", b, 4, 3)
struct.pack_into(">I", b, 20, 16); struct.pack_into(">Q", b, 24, 1 << 20); write(img, "qcow2", b)
write(img, "elf-truncated", elf()[:40])
b = elf(); struct.pack_into("<H", b, 44, 0xFFFF); write(img, "elf-huge-phnum", b)
write(img, "empty", b"")

write(cfg, "full.toml", b'''backend = "qemu"
image_dirs = ["~/unikernels", "images"]
theme = "dark"
scrollback_lines = 10000
stop_timeout = 2.5
console_log_max = "64M"
mouse = false

[libvirt]
uris = ["qemu:///system"]

[qemu]
binary = "qemu-system-x86_64"
accel = "auto"
cpu = "kvm64"
machine = "pc"
''')
write(cfg, "sidecar.toml", b'memory = "64M"\ncpus = 1\nmachine = "pc"\nappend = "console=ttyS0"\ndescription = "x"\n')
write(cfg, "dotted.toml", b'qemu.accel = "tcg"\n"image_dirs" = [\'/x\']\nconsole_log_max = 1048576\n')
write(cfg, "errors.toml", b'scrollback_lines = 5\n[qemu]\naccel = "hvf"\nx = { a = [1, 2.0, 1979-05-27T07:32:00Z] }\n')
write(cfg, "syntax.toml", b'theme = "unterminated\n[[a]]\nb = \'\'\'multi\nline\'\'\'\n')
