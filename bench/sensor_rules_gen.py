#!/usr/bin/env python3
"""Generate a recorded event file (douane sensor JSON-lines format) with a
realistic mix for the rules throughput benchmark: a few hundred processes
(host and containers) doing file opens (most events), execs, connects,
socket/dup/clone/exit. Deterministic (seeded). Usage: sensor_rules_gen.py N OUT"""
import json, random, sys

n = int(sys.argv[1]); out = sys.argv[2]
rnd = random.Random(42)
CID = "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
names = ["nginx", "python3", "java", "node", "postgres", "redis-server", "bash", "sh", "curl",
         "cat", "ls", "grep", "sshd", "cron", "systemd-journal", "containerd", "dockerd", "ruby",
         "perl", "awk", "sed", "tar", "gzip", "apt-get", "dpkg", "find", "ps", "top", "vim", "less"]
files = ["/etc/hosts", "/etc/resolv.conf", "/etc/passwd", "/usr/lib/x86_64-linux-gnu/libc.so.6",
         "/var/log/syslog", "/tmp/x.tmp", "/proc/self/status", "/etc/ld.so.cache", "/var/lib/app/db",
         "/home/u/.bashrc", "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/UTC",
         "/etc/nginx/nginx.conf", "/dev/null", "/dev/urandom"]
procs = {}
lines = []
def proc(pid, ppid, name, cont):
    return {"pid": pid, "ppid": ppid, "uid": 0 if pid % 3 else 33, "gid": 0, "loginuid": -1,
            "comm": name, "exe": name, "exepath": "/usr/bin/" + name,
            "args": "-c run --opt=%d" % pid, "cwd": "/srv", "container_id": CID if cont else "",
            "tty": 34816 if pid % 17 == 0 else 0}
with open(out, "w") as f:
    f.write(json.dumps({"procs": [proc(1, 0, "systemd", False)]}) + "\n")
    f.write(json.dumps({"container": {"id": CID, "name": "web", "image": "docker.io/library/nginx:1.25",
                                      "image_digest": "sha256:" + "1" * 64, "runtime": "docker"}}) + "\n")
    pids = list(range(100, 400))
    for pid in pids:
        ppid = 1 if pid < 130 else rnd.choice(range(100, pid))
        p = proc(pid, ppid, rnd.choice(names), pid >= 250)
        procs[pid] = p
        f.write(json.dumps({"procs": [p]}, separators=(",", ":")) + "\n")
    ts = 1795410000000000000
    for i in range(n):
        ts += 1000
        pid = rnd.choice(pids)
        p = procs[pid]
        r = rnd.random()
        ev = {"ts": ts, "pid": pid, "tid": pid, "ppid": p["ppid"], "uid": p["uid"], "gid": 0,
              "comm": p["comm"], "container_id": p["container_id"]}
        if r < 0.70:
            # about 1 open in 1000 touches a sensitive file (and alerts)
            path = rnd.choice(["/etc/shadow", "/root/.ssh/id_rsa"]) if rnd.random() < 0.001 else rnd.choice(files)
            flags = rnd.choice([0, 0, 0, 524288, 577, 2])
            if flags in (577, 2) and rnd.random() < 0.999:
                path = rnd.choice(["/tmp/x.tmp", "/var/lib/app/db", "/home/u/.bash_history"])
            ev.update(type="open", syscall=rnd.choice(["openat", "openat", "open", "openat2"]),
                      path=path, flags=flags,
                      res=rnd.choice([3, 4, 5, 6, -2]))
        elif r < 0.80:
            name = rnd.choice(names)
            np = dict(p, comm=name, exe=name, exepath="/usr/bin/" + name, args="-x %d" % i)
            procs[pid] = np
            ev.update(type="execve", syscall="execve", path=np["exepath"], argv=[name, "-x", str(i)],
                      res=0, comm=name, procs=[np])
        elif r < 0.93:
            ev.update(type="connect", syscall="connect", fd=3, sock_family=2, sock_type=1,
                      sip="172.17.0.%d" % (pid % 250), sport=40000 + i % 20000,
                      dip=rnd.choice(["10.0.0.5", "93.184.216.34", "127.0.0.1", "192.168.1.10"]),
                      dport=rnd.choice([443, 80, 5432, 6379, 22, 4444]), res=rnd.choice([0, 0, -115]))
        elif r < 0.96:
            ev.update(type="socket", syscall="socket", sock_family=rnd.choice([2, 10, 1]), sock_type=1, res=5)
        elif r < 0.98:
            ev.update(type="dup", syscall="dup2", fd=4, res=rnd.choice([3, 5, 9, 10]))
        else:
            ev.update(type="clone", syscall="clone", res=0)
        f.write(json.dumps(ev, separators=(",", ":")) + "\n")
