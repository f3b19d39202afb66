#!/usr/bin/python3
"""pools.py - version pools and pair lists for the vercmp reference vectors.

Real version strings come from this machine (dpkg-query) and from the shared
feeds (../shared/feeds: Debian, PyPI and Go OSV bundles, Alpine secdb), plus
synthetic strings that exercise each ecosystem's traps. From a pool we draw
pairs: identical pairs, pairs of near neighbours (same prefix, where order is
decided by the small details), mutated pairs (one edit apart) and random
pairs. Everything is seeded, so a regeneration gives the same pairs.

    pools.py ECOSYSTEM N > pairs.tsv     (lines "a<TAB>b")
"""
import glob, json, os, random, subprocess, sys, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("DOUANE_SHARED_DIR", os.path.join(HERE, "../../../../../shared"))
FEEDS = os.path.join(SHARED, "feeds")
MAXLEN = 256


def osv_versions(eco, limit_records=None):
    out = set()
    with zipfile.ZipFile(os.path.join(FEEDS, "osv", eco, "all.zip")) as z:
        for i, name in enumerate(sorted(z.namelist())):
            if limit_records and i >= limit_records:
                break
            rec = json.loads(z.read(name))
            for aff in rec.get("affected", []):
                for v in aff.get("versions", []) or []:
                    out.add(v)
                for r in aff.get("ranges", []) or []:
                    for ev in r.get("events", []):
                        for k in ("introduced", "fixed", "last_affected", "limit"):
                            if k in ev:
                                out.add(ev[k])
    return out


def alpine_versions():
    out = set()
    for f in glob.glob(os.path.join(FEEDS, "alpine", "*", "*.json")):
        for p in json.load(open(f)).get("packages", []):
            out.update((p.get("pkg", {}).get("secfixes") or {}).keys())
    return out


def dpkg_installed():
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}\n"], capture_output=True, text=True)
    return set(x for x in r.stdout.split("\n") if x)


def printable(v):
    return 0 < len(v) <= MAXLEN and all(0x21 <= ord(c) <= 0x7e for c in v)


