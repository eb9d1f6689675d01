// The Python program that every sandboxed call starts with. It locks itself down with the
// kernel's own mechanisms, reached through ctypes so that no native build is needed, and
// only then runs the model's code:
//   - namespaces tier: it is PID 1 of fresh user, mount, PID, network, IPC and UTS
//     namespaces (made by `unshare`); it builds a new root of read-only system folders, a
//     size-capped tmpfs for /work, /tmp and /dev/shm, its own /proc, pivots into it and
//     drops every capability;
//   - bwrap tier: bubblewrap has made the same namespaces and root (tiers.ts), and its own
//     PID 1 ends everything in them when this process exits;
//   - landlock tier: a supervisor (a child subreaper that reaps and kills every descendant,
//     and watches the folder's size) forks the runner, which restricts itself with Landlock
//     to the system folders (read) and its own folder (read-write);
//   - every tier with seccomp: sockets, ptrace, io_uring, mounts, new namespaces and signals
//     to other processes are refused by a seccomp filter.
// The code arrives on stdin, the settings as JSON in argv[1]. A failure to set up exits 125
// with one line starting `agent-tune-sandbox:` on stderr, so the caller can tell it apart
// from the code's own errors.
export const SANDBOX_SETUP_FAILED = 125;
export const SANDBOX_MARKER = 'agent-tune-sandbox:';
/** Exit status of a call stopped for writing more than its disk quota (landlock tier). */
export const SANDBOX_QUOTA_EXCEEDED = 124;

