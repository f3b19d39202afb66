/*
 * syscalls.c - the syscalls the sensor captures, by this architecture's
 * numbers (from <sys/syscall.h>, so nothing is hard-coded per arch), with
 * where each keeps its path, address, fd, flags and mode. The loader turns
 * this into the kernel's dispatch map; the decoder reads it back. Entries
 * whose SYS_ macro the architecture lacks (open on arm64) are compiled out.
 * execve/execveat are listed for names only: successful execs come from
 * the sched_process_exec tracepoint (the old mm is gone at syscall exit).
 */
#include "sensor/bpf/decode.h"

#include <stddef.h>
#include <sys/syscall.h>

#define N SW_ARG_NONE
#define R SW_ARG_RES
/*                 name          type    path path2 uaddr ulen sockfd special     flags mode fd */
#define S(n, t, p, p2, ua, ul, sf, sp, fl, mo, fd) \
        { SYS_##n, #n, t, p, p2, ua, ul, sf, sp, fl, mo, fd }

const struct sensor_syscall sensor_syscalls[] = {
        S(execve,       EVT_EXECVE,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(execveat,     EVT_EXECVE,  N, N, N, N, N, SW_SP_NONE,    4, N, 0),
#ifdef SYS_open
        S(open,         EVT_OPEN,    0, N, N, N, N, SW_SP_NONE,    1, 2, N),
#endif
#ifdef SYS_creat
        S(creat,        EVT_OPEN,    0, N, N, N, N, SW_SP_NONE,    N, 1, N),
#endif
        S(openat,       EVT_OPEN,    1, N, N, N, N, SW_SP_NONE,    2, 3, 0),
#ifdef SYS_openat2
        S(openat2,      EVT_OPEN,    1, N, N, N, N, SW_SP_OPENAT2, N, N, 0),
#endif
        S(connect,      EVT_CONNECT, N, N, 1, 2, 0, SW_SP_NONE,    N, N, 0),
        S(accept,       EVT_ACCEPT,  N, N, N, N, R, SW_SP_NONE,    N, N, 0),
        S(accept4,      EVT_ACCEPT,  N, N, N, N, R, SW_SP_NONE,    3, N, 0),
        S(bind,         EVT_BIND,    N, N, 1, 2, 0, SW_SP_NONE,    N, N, 0),
        S(listen,       EVT_LISTEN,  N, N, N, N, 0, SW_SP_NONE,    N, N, 0),
        S(socket,       EVT_SOCKET,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(sendto,       EVT_SENDTO,  N, N, 4, 5, 0, SW_SP_NONE,    3, N, 0),
        S(sendmsg,      EVT_SENDMSG, N, N, N, N, 0, SW_SP_NONE,    2, N, 0),
        S(dup,          EVT_DUP,     N, N, N, N, 0, SW_SP_NONE,    N, N, 0),
#ifdef SYS_dup2
        S(dup2,         EVT_DUP,     N, N, N, N, 0, SW_SP_NONE,    N, N, 0),
#endif
        S(dup3,         EVT_DUP,     N, N, N, N, 0, SW_SP_NONE,    2, N, 0),
#ifdef SYS_link
        S(link,         EVT_LINK,    0, 1, N, N, N, SW_SP_NONE,    N, N, N),
#endif
        S(linkat,       EVT_LINK,    1, 3, N, N, N, SW_SP_NONE,    4, N, 0),
#ifdef SYS_symlink
        S(symlink,      EVT_SYMLINK, 0, 1, N, N, N, SW_SP_NONE,    N, N, N),
#endif
        S(symlinkat,    EVT_SYMLINK, 0, 2, N, N, N, SW_SP_NONE,    N, N, 1),
#ifdef SYS_unlink
        S(unlink,       EVT_UNLINK,  0, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(rmdir,        EVT_UNLINK,  0, N, N, N, N, SW_SP_NONE,    N, N, N),
#endif
        S(unlinkat,     EVT_UNLINK,  1, N, N, N, N, SW_SP_NONE,    2, N, 0),
#ifdef SYS_rename
        S(rename,       EVT_RENAME,  0, 1, N, N, N, SW_SP_NONE,    N, N, N),
#endif
        S(renameat,     EVT_RENAME,  1, 3, N, N, N, SW_SP_NONE,    N, N, 0),
        S(renameat2,    EVT_RENAME,  1, 3, N, N, N, SW_SP_NONE,    4, N, 0),
        S(ptrace,       EVT_PTRACE,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(setuid,       EVT_SETUID,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(setreuid,     EVT_SETUID,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(setresuid,    EVT_SETUID,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(setgid,       EVT_SETGID,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(setregid,     EVT_SETGID,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(setresgid,    EVT_SETGID,  N, N, N, N, N, SW_SP_NONE,    N, N, N),
        S(capset,       EVT_CAPSET,  N, N, N, N, N, SW_SP_CAPSET,  N, N, N),
        S(mount,        EVT_MOUNT,   1, 0, N, N, N, SW_SP_NONE,    3, N, N),
        S(init_module,  EVT_INIT_MODULE, N, N, N, N, N, SW_SP_NONE, N, N, N),
        S(finit_module, EVT_INIT_MODULE, N, N, N, N, N, SW_SP_NONE, 2, N, 0),
        S(memfd_create, EVT_MEMFD_CREATE, 0, N, N, N, N, SW_SP_NONE, 1, N, N),
#ifdef SYS_chmod
        S(chmod,        EVT_CHMOD,   0, N, N, N, N, SW_SP_NONE,    N, 1, N),
#endif
        S(fchmod,       EVT_CHMOD,   N, N, N, N, N, SW_SP_NONE,    N, 1, 0),
        S(fchmodat,     EVT_CHMOD,   1, N, N, N, N, SW_SP_NONE,    N, 2, 0),
};

const size_t sensor_nsyscalls = sizeof(sensor_syscalls) / sizeof(sensor_syscalls[0]);

const struct sensor_syscall *sensor_syscall_get(int nr)
{
        for (size_t i = 0; i < sensor_nsyscalls; i++)
                if (sensor_syscalls[i].nr == nr)
                        return &sensor_syscalls[i];
        return NULL;
}

const char *sensor_syscall_name(int nr)
{
        const struct sensor_syscall *s = sensor_syscall_get(nr);
        return s ? s->name : NULL;
}