SYN = {
    "dpkg": """1.0 1.0~rc1 1.0~~ 1.0~ 1.0+b1 1.0a 1.0+ 1.0-1 1.0-1+deb12u1 1.0-1+deb12u10 1:0.1 0:1.0
        1.00 01:1.0 1.0-0 1.2.3 1.2.3.0 1:2:3 1.0-a-1 2.36-9+deb12u3 2.36-9+deb12u14 10:1 9:1
        1.0.0~alpha1 1.0.0~beta2 1.0.0~rc1+dfsg 1.0+dfsg-1 1.0+dfsg1-1 1.0-1~bpo12+1 1.0-1ubuntu1
        7.88.1-10+deb12u5 3.0.11-1~deb12u2 2:1.0 1.0.a 1.0.A 1.0.Z 1.0.z 1.0-1.1 1.0-1.01
        18446744073709551615 18446744073709551616 1.99999999999999999999 1.100000000000000000000
        abc a1 1.0_1 1.0-1:2 1: :1 1.0- -1 a:1 2147483647:1 2147483648:1 1.0-~ 1.0-+ 0 00 0.0""",
    "rpm": """1.0 1.0~rc1 1.0~~ 1.0^ 1.0^git1 1.0^git1.1 1.0.1 1.0a 1.0.a 1.a 1_0 1.0-1 1.0-2 1.0-2.el8
        1:0.1-1 0:1.0-1 2.0 10.0 a b 1.0~rc1^git1 1.0~rc1.1 1.0^~ 1.0~^ 1.01 1.001 1.0.0 1..0 1.0.
        1.0-1.fc38 1.0-1.el9_2 2.34-60.el9 2.34-60.el9_2.7 4.18.0-1 5:1.0 1.0-0.1.rc1 1.0-0.2.beta
        99999999999999999999.1 99999999999999999999.2 1.0+git 1.0+1 1.0_1 1.0-1~ 1.0-1^ 1.0-a 1.0-A
        1.0-""",
    "semver": """1.0.0 1.0.0-alpha 1.0.0-alpha.1 1.0.0-alpha.beta 1.0.0-beta 1.0.0-beta.2 1.0.0-beta.11
        1.0.0-rc.1 1.9.0 1.10.0 1.11.0 v1.2.3 1.2.3 1.2.3+build.1 1.2.3+build.2 1.0.0-0 1.0.0-a 1.0.0-A
        1.0.0--1 1.0.0-a-b 1.0.0-1a 1.0.0-01 1.2 01.2.3 1.2.3- 1.2.3-a..b 1.2.3+ =1.2.3 V1.2.3 1.2.3.4
        9007199254740991.0.0 9007199254740992.0.0 0.0.0 0.0.1 0.1.0 1.0.0-alpha.0 1.0.0-x.7.z.92
        1.0.0+20130313144700 1.0.0-beta+exp.sha.5114f85 2.0.0-rc.1+build.123 1.2.3-99999999999999
        1.2.3-R 1.2.3-r 1.2.3-1.2 1.2.3-1.10 v1.2.3-0 1.2.3++ 1.2.3-+ 1.0.0-0.3.7""",
    "go": """v1 v1.2 v1.2.0 v1.0.0 v2.0.0+incompatible v2.0.0 v0.0.0-20191109021931-daa7c04131f5
        v0.0.0-20200101000000-000000000000 v0.0.1 v1.2.3 v1.2.4-0.20191109021931-daa7c04131f5 v1.2.4
        v1.2.3-pre v1.2.3-pre.0.20191109021931-daa7c04131f5 v99999999999999999999.0.0 1.2.3 v1.2-pre
        v1.02.3 v1.2.3-pre+ v1.2.3+meta v1.2.3-01 v1.2.3-0 v1.2.3-a.b v0 v0.0 v0.0.0 v1.2.3. vx""",
    "pep440": """1.0.dev0 1.0a0 1.0a1 1.0a2.dev1 1.0a2 1.0b1 1.0rc1 1.0 1.0+local 1.0+abc 1.0+5 1.0+5.a
        1.0.post0.dev0 1.0.post0 1.0.1 1.0.post1 1!0.1 1.0.0 v1.0 V1.0 1.0alpha1 1.0-beta-1 1.0c1 1.0preview1
        1.0-1 1.0rev1 1.0r 1.0.DEV 1.0+ABC 1.0a-1 1.0-dev 1.0_post_1 1.0.a.1 1.0-pre.2 1.0pre 1.0RC1
        1.0.0.0.0.0.1 1.99999999999999999999999 1.100000000000000000000000 1.0- 1.0+ 1.0+a..b 1.0-1-1
        foo 1.0.x 0 0.0 00 1.0a1.post2.dev3+x.y.1 1.0.post 1.0post2 1.0-r1 1.0_r_1 2!1.0a1 1.0.dev
        1.0a.1 1.0b_2 1.0+1.2.3 1.0+1-2_3 1.0+ubuntu.1 1.0rc 1.0c 1.0.dev-1 1.0-1.dev1 1.0.0-1""",
    "maven": """1 1.0 1.0.0 1-alpha 1-beta 1-milestone 1-rc 1-cr 1-SNAPSHOT 1-ga 1-final 1-release 1-sp
        1-abc 1-abd 1a1 1-alpha-1 1.0.0-M1 1-milestone-1 1-1 1.1 1.0-sp 1.0.1 1.2147483647 1.2147483648
        1.999999999999999999999 1.1000000000000000000000 1.0. 1.. 1-0 1.0-0 1-a 1-b 1-m 1a 1b2 1m3
        1.0-alpha1 1.0-alpha-1 1.0-beta.2 2.0.0.RELEASE 5.3.20.RELEASE 1.0.Final 1.0-final 1.0.GA
        1.0-SNAPSHOT 1.0.0-SNAPSHOT 1.0-RC1 1.0-rc-1 1.0.RC1 1.0-CR2 1.0-SP1 1.0.SP1 1.0-20240101.123456-1
        1.0-jre 31.1-jre 31.1-android 2.12.7.1 2.13.4.2 9.4.51.v20230217 10.0.0-beta1 1.0-x 1.0-X
        1-1.1 1-1-1 1.0-1-1 1.0.0.0.0.1 0.9 0.0.1 1-ALPHA 1-Alpha 1-b-1 1-2-rc 1.1-rc1 1.1.rc1""",
    "gem": """1 1.0 1.0.0 1.0.a 1.0.b 1.0.rc1 1.0-1 1.0.pre.1 1.9 1.10 1.0.A 1.a 1.0.a.0 1.0.a.1
        1.99999999999999999999 1.100000000000000000000 a 1..0 1.0_1 1.0- 2.0.0.beta1 2.0.0.beta.1
        2.0.0.rc1 2.0.0.rc.1 2.0.0.pre 3.2.0.pre1 7.0.4.1 7.0.4 0.9.0.1 1.0.0.a1 1.0.0a1 1.0b 1.0.0-beta
        1.0.0-beta.2 1.0.0-1-1 1.0.0.0 1.0.0.0.0.1 1.0.0.0.1.a 1.A 1.Z 1.a.A 01.0 1.00 1.0.01
        1.0.0.alpha 1.0.0.ALPHA 1.0.0.Beta 1.2.3.4.5.6 1.0a 1.0-a 1.0-- 1.0-a-b 1.0.-1""",
    "apk": """1.0_alpha1 1.0_beta1 1.0_pre1 1.0_rc1 1.0 1.0_cvs1 1.0_svn1 1.0_git20200101 1.0_hg1 1.0_p1
        1.0-r1 1.0-r10 1.0a 1.0b 1.0z 1.0.1 1.01 1.1 1.001 1 1.2.3-r4 1.2.3_p1 2.9.10-r0
        2.9.10_p20200101-r0 1.99999999999999999999 1.100000000000000000000 1.0-r0 1.00 1.0~abc
        1.0~abd 1.0~abc-r1 1.0_p1-r1 1.0_foo 1.0-1 1.0A 1.0-r1a 1..0 1.0a1 a 1.0~ 1.0-r 1.0_alpha
        1.0_alpha_beta 1.0_rc1_p2 1.0_p 1.0a_rc1 1.0a-r2 1.0_beta1-r3 2.0 2.0.0 2.00 0 0.0 1.0~ABC
        1.0~0123456789abcdef 1.0_rc 1.0_rc_pre 1.0.0_git20230101~deadbeef-r5 1.0-r00 1.0-r01""",
}