export const BOOTSTRAP = String.raw`
import os, sys, json, ctypes, struct, time, signal, errno as E
cfg = json.loads(sys.argv[1])
code = b''
while True:
    chunk = os.read(0, 1 << 16)
    if not chunk:
        break
    code += chunk
code = code.decode('utf-8', 'replace')
_null = os.open('/dev/null', os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def fail(stage, err):
    sys.stderr.write('${SANDBOX_MARKER} %s: %s\n' % (stage, err))
    sys.stderr.flush()
    os._exit(${SANDBOX_SETUP_FAILED})
def check(r, what):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (what, os.strerror(e)))
    return r
def sc(nr, *args):
    return libc.syscall(ctypes.c_long(nr), *args)
ARCH = os.uname().machine
MB = 1 << 20
L = cfg['limits']

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
def mount(src, tgt, fs, flags, data=None):
    b = lambda s: s.encode() if s is not None else None
    check(libc.mount(b(src), b(tgt), b(fs), ctypes.c_ulong(flags), b(data)), 'mount %s' % tgt)
def bind_ro(path, root):
    target = root + path
    if os.path.islink(path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    elif os.path.exists(path):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, 'a').close()
    else:
        return
    mount(path, target, None, MS_BIND | MS_REC)
    st = os.statvfs(path).f_flag
    keep = st & (MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048) | ((1 << 21) if st & 4096 else 0)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | keep)

def build_root():
    # A new root on a small tmpfs, holding only what the code needs; the host's stays out of reach.
    mount(None, '/', None, MS_REC | MS_PRIVATE)
    root = '/tmp'
    mount('tmpfs', root, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=1m,mode=755')
    for p in cfg['readonly']:
        bind_ro(p, root)
    os.makedirs(root + '/dev', exist_ok=True)
    for n in ('null', 'zero', 'full', 'random', 'urandom'):
        open(root + '/dev/' + n, 'a').close()
        mount('/dev/' + n, root + '/dev/' + n, None, MS_BIND)
    for n, t in (('fd', '/proc/self/fd'), ('stdin', '/proc/self/fd/0'), ('stdout', '/proc/self/fd/1'), ('stderr', '/proc/self/fd/2')):
        os.symlink(t, root + '/dev/' + n)
    quota = 'size=%dm,nr_inodes=%d' % (L['disk_mb'], 4096)
    for d, size in (('/work', quota + ',mode=755'), ('/tmp', quota + ',mode=1777'), ('/dev/shm', 'size=%dm,mode=1777' % L['shm_mb'])):
        os.makedirs(root + d, exist_ok=True)
        mount('tmpfs', root + d, 'tmpfs', MS_NOSUID | MS_NODEV, size)
    os.makedirs(root + '/proc', exist_ok=True)
    try:
        mount('proc', root + '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass  # a /proc with masked parts cannot be mounted again: the code gets none
    os.chdir(root)
    os.mkdir('.old')
    check(sc(155 if ARCH == 'x86_64' else 41, b'.', b'.old'), 'pivot_root')
    check(libc.umount2(b'/.old', 2), 'umount old root')
    os.rmdir('/.old')
    try:
        mount(None, '/', None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    except OSError:
        pass
    os.chdir('/work')

def drop_caps():
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; fails past the last capability
    hdr = struct.pack('=Ii', 0x20080522, 0)
    check(sc(126 if ARCH == 'x86_64' else 91, hdr, bytes(24)), 'capset')

def landlock(workdir):
    abi = sc(444, None, 0, 1)
    if abi < 1 or not cfg['landlock']:
        raise OSError(E.ENOSYS, 'Landlock is not available in this kernel')
    fs_all = (1 << 13) - 1 if abi == 1 else (1 << 14) - 1 if abi == 2 else (1 << 15) - 1 if abi < 5 else (1 << 16) - 1
    file_rights = fs_all & (1 | 2 | 4 | (1 << 14) | (1 << 15))
    net = 3 if abi >= 4 else 0
    scoped = 3 if abi >= 6 else 0  # abstract Unix sockets and signals outside the domain
    attr = struct.pack('=QQQ', fs_all, net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    rs = check(sc(444, attr, len(attr), 0), 'landlock_create_ruleset')
    def allow(path, access):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not os.path.isdir(path):
            access &= file_rights
        check(sc(445, rs, 1, struct.pack('=Qi', access & fs_all, fd), 0), 'landlock_add_rule %s' % path)
        os.close(fd)
    for p in cfg['readonly']:
        allow(p, 1 | 4 | 8)
    allow('/dev/null', 2 | 4 | (1 << 14))
    for n in ('zero', 'random', 'urandom'):
        allow('/dev/' + n, 4)
    allow(workdir, fs_all)
    check(libc.prctl(38, 1, 0, 0, 0), 'no_new_privs')
    check(sc(446, rs, 0), 'landlock_restrict_self')
    return abi

# Syscall numbers: x86_64, aarch64.
NR = {
    'socket': (41, 198), 'ptrace': (101, 117), 'process_vm_readv': (310, 270), 'process_vm_writev': (311, 271),
    'kill': (62, 129), 'tkill': (200, 130), 'tgkill': (234, 131), 'rt_sigqueueinfo': (129, 138), 'rt_tgsigqueueinfo': (297, 240),
    'mount': (165, 40), 'umount2': (166, 39), 'pivot_root': (155, 41), 'chroot': (161, 51), 'unshare': (272, 97), 'setns': (308, 268),
    'bpf': (321, 280), 'perf_event_open': (298, 241), 'keyctl': (250, 219), 'add_key': (248, 217), 'request_key': (249, 218),
    'userfaultfd': (323, 282), 'clone': (56, 220), 'open_by_handle_at': (304, 265), 'kexec_load': (246, 104),
    'init_module': (175, 105), 'finit_module': (313, 273), 'acct': (163, 89),
}
for n, nr in (('pidfd_send_signal', 424), ('io_uring_setup', 425), ('io_uring_enter', 426), ('io_uring_register', 427), ('open_tree', 428),
              ('move_mount', 429), ('fsopen', 430), ('fsconfig', 431), ('fsmount', 432), ('fspick', 433), ('pidfd_getfd', 438), ('mount_setattr', 442)):
    NR[n] = (nr, nr)

def seccomp(restrict_signals):
    if ARCH not in ('x86_64', 'aarch64'):
        raise OSError(E.ENOSYS, 'no seccomp filter for %s' % ARCH)
    i = 0 if ARCH == 'x86_64' else 1
    audit_arch = 0xc000003e if i == 0 else 0xc00000b7
    ALLOW, KILL = 0x7fff0000, 0x80000000
    err = lambda e: 0x00050000 | e
    ins = lambda code, k, jt=0, jf=0: struct.pack('=HBBI', code, jt, jf, k)
    LD, JEQ, JSET, JGE, RET = 0x20, 0x15, 0x45, 0x35, 0x06
    p = [ins(LD, 4), ins(JEQ, audit_arch, 1, 0), ins(RET, KILL), ins(LD, 0)]
    if i == 0:
        p += [ins(JGE, 0x40000000, 0, 1), ins(RET, err(E.ENOSYS))]  # x32 calls
    p += [ins(JEQ, 435, 0, 1), ins(RET, err(E.ENOSYS))]  # clone3: its flags cannot be read, so libc falls back to clone
    deny = ['socket', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'mount', 'umount2', 'pivot_root', 'chroot', 'unshare', 'setns',
            'bpf', 'perf_event_open', 'keyctl', 'add_key', 'request_key', 'userfaultfd', 'open_by_handle_at', 'kexec_load', 'init_module',
            'finit_module', 'acct', 'pidfd_send_signal', 'pidfd_getfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
            'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr']
    if restrict_signals:
        deny += ['tkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo']
    for n in deny:
        p += [ins(JEQ, NR[n][i], 0, 1), ins(RET, err(E.EPERM))]
    # New namespaces through clone's flags.
    p += [ins(JEQ, NR['clone'][i], 0, 4), ins(LD, 16), ins(JSET, 0x7E020080, 0, 1), ins(RET, err(E.EPERM)), ins(RET, ALLOW)]
    if restrict_signals:
        me = os.getpid()
        # kill and tgkill reach the caller itself only: its process group holds the supervisor,
        # which the trainer kills together with everything left in the group.
        p += [ins(LD, 0), ins(JEQ, NR['kill'][i], 0, 4), ins(LD, 16), ins(JEQ, me, 1, 0), ins(RET, err(E.EPERM)), ins(RET, ALLOW)]
        p += [ins(LD, 0), ins(JEQ, NR['tgkill'][i], 0, 4), ins(LD, 16), ins(JEQ, me, 1, 0), ins(RET, err(E.EPERM)), ins(RET, ALLOW)]
    p.append(ins(RET, ALLOW))
    prog = b''.join(p)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack('=HxxxxxxQ', len(p), ctypes.addressof(buf))
    check(libc.prctl(38, 1, 0, 0, 0), 'no_new_privs')
    check(libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0), 'seccomp')

def procs_of(uid):
    n = 0
    for d in os.listdir('/proc'):
        try:
            n += d.isdigit() and os.stat('/proc/' + d).st_uid == uid
        except OSError:
            pass
    return n

def limits(nproc):
    import resource as r
    def lim(name, v):
        k = getattr(r, name, None)
        if k is not None:
            try:
                r.setrlimit(k, (v, v + (1 if name == 'RLIMIT_CPU' else 0)))
            except (ValueError, OSError):
                pass
    lim('RLIMIT_AS', L['memory_mb'] * MB)
    lim('RLIMIT_CPU', L['cpu_s'])
    lim('RLIMIT_NPROC', nproc)
    lim('RLIMIT_FSIZE', L['file_size_mb'] * MB)
    lim('RLIMIT_CORE', 0)
    lim('RLIMIT_NOFILE', 256)

def python_guard():
    # The weakest tier only: refuse sockets and new processes inside Python. Code can get around it.
    spawn = ('os.fork', 'os.forkpty', 'os.posix_spawn', 'os.spawn', 'os.exec', 'os.system', 'subprocess.Popen', 'ctypes.dlopen')
    def guard(event, args):
        if event.startswith('socket.') and event != 'socket.gethostname':
            raise PermissionError('network access is disabled in execute_python_code')
        if os.getuid() == 0 and event.startswith(spawn):
            raise PermissionError('starting processes is disabled in execute_python_code')
    sys.addaudithook(guard)

def lock_down(workdir, nproc):
    tier = cfg['tier']
    limits(nproc)
    if tier == 'namespaces':
        drop_caps()
    if tier == 'landlock':
        landlock(workdir)
    if tier in ('namespaces', 'bwrap', 'landlock', 'seccomp'):
        own_pid_ns = tier in ('namespaces', 'bwrap')
        try:
            seccomp(not own_pid_ns)
        except OSError as e:
            if not own_pid_ns:
                raise
    if tier == 'rlimits':
        python_guard()

def run_code():
    import traceback
    sys.argv = ['main.py']
    try:
        c = compile(code, 'main.py', 'exec')
    except SyntaxError as e:
        sys.stderr.write(''.join(traceback.format_exception_only(type(e), e)))
        sys.exit(1)
    g = {'__name__': '__main__', '__file__': 'main.py', '__builtins__': __builtins__}
    try:
        exec(c, g)
    except SystemExit:
        raise
    except BaseException as e:
        sys.stdout.flush()
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        sys.exit(1)

def status_of(st):
    return 128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)

def children():
    out = []
    try:
        for t in os.listdir('/proc/self/task'):
            with open('/proc/self/task/%s/children' % t) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out

def kill_all():
    # Orphans come to this subreaper, so killing children until none remain ends every descendant.
    for _ in range(200):
        kids = children()
        if not kids:
            try:
                while os.waitpid(-1, os.WNOHANG)[0] > 0:
                    pass
            except ChildProcessError:
                return
            if not children():
                return
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.002)

def disk_use(path):
    total = 0
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
        except OSError:
            pass
    return total

def supervise(runner, workdir):
    # The landlock and seccomp tiers have no PID namespace: this process reaps and ends every descendant.
    status = None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    quota = L['disk_mb'] * MB
    next_check = 0
    while not stop:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == runner:
            status = status_of(st)
            break
        if pid:
            continue
        now = time.monotonic()
        if now >= next_check:
            next_check = now + 0.05
            if disk_use(workdir) > quota:
                status = ${SANDBOX_QUOTA_EXCEEDED}
                break
        time.sleep(0.005)
    kill_all()
    os._exit(137 if status is None else status)

def main():
    tier = cfg['tier']
    workdir = cfg.get('workdir')
    nproc = L['max_processes']
    try:
        if tier == 'namespaces':
            build_root()
            workdir = '/work'
        elif tier == 'bwrap':
            workdir = '/work'
            os.chdir(workdir)
        else:
            os.chdir(workdir)
            if sys.platform.startswith('linux'):
                if os.getuid() != 0 and not cfg.get('fresh_uid'):
                    nproc += procs_of(os.getuid())
                libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        with open('main.py', 'w', encoding='utf-8') as f:
            f.write(code)
    except OSError as e:
        fail('setup', e)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            lock_down(workdir, nproc)
        except OSError as e:
            os.write(w, ('%s' % e).encode())
            os._exit(${SANDBOX_SETUP_FAILED})
        os.close(w)
        if cfg['mode'] == 'probe':
            print(json.dumps({'ok': True, 'landlock_abi': max(0, sc(444, None, 0, 1)) if tier == 'landlock' else None}))
            sys.stdout.flush()
            os._exit(0)
        run_code()
        sys.exit(0)
    os.close(w)
    why = b''
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        why += chunk
    os.close(r)
    if why:
        os.waitpid(pid, 0)
        fail('lock down', why.decode('utf-8', 'replace'))
    if tier in ('namespaces', 'bwrap'):
        # PID 1 (or bwrap's child): reap everything; when the runner ends, leaving ends the namespace and all in it.
        while True:
            try:
                p, st = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(137)
            if p == pid:
                os._exit(status_of(st))
    supervise(pid, workdir)

main()
`;
