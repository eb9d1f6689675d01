# Runs a command as on a machine that has neither unprivileged user namespaces nor Landlock:
# a seccomp filter, inherited by every process the command starts, refuses unshare() and
# clone() with CLONE_NEWUSER with EPERM (as Docker's default profile does; clone3 gets ENOSYS,
# so libc falls back to clone), and Landlock's syscalls with ENOSYS (as a kernel before 5.13
# does). Usage: python3 weak-kernel.py COMMAND [ARGS...]
import ctypes, os, struct, sys

if os.uname().machine != 'x86_64':
    sys.exit('weak-kernel.py knows the syscall numbers of x86-64 only')
libc = ctypes.CDLL(None, use_errno=True)
ins = lambda code, k, jt=0, jf=0: struct.pack('=HBBI', code, jt, jf, k)
LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
prog = [
    ins(LD, 4), ins(JEQ, 0xC000003E, 1, 0), ins(RET, ALLOW),  # other architectures: leave alone
    ins(LD, 0),
    ins(JEQ, 272, 0, 1), ins(RET, EPERM),  # unshare
    ins(JEQ, 435, 0, 1), ins(RET, ENOSYS),  # clone3
    ins(JEQ, 56, 0, 4), ins(LD, 16), ins(JSET, 0x10000000, 0, 1), ins(RET, EPERM), ins(RET, ALLOW),  # clone(CLONE_NEWUSER)
    ins(JGE, 444, 0, 3), ins(JGE, 447, 2, 0), ins(RET, ENOSYS),  # landlock_create_ruleset .. restrict_self
    ins(RET, ALLOW), ins(RET, ALLOW),
]
code = b''.join(prog)
buf = ctypes.create_string_buffer(code)
fprog = struct.pack('=HxxxxxxQ', len(prog), ctypes.addressof(buf))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) != 0:
    sys.exit('weak-kernel.py: seccomp: ' + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