def synthetic(eco):
    return set(SYN[eco].split())


def pool(eco):
    if eco == "dpkg":
        p = dpkg_installed() | osv_versions("Debian") | synthetic("dpkg")
    elif eco == "rpm":
        deb = sorted(osv_versions("Debian"))
        # Debian versions are good EVR material too; '+' is a separator for rpm
        p = set(random.Random(7).sample(deb, min(1500, len(deb)))) | synthetic("rpm")
    elif eco == "apk":
        p = alpine_versions() | synthetic("apk")
    elif eco == "pep440":
        p = osv_versions("PyPI") | synthetic("pep440")
    elif eco == "go":
        p = set("v" + v if v and v[0].isdigit() else v for v in osv_versions("Go")) | synthetic("go")
    elif eco == "semver":
        gov = set(v for v in osv_versions("Go") if v and v[0].isdigit())
        p = set(random.Random(7).sample(sorted(gov), min(1500, len(gov)))) | synthetic("semver")
    elif eco in ("maven", "gem"):
        # no feed of our own: real version shapes from PyPI and Go, plus mutants
        rng = random.Random(11)
        real = sorted(osv_versions("PyPI") | osv_versions("Go"))
        p = synthetic(eco) | set(rng.sample(real, 1500))
        syn = sorted(synthetic(eco))
        p |= set(mutate(rng.choice(syn), rng) for _ in range(800))
    else:
        raise SystemExit("unknown ecosystem " + eco)
    return sorted(v for v in p if printable(v))


MUTATIONS = ["~1", "~", "^1", "+1", ".0", ".1", "-1", "a", "_rc1", "_p1", "-r1", ".post1", ".dev0",
             "rc1", "-SNAPSHOT", "-beta", ".pre.1", "-0", "+b1", "0", "9", "-rc.1", "+incompatible"]


def mutate(v, rng):
    op = rng.randrange(4)
    if op == 0:
        return v + rng.choice(MUTATIONS)
    i = rng.randrange(len(v))
    if op == 1:
        return v[:i] + v[i + 1:]
    if op == 2:
        return v[:i] + rng.choice("0123456789.-~+_^abrvx") + v[i:]
    c = v[i]
    if c.isdigit():
        return v[:i] + str((int(c) + 1) % 10) + v[i + 1:]
    return v[:i] + rng.choice("0.-~a") + v[i + 1:]


def pairs(eco, n):
    rng = random.Random(0x5eed + sum(map(ord, eco)))
    p = pool(eco)
    out = []
    seen = set()

    def add(a, b):
        if (a, b) not in seen and a and b and printable(a) and printable(b):
            seen.add((a, b))
            out.append((a, b))

    tries = 0
    syn = sorted(synthetic(eco))
    for a in syn:                       # every synthetic case against every other
        for b in syn:
            add(a, b)
    for v in rng.sample(p, min(len(p), n // 10)):
        add(v, v)
    for i in range(len(p) - 1):         # sorted neighbours share prefixes
        if len(out) >= n * 6 // 10:
            break
        add(p[i], p[i + 1])
    while len(out) < n * 8 // 10 and tries < 50 * n:
        tries += 1
        v = rng.choice(p)
        add(v, mutate(v, rng))
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        add(rng.choice(p), rng.choice(p))
    return out


if __name__ == "__main__":
    eco, n = sys.argv[1], int(sys.argv[2])
    for a, b in pairs(eco, n):
        print(f"{a}\t{b}")
